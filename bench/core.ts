// The core benchmark: the four figures of the core issue, each the median of several runs.
//   kv_commits_per_s        one-write transactions (a 100-byte JSON value) committed to a Store
//   ledger_appends_per_s    100-byte private writes through the whole primary path: commit,
//                           encryption, hashing, Merkle tree, signatures every 1,000
//                           transactions, framing and file writes (flushed every 1,000)
//   ledger_verify_mb_per_s  `coco ledger verify`'s check over a ledger of >= 200 MB
//   receipt_verifies_per_s  receipts checked against the service certificate
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identities, writeDemoLedger } from '../examples/demo-ledger.js';
import { randomBytes } from 'node:crypto';
import { Store } from '../src/kv/store.js';
import { ChunkedLedger } from '../src/ledger/chunked-ledger.js';
import { LedgerSecret } from '../src/ledger/ledger-secret.js';
import { verifyLedger } from '../src/ledger/ledger-verifier.js';
import { LedgerWriter } from '../src/ledger/ledger-writer.js';
import { MemoryLedgerFiles } from '../src/ledger/memory-ledger-files.js';
import { verifyReceipt, type Receipt } from '../src/ledger/receipt.js';
import { TxHistory } from '../src/ledger/tx-history.js';
import { DirectoryLedgerFiles } from '../src/node/directory-ledger-files.js';
import { sample, summarise, type Figure, type RunSample } from './measure.js';

const VALUE_100_BYTES = 'v'.repeat(98); // 100 bytes once JSON-encoded
const SIGNATURE_INTERVAL_TX = 1000;
const FLUSH_INTERVAL_TX = 1000;

