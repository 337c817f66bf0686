// The in-memory Raft log of one node: seqnos 1..lastSeqno, no gaps. The caller keeps the
// durable copy (from Ready.entriesToPersist, its ledger); this is the view the state
// machine reasons over.
//
// Compaction (Raft thesis §5: a log cannot grow without bound): entries at or below a
// floor the node gives (its commit seqno, once the caller has persisted and applied them),
// beyond the most recent `entriesInMemoryMax`, are dropped from memory. A backup that
// needs them is fed from the caller's durable copy (RaftNode's readEntries), as CCF feeds
// a lagging backup from its ledger. What consensus asks of the log after that is kept in
// compact form, for every seqno:
// - its TxId, as runs of [firstSeqno, view] (views only grow along a log, so there is one
//   run per view the log holds: few), for txIdAt, matches and backOffHint;
// - whether it is a signature, from the last signature at or before the compacted part
//   on (commit decisions look only above the commit seqno, which is at a signature);
// - the configuration of every configuration entry: rare, and a backup fed from the
//   ledger must receive them with their entries (the ledger does not say which they are).
// Compaction stops at the commit seqno, and a rollback never goes below it, so no entry a
// rollback could remove is ever dropped (asserted in truncateAfter).
import assert from 'node:assert/strict';
import type { TxId } from '../ledger/tx-id.js';
import type { Configuration } from './configuration.js';
import type { Entry } from './messages.js';
import { TrimmableArray } from './trimmable-array.js';

const ORIGIN: TxId = { view: 0, seqno: 0 };

/** Entries from `firstSeqno` up to the next run's first seqno are of `view`. */
interface ViewRun {
  readonly firstSeqno: number;
  readonly view: number;
}

export class RaftLog {
  readonly #entriesInMemoryMax: number;
  /** Entries firstSeqnoInMemory..lastSeqno. */
  readonly #entries = new TrimmableArray<Entry>();
  #firstSeqnoInMemory = 1;
  /** One run per view in the log, ascending. */
  readonly #viewRuns: ViewRun[] = [];
  /**
   * Seqnos of signature entries, ascending: every one from #signaturesKnownFrom on, where
   * #signaturesKnownFrom is the last signature at or before the compacted part (0 while
   * nothing before it was dropped). Commit decisions look them up per acknowledgement.
   */
  readonly #signatureSeqnos = new TrimmableArray<number>();
  #signaturesKnownFrom = 0;
  /** The configuration each configuration entry carries, by seqno, in seqno order. */
  readonly #configurations = new Map<number, Configuration>();

  /** `entriesInMemoryMax`: how many of the newest entries compaction always keeps (Infinity: never compact). */
  constructor(entriesInMemoryMax = Infinity) {
    assert(entriesInMemoryMax === Infinity || (Number.isSafeInteger(entriesInMemoryMax) && entriesInMemoryMax >= 1), 'entriesInMemoryMax must be a positive whole number');
    this.#entriesInMemoryMax = entriesInMemoryMax;
  }

  get lastSeqno(): number {
    return this.#firstSeqnoInMemory - 1 + this.#entries.length;
  }

  /** The oldest seqno whose entry is held in memory (lastSeqno + 1 when none is). */
  get firstSeqnoInMemory(): number {
    return this.#firstSeqnoInMemory;
  }

  get lastTxId(): TxId {
    return this.txIdAt(this.lastSeqno) ?? ORIGIN;
  }

