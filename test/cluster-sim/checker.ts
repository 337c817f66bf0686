// The invariants of the cluster simulation, checked against a global record of everything
// any replica ever held. Each check throws an Error naming the node and what broke.
//
// - One primary per view.
// - A replica's parts stand at the same seqno: Raft log, ledger, history, store.
// - Log Matching on ledger bytes: one TxId is one entry (the same bytes on every node, in
//   memory and in the ledger files), preceded by the same TxId everywhere; so two nodes
//   holding a TxId hold the same prefix up to it.
// - Committed entries are never lost or changed: one committed log for the whole run, and
//   every node's committed prefix is a prefix of it, restarts included.
// - Equal state at equal history: two stores whose last entry is the same TxId hold the
//   same prefix (Log Matching), so their state digests must be equal. This compares
//   uncommitted states too, and committed ones whenever nodes stand at the same commit.
// - Transaction status moves on each node only as docs/consistency.md promises (below),
//   and no TxId is Committed on one node and Invalid on another, or Committed anywhere
//   without being in the committed log.
// - Receipts of committed transactions verify against the service certificate, prove the
//   committed entry's bytes and are signed by a committed signature transaction.
import assert from 'node:assert/strict';
import type { Entry } from '../../src/consensus/messages.js';
import type { RaftNode } from '../../src/consensus/raft-node.js';
import type { Store } from '../../src/kv/store.js';
import type { ChunkedLedger } from '../../src/ledger/chunked-ledger.js';
import { decodeEntryHeader } from '../../src/ledger/entry.js';
import { entryLeafComponents } from '../../src/ledger/leaf.js';
import { verifyReceipt } from '../../src/ledger/receipt.js';
import type { TxHistory } from '../../src/ledger/tx-history.js';
import { formatTxId, type TxId } from '../../src/ledger/tx-id.js';
import type { Replica, TxStatus } from '../../src/node/replica.js';

/** One incarnation of a node, as the checker reads it. */
export interface ReplicaParts {
  readonly replica: Replica;
  readonly raft: RaftNode;
  readonly store: Store;
  readonly history: TxHistory;
  readonly ledger: ChunkedLedger;
}

export interface CheckerStats {
  /** Status checks that saw Pending turn Unknown: the entry was rolled back, nothing later committed yet (CCF allows it). */
  pendingToUnknown: number;
  /** Committed read as Pending, or Invalid as Unknown, after a restart: the ledger's commit marker is a lower bound. */
  finalForgottenOnRestart: number;
  stateDigests: number;
  receiptsVerified: number;
}

interface NodeRecord {
  /**
   * Raft log entries already checked, by index: entries are immutable, so the same object
   * needs no second look. Where consensus had compacted an entry before the checker saw
   * it, the entry is rebuilt from the ledger's bytes and consensus's TxId.
   */
  checked: Entry[];
  /** How much of this incarnation's log was checked against the committed log. */
  checkedCommitted: number;
  /** The highest commit seqno this node ever reached, in any incarnation: never to be lost. */
  commitFloor: number;
  lastCommitSeqno: number;
  /** Statuses seen in this incarnation. */
  statuses: Map<string, TxStatus>;
  /** Final statuses (Committed, Invalid) seen in any incarnation. */
  finals: Map<string, TxStatus>;
}

/** Transaction ids whose status is checked on every node, per step. */
const statusChecksPerStep = 4;
/** Compacted seqnos whose TxId is checked again, per observation. */
const compactedChecksPerObservation = 2;

export class Checker {
  readonly stats: CheckerStats = { pendingToUnknown: 0, finalForgottenOnRestart: 0, stateDigests: 0, receiptsVerified: 0 };
  readonly #serviceCertificate: string;
  readonly #random: () => number;
  readonly #nodes = new Map<string, NodeRecord>();
  /** Every entry any node held, by TxId: its bytes and the view of the entry before it. */
  readonly #entries = new Map<string, { data: Uint8Array; prevView: number }>();
  /** The committed log, as TxIds by seqno - 1. */
  readonly #committed: string[] = [];
  /** TxIds some node called Invalid. */
  readonly #invalid = new Set<string>();
  readonly #primaryOfView = new Map<number, string>();
  /** State digest by the TxId of the last entry applied. */
  readonly #stateAt = new Map<string, string>();
  /** Transactions the simulated clients and governance ran, for status and receipt checks. */
  readonly #txIds: TxId[] = [];
  #statusCursor = 0;
  #observations = 0;

