// When a replica takes writes and signatures: the uncommitted-entries limit refuses a
// write before the store commits it, a signature is taken even at the limit (signatures
// are what let commit advance and free the window), and a replica that consensus has just
// made primary refuses both until it has processed that Ready (and so rolled its store
// back to the log).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Envelope } from '../../src/consensus/messages.js';
import { RaftNode } from '../../src/consensus/raft-node.js';
import { Store } from '../../src/kv/store.js';
import { ChunkedLedger } from '../../src/ledger/chunked-ledger.js';
import { LedgerSecret } from '../../src/ledger/ledger-secret.js';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import type { NodeSigner } from '../../src/ledger/signature.js';
import { TxHistory } from '../../src/ledger/tx-history.js';
import { Replica } from '../../src/node/replica.js';
import { ApiError } from '../../src/rpc/api-error.js';
import { runReadWrite } from '../../src/rpc/endpoint-transaction.js';
import { clusterIdentities } from '../cluster-sim/identities.js';

interface Setup {
  readonly signatureIntervalTx: number;
  readonly uncommittedEntriesMax?: number;
  /** Every node of the configuration; a lone node bootstraps and is primary at once. */
  readonly configuration?: readonly string[];
}

async function signers(): Promise<readonly NodeSigner[]> {
  return (await clusterIdentities()).nodes;
}

const secret = randomBytes(32);

function makeReplica(signer: NodeSigner, setup: Setup): Replica {
  const configuration = setup.configuration ?? [signer.nodeId];
  const raft = new RaftNode({
    id: signer.nodeId,
    initialConfiguration: configuration,
    electionTimeoutTicks: 10,
    heartbeatTicks: 2,
    random: () => 0.5,
    ...(configuration.length === 1 ? { bootstrap: true as const } : {}),
    ...(setup.uncommittedEntriesMax === undefined ? {} : { uncommittedEntriesMax: setup.uncommittedEntriesMax }),
  });
  return new Replica({
    store: new Store(),
    history: new TxHistory(new LedgerSecret(secret)),
    ledger: ChunkedLedger.open(new MemoryLedgerFiles()).ledger,
    raft,
    signer,
    signatureIntervalTx: setup.signatureIntervalTx,
    persistHardState: () => {},
  });
}

function drain(replica: Replica): Envelope[] {
  const sent: Envelope[] = [];
  while (replica.hasReady()) sent.push(...replica.processReady());
  return sent;
}

/** One client write, as the RPC layer runs it: refused (503) before the store commits, or committed. */
async function write(replica: Replica, key: number): Promise<void> {
  await runReadWrite(replica, (tx) => {
    tx.map<number, number>('public:values').set(key, key);
    return { status: 200, headers: {}, body: Buffer.alloc(0) };
  });
}

async function refusedWrite(replica: Replica): Promise<void> {
  const version = replica.store.version;
  await assert.rejects(write(replica, 0), (error: unknown) =>
    error instanceof ApiError && error.status === 503 && /too many transactions wait for commit/.test(error.message));
  assert.equal(replica.store.version, version, 'a refused write never reaches the store');
}

