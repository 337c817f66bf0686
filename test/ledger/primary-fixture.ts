// A primary's write path in memory (store, history, chunk files, signatures) for the
// ledger tests: commit transactions, sign, read entries back.
import { randomBytes } from 'node:crypto';
import { identities } from '../../examples/demo-ledger.js';
import { Store } from '../../src/kv/store.js';
import { ChunkedLedger } from '../../src/ledger/chunked-ledger.js';
import { LedgerSecret } from '../../src/ledger/ledger-secret.js';
import { LedgerWriter } from '../../src/ledger/ledger-writer.js';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import type { NodeSigner } from '../../src/ledger/signature.js';
import { TxHistory } from '../../src/ledger/tx-history.js';

export interface Primary {
  readonly store: Store;
  readonly history: TxHistory;
  readonly ledger: ChunkedLedger;
  readonly writer: LedgerWriter;
  readonly secret: LedgerSecret;
  readonly signer: NodeSigner;
  readonly serviceCertificate: string;
  /** Commits one transaction writing `value` at `key` of a private and a public map. */
  write(key: number, value: string, view?: number): number;
  entry(seqno: number): Buffer;
}

let cached: Promise<Awaited<ReturnType<typeof identities>>> | undefined;

/** Identities are slow to make (certificates): tests share one set. */
export function sharedIdentities(): ReturnType<typeof identities> {
  cached ??= identities();
  return cached;
}

export async function makePrimary(options: { signatureIntervalTx?: number; view?: number; secret?: LedgerSecret } = {}): Promise<Primary> {
  const { serviceCertificate, signer } = await sharedIdentities();
  const secret = options.secret ?? new LedgerSecret(randomBytes(32));
  const store = new Store();
  const history = new TxHistory(secret);
  const { ledger } = ChunkedLedger.open(new MemoryLedgerFiles());
  const writer = new LedgerWriter({ store, history, ledger, signer, signatureIntervalTx: options.signatureIntervalTx ?? 0 });
  const view = options.view ?? 1;
  return {
    store,
    history,
    ledger,
    writer,
    secret,
    signer,
    serviceCertificate,
    write(key, value, writeView = view) {
      const tx = store.begin();
      tx.map('private:values').set(key, value);
      tx.map('public:keys').set(key, key % 2 === 0);
      const result = tx.commit();
      if (result.status !== 'committed') throw new Error('commit failed');
      writer.append(writeView, result.writeSet);
      return result.version;
    },
    entry(seqno) {
      ledger.flush();
      const read = ledger.read(seqno);
      if (read === undefined) throw new Error(`no entry at ${seqno}`);
      return read.entry;
    },
  };
}