  constructor(serviceCertificate: string, random: () => number) {
    this.#serviceCertificate = serviceCertificate;
    this.#random = random;
  }

  get views(): number { return this.#primaryOfView.size; }
  get committedSeqno(): number { return this.#committed.length; }
  get transactions(): readonly TxId[] { return this.#txIds; }

  /** A node (re)starts: what it checked in memory is gone, what it committed must not be. */
  started(label: string): void {
    const record = this.#nodes.get(label);
    if (record === undefined) {
      this.#nodes.set(label, { checked: [], checkedCommitted: 0, commitFloor: 0, lastCommitSeqno: 0, statuses: new Map(), finals: new Map() });
      return;
    }
    record.checked = [];
    record.checkedCommitted = 0;
    record.lastCommitSeqno = 0;
    record.statuses = new Map();
  }

  /** A transaction a client or governance ran on a primary. */
  ran(txId: TxId): void {
    this.#txIds.push(txId);
  }

  /** After every Ready a node processed: everything but statuses, states and receipts. */
  observe(label: string, parts: ReplicaParts): void {
    const record = this.#record(label);
    const { replica, raft, store, history, ledger } = parts;
    if (replica.role === 'primary') {
      const other = this.#primaryOfView.get(replica.view);
      assert(other === undefined || other === label, `two primaries in view ${replica.view}: ${other} and ${label}`);
      this.#primaryOfView.set(replica.view, label);
    }
    const last = raft.lastTxId.seqno;
    assert(ledger.lastSeqno === last && history.lastSeqno === last && store.version === last,
      `${label}: parts disagree: log ${last}, ledger ${ledger.lastSeqno}, history ${history.lastSeqno}, store ${store.version}`);
    const commitSeqno = replica.commitSeqno;
    assert(commitSeqno >= record.lastCommitSeqno, `${label}: commit seqno went back from ${record.lastCommitSeqno} to ${commitSeqno}`);
    assert(commitSeqno <= last && commitSeqno === raft.commitSeqno, `${label}: commit seqno ${commitSeqno} (consensus ${raft.commitSeqno}) past the log's ${last}`);
    assert(last >= record.commitFloor, `${label} lost committed entries: log ends at ${last}, it had committed ${record.commitFloor}`);
    const committedBefore = record.lastCommitSeqno;
    record.lastCommitSeqno = commitSeqno;
    this.#checkLog(label, record, raft, ledger, committedBefore);
    for (; record.checkedCommitted < commitSeqno; record.checkedCommitted++) {
      const entry = record.checked[record.checkedCommitted] as Entry;
      this.#committedAt(label, entry.seqno, keyOf(entry));
    }
    record.commitFloor = Math.max(record.commitFloor, commitSeqno);
  }

  /**
   * The state digest of a store whose last entry is `txId` is the same on every node:
   * their whole histories are equal.
   */
  checkState(label: string, parts: ReplicaParts): string {
    const at = formatTxId(parts.raft.lastTxId);
    const digest = parts.store.stateDigest();
    this.stats.stateDigests++;
    const known = this.#stateAt.get(at);
    if (known === undefined) this.#stateAt.set(at, digest);
    else assert.equal(digest, known, `${label}: state after ${at} differs from another node's`);
    return digest;
  }

  /**
   * A few transactions, in turn, on every running node, against docs/consistency.md
   * ("Transaction ids and status"): Committed and Invalid are final on a node, except
   * that across a restart Committed may read Pending and Invalid may read Unknown (the
   * commit seqno restarts from the ledger's commit marker, a lower bound), never the
   * other final status; Unknown and Pending may alternate (a rolled-back copy with no
   * later view committed yet, as CCF's evaluate_tx_status allows). Both exceptions are
   * counted in the stats.
   */
  checkStatuses(nodes: ReadonlyArray<{ readonly label: string; readonly parts: ReplicaParts | undefined }>): void {
    const count = Math.min(statusChecksPerStep, this.#txIds.length);
    for (let check = 0; check < count; check++) {
      const txId = this.#txIds[this.#statusCursor++ % this.#txIds.length] as TxId;
      for (const { label, parts } of nodes) if (parts !== undefined) this.checkStatus(label, parts, txId);
    }
  }

  checkStatus(label: string, parts: ReplicaParts, txId: TxId): TxStatus {
    const record = this.#record(label);
    const key = formatTxId(txId);
    const status = parts.replica.txStatus(txId);
    const before = record.statuses.get(key);
    const final = record.finals.get(key);
    if (before === 'Committed' || before === 'Invalid') {
      assert.equal(status, before, `${label}: ${key} went from ${before} to ${status}`);
    } else if (final !== undefined && status !== final) {
      // Reached before a restart, not yet in this incarnation.
      assert(final === 'Committed' ? status === 'Pending' : status === 'Unknown', `${label}: ${key} was ${final} before a restart and is ${status} after it`);
      this.stats.finalForgottenOnRestart++;
    } else if (before === 'Pending' && status === 'Unknown') {
      this.stats.pendingToUnknown++;
    }
    record.statuses.set(key, status);
    if (status === 'Committed') {
      record.finals.set(key, status);
      assert(!this.#invalid.has(key), `${key} is Committed on ${label} and was Invalid elsewhere`);
      this.#committedAt(label, txId.seqno, key);
    } else if (status === 'Invalid') {
      record.finals.set(key, status);
      this.#invalid.add(key);
      assert.notEqual(this.#committed[txId.seqno - 1], key, `${label} calls committed ${key} Invalid`);
    }
    return status;
  }

  /**
   * Receipts for `count` committed transactions, each from a random node that calls it
   * Committed, checked as a client would: the JSON, verified with the service
   * certificate, proving the committed entry, under a committed signature.
   */
  checkReceipts(nodes: ReadonlyArray<{ readonly label: string; readonly parts: ReplicaParts | undefined }>, count: number): void {
    const committed = this.#txIds.filter((txId) => this.#committed[txId.seqno - 1] === formatTxId(txId));
    for (let check = 0; check < Math.min(count, committed.length); check++) {
      const txId = committed[Math.floor(this.#random() * committed.length)] as TxId;
      const holders = nodes.filter((node) => node.parts !== undefined && node.parts.replica.txStatus(txId) === 'Committed');
      const holder = holders[Math.floor(this.#random() * holders.length)];
      if (holder?.parts !== undefined) this.checkReceipt(holder.label, holder.parts, txId);
    }
  }

  checkReceipt(label: string, parts: ReplicaParts, txId: TxId): void {
    const key = formatTxId(txId);
    const lookup = parts.replica.receipt(txId);
    if (lookup.status !== 'ready') assert.fail(`${label}: no receipt for committed ${key} (${lookup.status})`);
    const receipt: unknown = JSON.parse(JSON.stringify(lookup.receipt));
    const check = verifyReceipt(receipt, this.#serviceCertificate);
    assert(check.ok, `${label}: receipt for ${key} does not verify: ${check.ok ? '' : check.reason}`);
    const entry = this.#entries.get(key);
    assert(entry !== undefined);
    const writeSetDigest = Buffer.from(entryLeafComponents(Buffer.from(entry.data)).writeSetDigest).toString('hex');
    assert.equal(lookup.receipt.leaf_components.write_set_digest, writeSetDigest, `${label}: receipt for ${key} proves other bytes`);
    const { signature } = lookup.receipt;
    assert.equal(this.#committed[signature.seqno - 1], `${signature.view}.${signature.seqno}`, `${label}: receipt for ${key} is signed by uncommitted ${signature.view}.${signature.seqno}`);
    this.stats.receiptsVerified++;
  }

  #record(label: string): NodeRecord {
    const record = this.#nodes.get(label);
    assert(record !== undefined, `${label} never started`);
    return record;
  }

  /**
   * Checks the entries that changed since the last look. A log only loses or gains a
   * suffix, so the unchanged part is the longest prefix of still-identical objects. Entries
   * compaction dropped from memory (only committed ones: asserted) cannot be compared so:
   * those committed at the last look cannot have changed and stay checked (a few of their
   * TxIds are checked again each time, as later compactions and rollbacks must leave them
   * alone); later ones, which may have been rolled back, replaced, committed and compacted
   * since, are checked again. An entry no longer in memory is read from the ledger, with
   * consensus's TxId for it.
   */
  #checkLog(label: string, record: NodeRecord, raft: RaftNode, ledger: ChunkedLedger, committedBefore: number): void {
    const last = raft.lastTxId.seqno;
    const firstInMemory = raft.firstSeqnoInMemory;
    assert(firstInMemory <= raft.commitSeqno + 1, `${label}: consensus dropped uncommitted entries from memory (holds ${firstInMemory}..${last}, commit ${raft.commitSeqno})`);
    let same = Math.min(last, record.checked.length);
    while (same > 0 && (same >= firstInMemory ? raft.entryAt(same) !== record.checked[same - 1] : same > committedBefore)) same--;
    record.checked.length = same;
    const compacted = same + 1 < firstInMemory ? ledger.readRange(same + 1, firstInMemory - 1) : [];
    for (let seqno = same + 1; seqno <= last; seqno++) {
      let entry = raft.entryAt(seqno);
      if (entry === undefined) {
        const stored = compacted[seqno - same - 1];
        const view = raft.txIdAt(seqno)?.view;
        assert(stored !== undefined && view !== undefined && decodeEntryHeader(stored.entry).view === view,
          `${label}: the ledger's entry at ${seqno} is not of view ${view}, as consensus says`);
        entry = { view, seqno, isSignature: stored.isSignature, data: stored.entry };
      } else {
        const stored = ledger.read(seqno);
        assert(stored !== undefined && Buffer.compare(stored.entry, entry.data) === 0 && stored.isSignature === entry.isSignature,
          `${label}: the ledger's entry at ${seqno} differs from consensus's ${keyOf(entry)}`);
      }
      const key = keyOf(entry);
      const prevView = record.checked[seqno - 2]?.view ?? 0;
      const known = this.#entries.get(key);
      if (known === undefined) {
        this.#entries.set(key, { data: entry.data, prevView });
      } else {
        assert(Buffer.compare(known.data, entry.data) === 0, `${label} holds other bytes for ${key}`);
        assert.equal(prevView, known.prevView, `${label}: log matching fails before ${key}`);
      }
      if (entry.seqno <= record.commitFloor) this.#committedAt(label, entry.seqno, key);
      record.checked.push(entry);
    }
    for (let check = 0; check < compactedChecksPerObservation && firstInMemory > 1; check++) {
      const seqno = 1 + ((this.#observations++ * 7919) % (firstInMemory - 1));
      assert.equal(raft.txIdAt(seqno)?.view, record.checked[seqno - 1]?.view, `${label}: compacted seqno ${seqno} changed its view`);
    }
  }

  #committedAt(label: string, seqno: number, key: string): void {
    const known = this.#committed[seqno - 1];
    if (known === undefined) {
      assert.equal(seqno, this.#committed.length + 1, `${label} committed ${key} past the end of the committed log`);
      assert(!this.#invalid.has(key), `${label} committed ${key}, which another node called Invalid`);
      this.#committed.push(key);
    } else {
      assert.equal(key, known, `${label} has ${key} where ${known} committed`);
    }
  }
}

function keyOf(entry: Entry): string {
  return `${entry.view}.${entry.seqno}`;
}
