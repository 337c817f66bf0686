// The primary's write path from store to disk: each committed write set becomes the
// next ledger entry, and every `signatureIntervalTx` transactions (or when the caller
// asks, e.g. on a timer at the edge) a signature transaction signs the Merkle root.
// Shared by the node, the tests and the benchmarks so they all measure the same path.
import assert from 'node:assert/strict';
import type { Store } from '../kv/store.js';
import type { WriteSet } from '../kv/write-set.js';
import type { ChunkedLedger } from './chunked-ledger.js';
import { SIGNATURE_KEY, SIGNATURES_MAP, type NodeSigner, type SignatureRecord } from './signature.js';
import type { TxHistory } from './tx-history.js';

export interface LedgerWriterOptions {
  readonly store: Store;
  readonly history: TxHistory;
  readonly ledger: ChunkedLedger;
  readonly signer: NodeSigner;
  /** Sign after this many transactions since the last signature; 0 signs only on request. */
  readonly signatureIntervalTx: number;
  /** Told of each entry right after it is appended (a replicating node proposes it to consensus). */
  readonly onEntry?: (entry: WrittenEntry) => void;
}

export interface WrittenEntry {
  readonly view: number;
  readonly seqno: number;
  readonly isSignature: boolean;
  readonly data: Buffer;
  readonly writeSet: WriteSet;
  /** The record a signature transaction carries. */
  readonly signature?: SignatureRecord;
}

export class LedgerWriter {
  readonly #options: LedgerWriterOptions;
  #unsignedTx = 0;
  #lastSignature: SignatureRecord | undefined;

  constructor(options: LedgerWriterOptions) {
    assert(Number.isSafeInteger(options.signatureIntervalTx) && options.signatureIntervalTx >= 0);
    assert.equal(options.history.lastSeqno, options.store.version, 'history and store start at the same seqno');
    assert.equal(options.ledger.lastSeqno, options.store.version, 'ledger files and store start at the same seqno');
    this.#options = options;
  }

  /** Transactions written since the last signature. */
  get unsignedTx(): number {
    return this.#unsignedTx;
  }

  get lastSignature(): SignatureRecord | undefined {
    return this.#lastSignature;
  }

  /** Records a write set the store just committed; may follow it with a signature transaction. */
  append(view: number, writeSet: WriteSet): void {
    const { history, ledger, signatureIntervalTx, onEntry } = this.#options;
    const entry = history.recordWriteSet(view, writeSet);
    ledger.append(writeSet.version, entry, { isSignature: false });
    onEntry?.({ view, seqno: writeSet.version, isSignature: false, data: entry, writeSet });
    this.#unsignedTx += 1;
    if (signatureIntervalTx > 0 && this.#unsignedTx >= signatureIntervalTx) this.sign(view);
  }

  /** Commits a signature transaction over everything before it. */
  sign(view: number): SignatureRecord {
    const { store, history, ledger, signer, onEntry } = this.#options;
    const record = history.nextSignature(signer, view);
    const tx = store.begin({ privileged: true });
    tx.map<number, SignatureRecord>(SIGNATURES_MAP).set(SIGNATURE_KEY, record);
    const result = tx.commit();
    assert(result.status === 'committed' && result.version === record.seqno, 'a signature transaction commits at the seqno it signs for');
    const entry = history.recordWriteSet(view, result.writeSet, 'signature');
    ledger.append(record.seqno, entry, { isSignature: true });
    onEntry?.({ view, seqno: record.seqno, isSignature: true, data: entry, writeSet: result.writeSet, signature: record });
    this.#unsignedTx = 0;
    this.#lastSignature = record;
    return record;
  }
}