describe('a replica at the uncommitted-entries limit', () => {
  test('refuses a write with 503 before the store commits it; a signature is still taken and frees the window', async () => {
    const [signer] = await signers();
    const replica = makeReplica(signer as NodeSigner, { signatureIntervalTx: 0, uncommittedEntriesMax: 4 });
    drain(replica);
    for (let key = 1; key <= 4; key++) await write(replica, key);
    drain(replica);
    assert.equal(replica.commitSeqno, 0, 'nothing is signed, so nothing commits');
    await refusedWrite(replica);
    assert(replica.signatureDue);
    replica.sign();
    drain(replica);
    assert.equal(replica.commitSeqno, 5, 'the signature at the limit committed everything');
    assert.equal(replica.writesRefused(), undefined);
    await write(replica, 6);
  });

  test('takes the automatic signature that follows the write filling the window', async () => {
    const [signer] = await signers();
    // Entries come in threes (write, write, signature): the fifth entry is a write that
    // fills the window of five, and the sixth its automatic signature.
    const replica = makeReplica(signer as NodeSigner, { signatureIntervalTx: 2, uncommittedEntriesMax: 5 });
    drain(replica);
    for (let key = 1; key <= 4; key++) await write(replica, key);
    assert.equal(replica.lastSeqno, 6);
    assert.equal(replica.ledger.lastSeqno, 6);
    assert.equal(replica.unsignedTx, 0);
    await refusedWrite(replica);
    drain(replica);
    assert.equal(replica.commitSeqno, 6);
  });

  test('past the limit, a signature must sign something: one that does not is refused before the store commits', async () => {
    const [signer] = await signers();
    const replica = makeReplica(signer as NodeSigner, { signatureIntervalTx: 0, uncommittedEntriesMax: 2 });
    drain(replica);
    await write(replica, 1);
    await write(replica, 2);
    replica.sign();
    assert(!replica.signatureDue);
    const version = replica.store.version;
    assert.throws(() => replica.sign(), /must sign something/);
    assert.equal(replica.store.version, version);
  });
});

describe('a replica that consensus has just made primary', () => {
  test('refuses writes and signatures until processReady has rolled its store back to the log', async () => {
    const [first, second, third] = await signers() as [NodeSigner, NodeSigner, NodeSigner];
    const configuration = [first.nodeId, second.nodeId, third.nodeId];
    const replicas = new Map([first, second].map((signer) => [signer.nodeId, makeReplica(signer, { signatureIntervalTx: 0, configuration })]));
    const n0 = replicas.get(first.nodeId) as Replica;
    const n1 = replicas.get(second.nodeId) as Replica;
    // n0 and n1 exchange every message; the third node is down.
    const run = (from: Replica): void => {
      const queue = drain(from);
      while (queue.length > 0) {
        const { to, message } = queue.shift() as Envelope;
        const replica = replicas.get(to);
        if (replica === undefined) continue;
        replica.step(message);
        queue.push(...drain(replica));
      }
    };
    for (let tick = 0; tick < 20 && n0.role !== 'primary'; tick++) {
      n0.tick();
      run(n0);
    }
    assert.equal(n0.role, 'primary');
    await write(n0, 1);
    n0.sign();
    await write(n0, 3);
    run(n0);
    assert.equal(n1.lastSeqno, 4, 'n1 holds the primary\'s signature 3 and its unsigned write 4');
    // n0 goes down; the third node grants n1 its pre-vote and vote.
    replicas.delete(first.nodeId);
    const grant = (view: number, preVote: boolean): void => n1.step({
      type: 'request-vote-response', from: third.nodeId, view, preVote, granted: true, commitTxId: { view: 0, seqno: 0 },
    });
    for (let tick = 0; tick < 20 && !n1.hasReady(); tick++) n1.tick();
    drain(n1);
    grant(n1.view + 1, true);
    drain(n1);
    grant(n1.view, false);
    assert.equal(n1.role, 'primary');
    // Consensus dropped the unsigned write (CCF: a new primary rolls back past its last
    // signature); the store still holds it until the Ready is processed.
    assert.equal(n1.lastSeqno, 3);
    assert.equal(n1.store.version, 4);
    assert.match(n1.writesRefused() ?? '', /taking up the primary role/);
    assert(!n1.signatureDue);
    assert.throws(() => n1.sign(), /taking up the primary role/);
    assert.equal(n1.store.version, 4);
    drain(n1);
    assert.equal(n1.store.version, 4, 'rolled back to 3, then the new primary\'s signature');
    assert.equal(n1.writesRefused(), undefined);
    await write(n1, 5);
    assert.equal(n1.lastSeqno, 5);
  });
});
