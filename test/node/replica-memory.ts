// How much memory a primary and a backup replica hold after many writes: a measurement,
// not a test (run by hand; docs/consensus.md gives its numbers before and after log
// compaction). Two replicas in one process, ledgers in real directories (so ledger bytes
// are on disk, not in memory), every message encoded and decoded as the node channel
// carries it (a backup's entries are views of the bytes it received) and delivered at
// once. Writes overwrite a bounded key space, so the store stays small and what grows is
// what the replicas keep per transaction: the Raft log (beyond its in-memory window only
// until compaction), the Merkle tree, the signature records. Wall time is mostly fsync.
//
//   node --expose-gc dist/test/node/replica-memory.js [writes] [signatureIntervalTx]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage } from '../../src/consensus/message-codec.js';
import type { Envelope } from '../../src/consensus/messages.js';
import { RaftNode } from '../../src/consensus/raft-node.js';
import { Store } from '../../src/kv/store.js';
import { ChunkedLedger } from '../../src/ledger/chunked-ledger.js';
import { LedgerSecret } from '../../src/ledger/ledger-secret.js';
import type { NodeSigner } from '../../src/ledger/signature.js';
import { TxHistory } from '../../src/ledger/tx-history.js';
import { DirectoryLedgerFiles } from '../../src/node/directory-ledger-files.js';
import { ledgerEntrySource } from '../../src/node/ledger-entry-source.js';
import { Replica } from '../../src/node/replica.js';
import { clusterIdentities } from '../cluster-sim/identities.js';

const writes = Number(process.argv[2] ?? 200_000);
const signatureIntervalTx = Number(process.argv[3] ?? 100);
const keySpace = 1_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

/** The JS heap and the ArrayBuffers outside it (entry bytes live there), in MiB. */
function memoryMiB(): { heap: number; arrayBuffers: number } {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed / 2 ** 20, arrayBuffers: usage.arrayBuffers / 2 ** 20 };
}

const [first, second] = (await clusterIdentities()).nodes as [NodeSigner, NodeSigner];
const configuration = [first.nodeId, second.nodeId];
const secret = randomBytes(32);
const directory = mkdtempSync(join(tmpdir(), 'coco-replica-memory-'));

function makeReplica(signer: NodeSigner): Replica {
  const ledger = ChunkedLedger.open(new DirectoryLedgerFiles(join(directory, signer.nodeId.slice(0, 8)))).ledger;
  const raft = new RaftNode({
    id: signer.nodeId,
    initialConfiguration: configuration,
    electionTimeoutTicks: 10,
    heartbeatTicks: 2,
    random: () => 0.5,
    readEntries: ledgerEntrySource(ledger),
  });
  return new Replica({
    store: new Store(),
    history: new TxHistory(new LedgerSecret(secret)),
    ledger,
    raft,
    signer,
    signatureIntervalTx,
    persistHardState: () => {},
  });
}

const replicas = new Map([first, second].map((signer) => [signer.nodeId, makeReplica(signer)]));
const primary = replicas.get(first.nodeId) as Replica;
const backup = replicas.get(second.nodeId) as Replica;

/** Drains `from`, then delivers every message (and those it causes) at once. */
function run(from: Replica): void {
  const queue: Envelope[] = [];
  while (from.hasReady()) queue.push(...from.processReady());
  for (let envelope = queue.shift(); envelope !== undefined; envelope = queue.shift()) {
    const replica = replicas.get(envelope.to) as Replica;
    replica.step(decodeMessage(encodeMessage(envelope.message)));
    while (replica.hasReady()) queue.push(...replica.processReady());
  }
}

for (let tick = 0; tick < 40 && primary.role !== 'primary'; tick++) {
  primary.tick();
  run(primary);
}
if (primary.role !== 'primary') throw new Error('no primary');

const value = 'x'.repeat(100);
const before = memoryMiB();
const started = process.hrtime.bigint();
for (let count = 1; count <= writes; count++) {
  const tx = primary.store.begin();
  tx.map<number, string>('private:records').set(count % keySpace, `${value} ${count}`);
  const result = tx.commit();
  if (result.status !== 'committed') throw new Error('write did not commit');
  primary.committed(result.writeSet);
  // As the node's drive loop: consensus runs after every request, not once per batch.
  run(primary);
}
if (primary.signatureDue) primary.sign();
run(primary);
primary.tick();
primary.tick();
run(primary);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const after = memoryMiB();
if (backup.commitSeqno !== primary.commitSeqno || primary.commitSeqno !== primary.lastSeqno) {
  throw new Error(`not converged: primary ${primary.commitSeqno}/${primary.lastSeqno}, backup ${backup.commitSeqno}/${backup.lastSeqno}`);
}
const round = (value: number): number => Number(value.toFixed(1));
const grown = after.heap + after.arrayBuffers - before.heap - before.arrayBuffers;
console.log(JSON.stringify({
  writes, signatureIntervalTx, lastSeqno: primary.lastSeqno, seconds: round(seconds),
  heapMiB: [round(before.heap), round(after.heap)], arrayBuffersMiB: [round(before.arrayBuffers), round(after.arrayBuffers)],
  growthBytesPerTx: Math.round((grown * 2 ** 20) / primary.lastSeqno),
}));
rmSync(directory, { recursive: true, force: true });