  /** TxId of the last signature entry; {0, 0} when there is none. */
  get lastSignedTxId(): TxId {
    const seqno = this.#signatureSeqnos.at(this.#signatureSeqnos.length - 1);
    return seqno === undefined ? ORIGIN : { view: this.#viewAt(seqno), seqno };
  }

  /** The entry at `seqno` if memory holds it. */
  entryAt(seqno: number): Entry | undefined {
    return this.#entries.at(seqno - this.#firstSeqnoInMemory);
  }

  /** The entry at `seqno`; asserts that memory holds it. */
  at(seqno: number): Entry {
    const entry = this.entryAt(seqno);
    assert(entry !== undefined, `no entry in memory at seqno ${seqno} (held ${this.#firstSeqnoInMemory}..${this.lastSeqno})`);
    return entry;
  }

  /** TxId at `seqno`, compacted or not: {0, 0} for seqno 0, undefined past the end. */
  txIdAt(seqno: number): TxId | undefined {
    if (seqno === 0) return ORIGIN;
    if (!Number.isSafeInteger(seqno) || seqno < 0 || seqno > this.lastSeqno) return undefined;
    return { view: this.#viewAt(seqno), seqno };
  }

  /** Whether this log holds `txId` (so it agrees with the sender up to there, Raft §5.3). */
  matches(txId: TxId): boolean {
    return this.txIdAt(txId.seqno)?.view === txId.view;
  }

  /**
   * Whether the entry at `seqno` is a signature; undefined past the end, or where
   * compaction has forgotten it (before the last signature at or before the compacted part).
   */
  isSignatureAt(seqno: number): boolean | undefined {
    if (seqno < 1 || seqno > this.lastSeqno || seqno < this.#signaturesKnownFrom) return undefined;
    const entry = this.entryAt(seqno);
    if (entry !== undefined) return entry.isSignature;
    return this.#signatureSeqnos.at(this.#signatureIndexAtOrBefore(seqno)) === seqno;
  }

  /** The configuration the entry at `seqno` carries, compacted or not; undefined if none. */
  configurationAt(seqno: number): Configuration | undefined {
    return this.#configurations.get(seqno);
  }

  /** Every configuration entry of the log, compacted or not, in seqno order. */
  configurationEntries(): Array<{ readonly seqno: number; readonly configuration: Configuration }> {
    return [...this.#configurations].map(([seqno, configuration]) => ({ seqno, configuration }));
  }

  /** Entries from..to inclusive (a copy); memory must hold them. */
  slice(from: number, to: number): Entry[] {
    assert(from >= this.#firstSeqnoInMemory && to <= this.lastSeqno && from <= to + 1, `slice ${from}..${to} out of ${this.#firstSeqnoInMemory}..${this.lastSeqno} in memory`);
    return this.#entries.slice(from - this.#firstSeqnoInMemory, to + 1 - this.#firstSeqnoInMemory);
  }

  append(entry: Entry): void {
    assert.equal(entry.seqno, this.lastSeqno + 1, 'log entries must be contiguous');
    const lastRun = this.#viewRuns.at(-1);
    assert(entry.view >= (lastRun?.view ?? 0), 'log views must not decrease');
    this.#entries.push(entry);
    if (lastRun === undefined || lastRun.view !== entry.view) this.#viewRuns.push({ firstSeqno: entry.seqno, view: entry.view });
    if (entry.isSignature) this.#signatureSeqnos.push(entry.seqno);
    if (entry.configuration !== undefined) this.#configurations.set(entry.seqno, entry.configuration);
  }

  /**
   * Drops every entry after `seqno`. Never into the compacted part: compaction stops at
   * the commit seqno, and a rollback never goes below it.
   */
  truncateAfter(seqno: number): void {
    assert(seqno >= 0 && seqno <= this.lastSeqno, `truncate to ${seqno} of ${this.lastSeqno}`);
    assert(seqno >= this.#firstSeqnoInMemory - 1, `truncate to ${seqno} would roll back compacted entries (memory holds ${this.#firstSeqnoInMemory}..${this.lastSeqno})`);
    this.#entries.truncate(seqno + 1 - this.#firstSeqnoInMemory);
    while ((this.#viewRuns.at(-1)?.firstSeqno ?? 0) > seqno) this.#viewRuns.pop();
    this.#signatureSeqnos.truncate(this.#signatureIndexAtOrBefore(seqno) + 1);
    for (const configured of [...this.#configurations.keys()].reverse()) {
      if (configured <= seqno) break;
      this.#configurations.delete(configured);
    }
  }

  /**
   * Drops from memory the entries at or below `floor`, except the newest
   * entriesInMemoryMax of the log. The caller passes a floor at or below its commit seqno,
   * under everything a Ready still has to hand over.
   */
  compact(floor: number): void {
    assert(floor >= 0 && floor <= this.lastSeqno, `compaction floor ${floor} outside 0..${this.lastSeqno}`);
    const first = Math.min(floor + 1, this.lastSeqno - this.#entriesInMemoryMax + 1);
    if (first <= this.#firstSeqnoInMemory) return;
    this.#entries.dropFront(first - this.#firstSeqnoInMemory);
    this.#firstSeqnoInMemory = first;
    // Keep the last signature at or before the compacted part, and every later one.
    const keepFrom = this.#signatureIndexAtOrBefore(first - 1);
    if (keepFrom > 0) {
      this.#signatureSeqnos.dropFront(keepFrom);
      this.#signaturesKnownFrom = this.#signatureSeqnos.at(0) as number;
    }
    assert(this.#entries.length >= this.#entriesInMemoryMax, 'compaction dropped one of the newest entries');
  }

  /**
   * Highest signature seqno in 1..`upTo`, or 0. Exact only from the last signature before
   * the compacted part on (asserted): ask about what lies above the commit seqno.
   */
  lastSignatureAtOrBefore(upTo: number): number {
    assert(upTo >= this.#signaturesKnownFrom, `signatures at or before ${upTo} are compacted (known from ${this.#signaturesKnownFrom})`);
    return this.#signatureSeqnos.at(this.#signatureIndexAtOrBefore(upTo)) ?? 0;
  }

  /**
   * For a refused append at `prev`: the highest seqno at or before `prev` whose view is at
   * most `prev.view`. Entries of later views there cannot match, so the primary may skip
   * them in one step (etcd's findConflictByTerm). Views only grow along the log, so those
   * seqnos are a prefix: the runs of views up to prev.view.
   */
  backOffHint(prev: TxId): number {
    const runs = this.#viewRuns;
    let low = 0;
    let high = runs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((runs[middle] as ViewRun).view <= prev.view) low = middle + 1;
      else high = middle;
    }
    // runs[low] is the first run of a later view (if any): everything before it qualifies.
    const prefixEnd = low === runs.length ? this.lastSeqno : (runs[low] as ViewRun).firstSeqno - 1;
    const seqno = Math.min(prev.seqno, prefixEnd);
    // The entry at prev.seqno itself did not match, so never offer it back.
    return seqno === prev.seqno ? seqno - 1 : seqno;
  }

  /** The view of the entry at `seqno`, which must be in 1..lastSeqno. */
  #viewAt(seqno: number): number {
    const runs = this.#viewRuns;
    let low = 0;
    let high = runs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((runs[middle] as ViewRun).firstSeqno <= seqno) low = middle + 1;
      else high = middle;
    }
    const run = runs[low - 1];
    assert(run !== undefined && seqno <= this.lastSeqno, `no view for seqno ${seqno}`);
    return run.view;
  }

  /** Index in #signatureSeqnos of the last signature at or before `seqno`; -1 if none. */
  #signatureIndexAtOrBefore(seqno: number): number {
    const signatures = this.#signatureSeqnos;
    let low = 0;
    let high = signatures.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((signatures.at(middle) as number) <= seqno) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }
}
