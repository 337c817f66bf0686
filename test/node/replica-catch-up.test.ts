// A replica whose Raft log is compacted (src/consensus/raft-log.ts): a backup left far
// behind is caught up from the primary's ledger files (ledger-entry-source.ts), checks and
// applies what it gets like any entry, and ends with the primary's state; transaction ids
// and receipts still work for compacted seqnos on both.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeMessage, encodeMessage } from '../../src/consensus/message-codec.js';
import type { Envelope } from '../../src/consensus/messages.js';
import { RaftNode } from '../../src/consensus/raft-node.js';
import { Store } from '../../src/kv/store.js';
import { ChunkedLedger } from '../../src/ledger/chunked-ledger.js';
import { LedgerSecret } from '../../src/ledger/ledger-secret.js';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import { verifyReceipt } from '../../src/ledger/receipt.js';
import type { NodeSigner } from '../../src/ledger/signature.js';
import { TxHistory } from '../../src/ledger/tx-history.js';
import { appendEntriesBytesMax, appendEntriesEntriesMax } from '../../src/limits.js';
import { ledgerEntrySource } from '../../src/node/ledger-entry-source.js';
import { Replica } from '../../src/node/replica.js';
import { clusterIdentities } from '../cluster-sim/identities.js';

const secret = randomBytes(32);
const window = 8;

interface Node {
  readonly replica: Replica;
  readonly raft: RaftNode;
  /** Entries its consensus read back from its ledger. */
  readonly readBack: number;
}

function makeNode(signer: NodeSigner, configuration: readonly string[]): Node {
  // Small chunks: reads cross committed chunks, whose frame offsets are no longer kept.
  const ledger = ChunkedLedger.open(new MemoryLedgerFiles(), { chunkBytesTarget: 4_096 }).ledger;
  const fromLedger = ledgerEntrySource(ledger);
  let readBack = 0;
  const raft = new RaftNode({
    id: signer.nodeId, initialConfiguration: configuration, electionTimeoutTicks: 10, heartbeatTicks: 2, random: () => 0.5,
    entriesInMemoryMax: window,
    readEntries: (from, to, bytesMax) => {
      assert(to - from < appendEntriesEntriesMax && bytesMax === appendEntriesBytesMax, `readEntries(${from}, ${to}, ${bytesMax})`);
      const entries = fromLedger(from, to, bytesMax);
      readBack += entries.length;
      return entries;
    },
  });
  const replica = new Replica({
    store: new Store(), history: new TxHistory(new LedgerSecret(secret)), ledger, raft, signer,
    signatureIntervalTx: 10, persistHardState: () => {},
  });
  return { replica, raft, get readBack() { return readBack; } };
}

describe('a replica with a compacted log', () => {
  test('a backup far behind is caught up from the primary\'s ledger and ends with its state, receipts and transaction ids', async () => {
    const signers = (await clusterIdentities()).nodes.slice(0, 3);
    const configuration = signers.map((signer) => signer.nodeId);
    const nodes = new Map(signers.map((signer) => [signer.nodeId, makeNode(signer, configuration)]));
    const [primary, backup, behind] = [...nodes.values()] as [Node, Node, Node];
    const cut = new Set<string>([signers[2]?.nodeId as string]);
    /** Drains `from`, then delivers everything it causes, encoded as the node channel carries it. */
    const run = (from: Node): void => {
      const queue: Envelope[] = [];
      while (from.replica.hasReady()) queue.push(...from.replica.processReady());
      for (let envelope = queue.shift(); envelope !== undefined; envelope = queue.shift()) {
        if (cut.has(envelope.to) || cut.has(envelope.message.from)) continue;
        const node = nodes.get(envelope.to) as Node;
        node.replica.step(decodeMessage(encodeMessage(envelope.message)));
        while (node.replica.hasReady()) queue.push(...node.replica.processReady());
      }
    };
    for (let tick = 0; tick < 40 && primary.replica.role !== 'primary'; tick++) {
      primary.replica.tick();
      run(primary);
    }
    assert.equal(primary.replica.role, 'primary');

    const writes = 600;
    for (let count = 1; count <= writes; count++) {
      const tx = primary.replica.store.begin();
      tx.map<number, string>('private:records').set(count % 50, `record ${count}`);
      tx.map<number, number>('public:counts').set(count % 7, count);
      const result = tx.commit();
      assert(result.status === 'committed');
      primary.replica.committed(result.writeSet);
      run(primary);
    }
    if (primary.replica.signatureDue) primary.replica.sign();
    run(primary);
    const last = primary.replica.lastSeqno;
    assert.equal(primary.replica.commitSeqno, last);
    assert(primary.raft.firstSeqnoInMemory > last - window, 'the primary holds only its window');
    assert.equal(behind.replica.lastSeqno, 0, 'the cut-off backup holds nothing');

    cut.clear();
    for (let tick = 0; tick < 60 && behind.replica.commitSeqno < last; tick++) {
      primary.replica.tick();
      run(primary);
    }
    assert.equal(behind.replica.commitSeqno, last, 'caught up');
    assert(primary.readBack >= last - 1 - window, `only ${primary.readBack} entries read from the primary's ledger`);
    assert(behind.raft.firstSeqnoInMemory > last - window, 'the caught-up backup compacted too');
    assert.equal(behind.replica.store.stateDigest(), primary.replica.store.stateDigest());
    assert.equal(backup.replica.store.stateDigest(), primary.replica.store.stateDigest());

    // Transaction ids and receipts of long-compacted transactions, on every node.
    const serviceCertificate = (await clusterIdentities()).serviceCertificate;
    for (const seqno of [2, 3, 57, 300, last - 1]) {
      const txId = primary.replica.txIdAt(seqno);
      assert.deepEqual(behind.replica.txIdAt(seqno), txId);
      for (const node of [primary, backup, behind]) {
        assert.equal(node.replica.txStatus(txId), 'Committed');
        const lookup = node.replica.receipt(txId);
        assert(lookup.status === 'ready', `no receipt for ${seqno}: ${lookup.status}`);
        const check = verifyReceipt(JSON.parse(JSON.stringify(lookup.receipt)), serviceCertificate);
        assert(check.ok, check.ok ? '' : check.reason);
      }
    }
    assert.throws(() => behind.replica.txIdAt(last + 1), /no entry at seqno/);
  });
});