export async function coreBenchmark(options: { runs?: number; log: (line: string) => void }): Promise<Figure[]> {
  const runs = options.runs ?? 5;
  const figures: Figure[] = [];
  const add = (metric: string, value: number, unit: string): void => {
    figures.push({ scenario: 'core', metric, value, unit });
  };
  const workDir = mkdtempSync(join(tmpdir(), 'coco-bench-core-'));
  try {
    options.log(`kv commits: ${runs} runs`);
    const kv = summarise(repeat(runs, kvCommits));
    add('kv_commits_per_s', kv.perSecond, 'commits/s');
    add('kv_commit_cpu_us', kv.cpuUsPerOperation, 'us/commit');

    options.log(`ledger appends: ${runs} runs`);
    const signer = (await identities()).signer;
    const appendRuns: RunSample[] = [];
    for (let run = 0; run < runs; run++) appendRuns.push(ledgerAppends(join(workDir, `append-${run}`), signer));
    const appends = summarise(appendRuns);
    add('ledger_appends_per_s', appends.perSecond, 'entries/s');
    add('ledger_append_cpu_us', appends.cpuUsPerOperation, 'us/entry');

    options.log('writing a ledger of >= 200 MB for verify');
    const demo = await writeDemoLedger({ dir: join(workDir, 'verify'), transactions: 190_000, valueBytes: 1024, signatureIntervalTx: SIGNATURE_INTERVAL_TX });
    const files = new DirectoryLedgerFiles(demo.ledgerDir);
    const verifyRuns = Math.max(1, Math.min(runs, 3));
    options.log(`ledger verify: ${verifyRuns} runs without and ${verifyRuns} with the ledger secret`);
    const verifyPlain = repeat(verifyRuns, () => verifiedBytes(files));
    const verifySecret = repeat(verifyRuns, () => verifiedBytes(files, demo.secret));
    const plain = summarise(verifyPlain);
    const decrypting = summarise(verifySecret);
    const megabytes = (perSecond: number): number => perSecond / 1_000_000;
    add('ledger_verify_mb_per_s', megabytes(plain.perSecond), 'MB/s');
    add('ledger_verify_decrypting_mb_per_s', megabytes(decrypting.perSecond), 'MB/s');
    add('ledger_verify_size_mb', megabytes((verifyPlain[0] as RunSample).operations), 'MB');
    files.close();

    options.log(`receipt verifications: ${runs} runs`);
    const { receipts, serviceCertificate } = await receiptSet(200);
    const receiptsSummary = summarise(repeat(runs, () => {
      for (const receipt of receipts) {
        if (!verifyReceipt(receipt, serviceCertificate).ok) throw new Error(`receipt ${receipt.txid} did not verify`);
      }
      return receipts.length;
    }));
    add('receipt_verifies_per_s', receiptsSummary.perSecond, 'receipts/s');
    add('receipt_verify_cpu_us', receiptsSummary.cpuUsPerOperation, 'us/receipt');
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return figures;
}

function repeat(runs: number, work: () => number): RunSample[] {
  work(); // warm-up: JIT and caches
  return Array.from({ length: runs }, () => sample(work));
}

function kvCommits(): number {
  const commits = 300_000;
  const store = new Store();
  for (let i = 0; i < commits; i++) {
    const tx = store.begin();
    tx.map('public:bench').set(i % 10_000, VALUE_100_BYTES);
    if (tx.commit().status !== 'committed') throw new Error('commit failed');
    if (i % SIGNATURE_INTERVAL_TX === SIGNATURE_INTERVAL_TX - 1) store.compact(store.version); // as a node does when a signature commits
  }
  return commits;
}

function ledgerAppends(dir: string, signer: Awaited<ReturnType<typeof identities>>['signer']): RunSample {
  const entries = 200_000;
  const store = new Store();
  const history = new TxHistory(new LedgerSecret(randomBytes(32)));
  const files = new DirectoryLedgerFiles(dir);
  const { ledger } = ChunkedLedger.open(files);
  const writer = new LedgerWriter({ store, history, ledger, signer, signatureIntervalTx: SIGNATURE_INTERVAL_TX });
  const result = sample(() => {
    while (store.version < entries) {
      const tx = store.begin();
      tx.map('private:bench').set(store.version % 10_000, VALUE_100_BYTES);
      const commit = tx.commit();
      if (commit.status !== 'committed') throw new Error('commit failed');
      writer.append(1, commit.writeSet);
      if (store.version % FLUSH_INTERVAL_TX === 0) {
        ledger.flush();
        const signed = writer.lastSignature?.seqno ?? 0;
        if (signed > ledger.commitSeqno) {
          ledger.commit(signed);
          store.compact(signed);
          history.tree.retainFrom(signed);
        }
      }
    }
    ledger.flush();
    ledger.sync();
    return store.version;
  });
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

function verifiedBytes(files: DirectoryLedgerFiles, secret?: LedgerSecret): number {
  const report = verifyLedger(files, secret === undefined ? {} : { secret });
  if (!report.ok) throw new Error(`benchmark ledger failed to verify: ${report.failure?.reason}`);
  return report.bytes;
}

async function receiptSet(count: number): Promise<{ receipts: Receipt[]; serviceCertificate: string }> {
  const { serviceCertificate, signer } = await identities();
  const store = new Store();
  const history = new TxHistory(new LedgerSecret(randomBytes(32)));
  const { ledger } = ChunkedLedger.open(new MemoryLedgerFiles());
  const writer = new LedgerWriter({ store, history, ledger, signer, signatureIntervalTx: 0 });
  for (let i = 0; i < 5 * count; i++) {
    const tx = store.begin();
    tx.map('private:bench').set(i, VALUE_100_BYTES);
    const commit = tx.commit();
    if (commit.status !== 'committed') throw new Error('commit failed');
    writer.append(1, commit.writeSet);
  }
  const signature = writer.sign(1);
  ledger.flush();
  const receipts: Receipt[] = [];
  for (let seqno = 1; receipts.length < count; seqno += 5) {
    const read = ledger.read(seqno);
    if (read === undefined) throw new Error(`seqno ${seqno} missing`);
    receipts.push(JSON.parse(JSON.stringify(history.receipt(read.entry, signature))) as Receipt);
  }
  return { receipts, serviceCertificate };
}
