// The in-memory Raft log of one node: entries 1..lastSeqno, no gaps, no compaction yet.
// The caller keeps the durable copy (from Ready.entriesToPersist); this is the view the
// state machine reasons over.
import assert from 'node:assert/strict';
import type { TxId } from '../ledger/tx-id.js';
import type { Entry } from './messages.js';

const ORIGIN: TxId = { view: 0, seqno: 0 };

export class RaftLog {
  readonly #entries: Entry[] = [];
  /** Seqnos of the signature entries, ascending: commit decisions look them up per acknowledgement. */
  readonly #signatureSeqnos: number[] = [];

  get lastSeqno(): number {
    return this.#entries.length;
  }

  get lastTxId(): TxId {
    return this.txIdAt(this.lastSeqno) ?? ORIGIN;
  }

  /** TxId of the last signature entry; {0, 0} when there is none. */
  get lastSignedTxId(): TxId {
    const seqno = this.#signatureSeqnos.at(-1);
    return seqno === undefined ? ORIGIN : { view: this.at(seqno).view, seqno };
  }

  /** The entry at `seqno`; asserts that it exists. */
  at(seqno: number): Entry {
    const entry = this.#entries[seqno - 1];
    assert(entry !== undefined, `no entry at seqno ${seqno} (last ${this.lastSeqno})`);
    return entry;
  }

  /** TxId at `seqno`: {0, 0} for seqno 0, undefined past the end. */
  txIdAt(seqno: number): TxId | undefined {
    if (seqno === 0) return ORIGIN;
    const entry = this.#entries[seqno - 1];
    return entry === undefined ? undefined : { view: entry.view, seqno };
  }

  /** Whether this log holds `txId` (so it agrees with the sender up to there, Raft §5.3). */
  matches(txId: TxId): boolean {
    return this.txIdAt(txId.seqno)?.view === txId.view;
  }

  /** Entries from..to inclusive (a copy). */
  slice(from: number, to: number): Entry[] {
    assert(from >= 1 && to <= this.lastSeqno, `slice ${from}..${to} out of 1..${this.lastSeqno}`);
    return this.#entries.slice(from - 1, to);
  }

  /** All entries, oldest first. */
  get entries(): readonly Entry[] {
    return this.#entries;
  }

  append(entry: Entry): void {
    assert.equal(entry.seqno, this.lastSeqno + 1, 'log entries must be contiguous');
    assert(entry.view >= this.lastTxId.view, 'log views must not decrease');
    this.#entries.push(entry);
    if (entry.isSignature) this.#signatureSeqnos.push(entry.seqno);
  }

  /** Drops every entry after `seqno`. */
  truncateAfter(seqno: number): void {
    assert(seqno >= 0 && seqno <= this.lastSeqno, `truncate to ${seqno} of ${this.lastSeqno}`);
    this.#entries.length = seqno;
    while ((this.#signatureSeqnos.at(-1) ?? 0) > seqno) this.#signatureSeqnos.pop();
  }

  /** Highest signature seqno in 1..`upTo`, or 0. */
  lastSignatureAtOrBefore(upTo: number): number {
    const signatures = this.#signatureSeqnos;
    let low = 0;
    let high = signatures.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((signatures[middle] as number) <= upTo) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? 0 : (signatures[low - 1] as number);
  }

  /**
   * For a refused append at `prev`: the highest seqno at or before `prev` whose view is at
   * most `prev.view`. Entries of later views there cannot match, so the primary may skip
   * them in one step (etcd's findConflictByTerm).
   */
  backOffHint(prev: TxId): number {
    let seqno = Math.min(prev.seqno, this.lastSeqno);
    while (seqno > 0 && this.at(seqno).view > prev.view) seqno--;
    // The entry at prev.seqno itself did not match, so never offer it back.
    return seqno === prev.seqno ? seqno - 1 : seqno;
  }
}
