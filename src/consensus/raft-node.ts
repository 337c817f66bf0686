// Raft as a pure state machine, in the style of etcd's raft: the caller drives it with
// tick(), step(message) and propose(), then takes a Ready (entries to persist, messages to
// send, entries committed) and calls advance(). No I/O, no clock, no ambient randomness:
// time is ticks and randomness is a seeded source, so a cluster simulates in one process.
//
// CCF's variations on Raft, which Coco follows:
// - commit advances only to a signature entry replicated on a majority (DESIGN.md);
// - a voter compares the candidate's last *signed* TxId with its own (Raft §5.4.1, CCF);
// - a new primary discards its own suffix after its last signature entry.
// Plus PreVote and CheckQuorum (Raft thesis §9.6, §6.2), as etcd does.
import assert from 'node:assert/strict';
import type { TxId } from '../ledger/tx-id.js';
import {
  appendEntriesBytesMax,
  appendEntriesEntriesMax,
  appendEntriesInflightMax,
  uncommittedEntriesMax,
} from '../limits.js';
import { type Configuration, hasQuorum, makeConfiguration, quorumSize } from './configuration.js';
import {
  type AppendEntries,
  type AppendEntriesResponse,
  compareTxIds,
  type Entry,
  type Envelope,
  type Message,
  type RequestVote,
  type RequestVoteResponse,
} from './messages.js';
import { RaftLog } from './raft-log.js';
import type { HardState, Ready, Role } from './ready.js';

export interface RaftNodeOptions {
  readonly id: string;
  /** The other voting nodes (static configuration: see configuration.ts). */
  readonly peers: readonly string[];
  /** Base election timeout T; each wait is drawn from [T, 2T) (Raft §5.2). */
  readonly electionTimeoutTicks: number;
  /** A primary sends heartbeats this often; must be well below the election timeout. */
  readonly heartbeatTicks: number;
  /** Seeded source of numbers in [0, 1). */
  readonly random: () => number;
  /** State from the caller's durable storage, when restarting. */
  readonly persisted?: { readonly view: number; readonly votedFor: string | undefined; readonly log: readonly Entry[] };
}

/** What a primary knows about one backup's log (etcd's Progress). */
interface Progress {
  /** Highest seqno known to match the primary's log. */
  matchSeqno: number;
  /** Next seqno to send; optimistic, may run ahead of what the backup holds. */
  nextSeqno: number;
  /** AppendEntries with entries sent and not yet acknowledged (reset each heartbeat). */
  inflight: number;
  /** Heard from since the last CheckQuorum. */
  recentActive: boolean;
}

export class RaftNode {
  readonly id: string;
  readonly configuration: Configuration;
  readonly #peers: readonly string[];
  readonly #electionTimeoutTicks: number;
  readonly #heartbeatTicks: number;
  readonly #random: () => number;

  #view: number;
  #votedFor: string | undefined;
  #role: Role = 'backup';
  #primaryId: string | undefined;
  readonly #log: RaftLog;
  #commitSeqno = 0;

  #electionElapsed = 0;
  #heartbeatElapsed = 0;
  #randomizedElectionTimeoutTicks = 0;
  readonly #votes = new Map<string, boolean>();
  readonly #progress = new Map<string, Progress>();

  // Ready bookkeeping: what the caller has durably, and what it has applied.
  #outbox: Envelope[] = [];
  #persistedSeqno: number;
  #appliedSeqno = 0;
  #rolledBackTo: number | undefined;
  #pending: { persistedSeqno: number; appliedSeqno: number } | undefined;

  constructor(options: RaftNodeOptions) {
    assert(options.electionTimeoutTicks >= 2, 'election timeout too short');
    assert(options.heartbeatTicks >= 1 && options.heartbeatTicks < options.electionTimeoutTicks, 'heartbeat must be shorter than the election timeout');
    assert(!options.peers.includes(options.id), 'peers must not include this node');
    this.id = options.id;
    this.#peers = [...options.peers];
    this.configuration = makeConfiguration([options.id, ...options.peers]);
    this.#electionTimeoutTicks = options.electionTimeoutTicks;
    this.#heartbeatTicks = options.heartbeatTicks;
    this.#random = options.random;
    this.#view = options.persisted?.view ?? 0;
    this.#votedFor = options.persisted?.votedFor;
    this.#log = new RaftLog(options.persisted?.log ?? []);
    assert(this.#log.lastTxId.view <= this.#view, 'persisted log is ahead of the persisted view');
    this.#persistedSeqno = this.#log.lastSeqno;
    this.#resetElectionTimer();
  }

  get view(): number { return this.#view; }
  get role(): Role { return this.#role; }
  get primaryId(): string | undefined { return this.#primaryId; }
  get votedFor(): string | undefined { return this.#votedFor; }
  get commitSeqno(): number { return this.#commitSeqno; }
  get lastTxId(): TxId { return this.#log.lastTxId; }
  get lastSignedTxId(): TxId { return this.#log.lastSignedTxId; }
  /** The whole in-memory log, oldest first (read-only; for inspection and tests). */
  get entries(): readonly Entry[] { return this.#log.entries; }

  /** One unit of logical time. */
  tick(): void {
    this.#assertNoPendingReady();
    if (this.#role === 'primary') this.#tickPrimary();
    else this.#tickElection();
  }

  /** Handles one message from a peer. Messages from nodes outside the configuration are dropped. */
  step(message: Message): void {
    this.#assertNoPendingReady();
    if (message.from === this.id || !this.configuration.nodes.includes(message.from)) return;
    if (message.view > this.#view) {
      if (message.type === 'request-vote') {
        // Raft thesis §4.2.3 / CheckQuorum: while we hear from a live primary, a vote
        // request is a disruption (a node back from a partition), not a reason to move on.
        if (this.#inLease()) return;
        if (!message.preVote) this.#becomeBackup(message.view, undefined);
      } else if (message.type === 'request-vote-response' && message.preVote && message.granted) {
        // A granted pre-vote carries the view we would campaign in: nobody has moved yet.
      } else {
        this.#becomeBackup(message.view, message.type === 'append-entries' ? message.from : undefined);
      }
    } else if (message.view < this.#view) {
      // Stale. Tell an old primary or pre-candidate about the newer view so it steps down
      // (etcd does the same when CheckQuorum or PreVote is on); drop the rest.
      if (message.type === 'append-entries') {
        this.#send(message.from, { type: 'append-entries-response', from: this.id, view: this.#view, success: false, rejectedSeqno: message.prevTxId.seqno, hintSeqno: 0 });
      } else if (message.type === 'request-vote' && message.preVote) {
        this.#send(message.from, { type: 'request-vote-response', from: this.id, view: this.#view, preVote: true, granted: false });
      }
      return;
    }
    if (message.type === 'request-vote') {
      this.#handleVoteRequest(message);
      return;
    }
    switch (this.#role) {
      case 'primary': this.#stepPrimary(message); break;
      case 'pre-candidate':
      case 'candidate': this.#stepCandidate(message); break;
      case 'backup': this.#stepBackup(message); break;
    }
  }

  /**
   * Appends an entry at the primary; returns its TxId, or undefined if this node is not
   * the primary or holds uncommittedEntriesMax entries past its commit seqno already.
   * A TxId is a promise only once committed: it may still be rolled back.
   */
  propose(data: Uint8Array, isSignature: boolean): TxId | undefined {
    this.#assertNoPendingReady();
    if (this.#role !== 'primary') return undefined;
    if (this.#log.lastSeqno - this.#commitSeqno >= uncommittedEntriesMax) return undefined;
    const txId = { view: this.#view, seqno: this.#log.lastSeqno + 1 };
    this.#log.append({ ...txId, isSignature, data });
    for (const peer of this.#peers) this.#sendAppend(peer, false);
    this.#maybeCommit();
    return txId;
  }

  /** Whether ready() would return anything to do. */
  hasReady(): boolean {
    return this.#outbox.length > 0 || this.#rolledBackTo !== undefined
      || this.#persistedSeqno < this.#log.lastSeqno || this.#appliedSeqno < this.#commitSeqno;
  }

  /** The work for the caller, in the order the Ready's field comments give. Then advance(). */
  ready(): Ready {
    this.#assertNoPendingReady();
    const lastSeqno = this.#log.lastSeqno;
    assert(this.#appliedSeqno <= this.#commitSeqno && this.#commitSeqno <= lastSeqno, 'applied <= commit <= last');
    const ready: Ready = {
      rolledBackTo: this.#rolledBackTo,
      entriesToPersist: this.#persistedSeqno < lastSeqno ? this.#log.slice(this.#persistedSeqno + 1, lastSeqno) : [],
      hardState: this.hardState,
      messages: this.#outbox,
      committed: this.#appliedSeqno < this.#commitSeqno ? this.#log.slice(this.#appliedSeqno + 1, this.#commitSeqno) : [],
      role: this.#role,
      primaryId: this.#primaryId,
      commitSeqno: this.#commitSeqno,
    };
    this.#outbox = [];
    this.#rolledBackTo = undefined;
    this.#pending = { persistedSeqno: lastSeqno, appliedSeqno: this.#commitSeqno };
    return ready;
  }

  /** The caller has done everything the last Ready asked. */
  advance(): void {
    assert(this.#pending !== undefined, 'advance() without ready()');
    this.#persistedSeqno = this.#pending.persistedSeqno;
    this.#appliedSeqno = this.#pending.appliedSeqno;
    this.#pending = undefined;
  }

  get hardState(): HardState {
    return { view: this.#view, votedFor: this.#votedFor };
  }

  /**
   * How many nodes (this one included) must hold a signature for the primary to commit it.
   * A seam for the simulation's planted-bug test; nothing else overrides it.
   */
  protected commitQuorumSize(): number {
    return quorumSize(this.configuration);
  }

  // --- Time -------------------------------------------------------------------------

  #tickElection(): void {
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#randomizedElectionTimeoutTicks) this.#campaign(true);
  }

  #tickPrimary(): void {
    this.#electionElapsed++;
    this.#heartbeatElapsed++;
    if (this.#electionElapsed >= this.#electionTimeoutTicks) {
      this.#electionElapsed = 0;
      // CheckQuorum (Raft thesis §6.2): a primary cut off from a majority steps down, so
      // clients stop waiting on it and its lease cannot block a new election forever.
      const active = hasQuorum(this.configuration, (node) => node === this.id || this.#progressOf(node).recentActive);
      if (!active) {
        this.#becomeBackup(this.#view, undefined);
        return;
      }
      for (const peer of this.#peers) this.#progressOf(peer).recentActive = false;
    }
    if (this.#heartbeatElapsed >= this.#heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      for (const peer of this.#peers) {
        // Unacknowledged sends may be lost: start over from nextSeqno; a refusal backs off.
        this.#progressOf(peer).inflight = 0;
        this.#sendAppend(peer, true);
      }
    }
  }

  #resetElectionTimer(): void {
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    const draw = this.#random();
    assert(draw >= 0 && draw < 1, 'random() must return a number in [0, 1)');
    // Raft §5.2: randomized timeouts in [T, 2T) make split votes rare.
    this.#randomizedElectionTimeoutTicks = this.#electionTimeoutTicks + Math.floor(draw * this.#electionTimeoutTicks);
  }

  #inLease(): boolean {
    return this.#primaryId !== undefined && this.#electionElapsed < this.#electionTimeoutTicks;
  }

  // --- Role transitions (small and guarded, STYLE.md §4) --------------------------------

  #becomeBackup(view: number, primaryId: string | undefined): void {
    assert(view >= this.#view, 'views never decrease');
    if (view > this.#view) {
      this.#view = view;
      this.#votedFor = undefined;
    }
    this.#role = 'backup';
    this.#primaryId = primaryId;
    this.#votes.clear();
    this.#progress.clear();
    this.#resetElectionTimer();
  }

  /** PreVote first (Raft thesis §9.6): ask whether we could win before raising the view. */
  #campaign(preVote: boolean): void {
    if (preVote) {
      assert(this.#role !== 'primary', 'a primary does not campaign');
      this.#role = 'pre-candidate';
    } else {
      assert.equal(this.#role, 'pre-candidate', 'only a pre-candidate that won its pre-vote campaigns');
      this.#view++;
      this.#votedFor = this.id;
      this.#role = 'candidate';
    }
    this.#primaryId = undefined;
    this.#progress.clear();
    this.#votes.clear();
    this.#votes.set(this.id, true);
    this.#resetElectionTimer();
    if (this.#tallyVotes()) return;
    const request: RequestVote = {
      type: 'request-vote',
      from: this.id,
      view: preVote ? this.#view + 1 : this.#view,
      preVote,
      lastSignedTxId: this.#log.lastSignedTxId,
    };
    for (const peer of this.#peers) this.#send(peer, request);
  }

  /** Moves on if the votes decide the election; returns whether they did. */
  #tallyVotes(): boolean {
    if (hasQuorum(this.configuration, (node) => this.#votes.get(node) === true)) {
      if (this.#role === 'pre-candidate') this.#campaign(false);
      else this.#becomePrimary();
      return true;
    }
    if (hasQuorum(this.configuration, (node) => this.#votes.get(node) === false)) {
      this.#becomeBackup(this.#view, undefined);
      return true;
    }
    return false;
  }

  #becomePrimary(): void {
    assert.equal(this.#role, 'candidate', 'only a candidate becomes primary');
    assert.equal(this.#votedFor, this.id, 'a candidate votes for itself');
    this.#role = 'primary';
    this.#primaryId = this.id;
    this.#votes.clear();
    this.#resetElectionTimer();
    // CCF: entries after the last signature were never committable anywhere (commit stops
    // only at signatures), so the new primary drops them rather than re-sign them.
    this.#truncateAfter(this.#log.lastSignedTxId.seqno);
    for (const peer of this.#peers) {
      this.#progress.set(peer, { matchSeqno: 0, nextSeqno: this.#log.lastSeqno + 1, inflight: 0, recentActive: false });
    }
    for (const peer of this.#peers) this.#sendAppend(peer, true);
    this.#maybeCommit();
  }

  // --- Votes --------------------------------------------------------------------------

  #handleVoteRequest(request: RequestVote): void {
    // CCF's election restriction: the candidate's last signed TxId must be at least ours.
    // Every committed entry is at or before a committed signature, so this keeps them all.
    const upToDate = compareTxIds(request.lastSignedTxId, this.#log.lastSignedTxId) >= 0;
    if (request.preVote) {
      const granted = request.view > this.#view && upToDate;
      this.#send(request.from, { type: 'request-vote-response', from: this.id, view: granted ? request.view : this.#view, preVote: true, granted });
      return;
    }
    assert.equal(request.view, this.#view);
    const free = this.#votedFor === request.from || (this.#votedFor === undefined && this.#primaryId === undefined);
    const granted = free && upToDate;
    if (granted) {
      // Raft §5.2: at most one vote per view, and it is persisted (hardState) before the reply.
      assert(this.#votedFor === undefined || this.#votedFor === request.from, 'two votes in one view');
      this.#votedFor = request.from;
      this.#electionElapsed = 0;
    }
    this.#send(request.from, { type: 'request-vote-response', from: this.id, view: this.#view, preVote: false, granted });
  }

  // --- Step functions, one per role (etcd's stepLeader / stepCandidate / stepFollower) --

  #stepCandidate(message: Exclude<Message, RequestVote>): void {
    switch (message.type) {
      case 'append-entries':
        // A primary exists in our view (or a later one): Raft §5.2, return to backup.
        this.#becomeBackup(message.view, message.from);
        this.#handleAppend(message);
        return;
      case 'request-vote-response':
        this.#handleVoteResponse(message);
        return;
      case 'append-entries-response':
        return;
    }
  }

  #handleVoteResponse(response: RequestVoteResponse): void {
    const preVoting = this.#role === 'pre-candidate';
    if (response.preVote !== preVoting) return;
    const expectedView = preVoting && response.granted ? this.#view + 1 : this.#view;
    if (response.view !== expectedView || this.#votes.has(response.from)) return;
    this.#votes.set(response.from, response.granted);
    this.#tallyVotes();
  }

  #stepBackup(message: Exclude<Message, RequestVote>): void {
    if (message.type !== 'append-entries') return;
    assert(this.#primaryId === undefined || this.#primaryId === message.from, `two primaries in view ${this.#view}`);
    this.#primaryId = message.from;
    this.#electionElapsed = 0;
    this.#handleAppend(message);
  }

  #stepPrimary(message: Exclude<Message, RequestVote>): void {
    switch (message.type) {
      case 'append-entries':
        assert.fail(`two primaries in view ${this.#view}: ${this.id} and ${message.from}`);
        break;
      case 'append-entries-response':
        this.#handleAppendResponse(message);
        return;
      case 'request-vote-response':
        return;
    }
  }

  // --- Replication --------------------------------------------------------------------

  /** Raft §5.3 at a backup: check prevTxId, drop a conflicting suffix, append the rest. */
  #handleAppend(request: AppendEntries): void {
    const { prevTxId, entries } = request;
    entries.forEach((entry, offset) => {
      assert.equal(entry.seqno, prevTxId.seqno + 1 + offset, 'appended entries must be contiguous');
      assert(entry.view >= prevTxId.view && entry.view <= request.view, 'appended entry from an impossible view');
    });
    if (!this.#log.matches(prevTxId)) {
      assert(prevTxId.seqno > this.#commitSeqno, 'a primary disagrees with a committed entry');
      this.#send(request.from, {
        type: 'append-entries-response', from: this.id, view: this.#view,
        success: false, rejectedSeqno: prevTxId.seqno, hintSeqno: this.#log.backOffHint(prevTxId),
      });
      return;
    }
    for (const entry of entries) {
      const existing = this.#log.txIdAt(entry.seqno);
      if (existing?.view === entry.view) {
        // Log Matching (Raft §5.3): the same TxId is the same entry.
        assert.equal(this.#log.at(entry.seqno).isSignature, entry.isSignature, 'log matching violated');
        continue;
      }
      if (existing !== undefined) this.#truncateAfter(entry.seqno - 1);
      this.#log.append(entry);
    }
    const lastNewSeqno = prevTxId.seqno + entries.length;
    // Only the part of our log just checked against the primary's may be committed, and
    // only up to a signature (so a later election never truncates below it).
    const target = this.#log.lastSignatureAtOrBefore(Math.min(request.commitSeqno, lastNewSeqno));
    if (target > this.#commitSeqno) this.#commitTo(target);
    this.#send(request.from, { type: 'append-entries-response', from: this.id, view: this.#view, success: true, matchSeqno: lastNewSeqno });
  }

  #handleAppendResponse(response: AppendEntriesResponse): void {
    const progress = this.#progressOf(response.from);
    progress.recentActive = true;
    if (response.success) {
      assert(response.matchSeqno <= this.#log.lastSeqno, 'a backup matched entries this primary never sent');
      progress.inflight = Math.max(0, progress.inflight - 1);
      if (response.matchSeqno > progress.matchSeqno) {
        progress.matchSeqno = response.matchSeqno;
        progress.nextSeqno = Math.max(progress.nextSeqno, response.matchSeqno + 1);
        this.#maybeCommit();
      }
      this.#sendAppend(response.from, false);
      return;
    }
    if (response.rejectedSeqno < progress.matchSeqno) return; // stale refusal
    progress.nextSeqno = Math.max(progress.matchSeqno + 1, Math.min(response.rejectedSeqno, response.hintSeqno + 1));
    progress.inflight = 0;
    this.#sendAppend(response.from, true);
  }

  /** Sends what the backup lacks, within the flow-control limits; a heartbeat if `always`. */
  #sendAppend(peer: string, always: boolean): void {
    const progress = this.#progressOf(peer);
    const lastSeqno = this.#log.lastSeqno;
    const hasEntries = progress.nextSeqno <= lastSeqno && progress.inflight < appendEntriesInflightMax;
    if (!hasEntries && !always) return;
    const prevTxId = this.#log.txIdAt(progress.nextSeqno - 1);
    assert(prevTxId !== undefined, 'nextSeqno past the end of the log');
    const entries = hasEntries ? this.#batchFrom(progress.nextSeqno) : [];
    if (entries.length > 0) {
      progress.nextSeqno += entries.length;
      progress.inflight++;
    }
    this.#send(peer, { type: 'append-entries', from: this.id, view: this.#view, prevTxId, entries, commitSeqno: this.#commitSeqno });
  }

  /** Entries from `seqno` within appendEntriesEntriesMax and appendEntriesBytesMax (at least one). */
  #batchFrom(seqno: number): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    for (let next = seqno; next <= this.#log.lastSeqno && batch.length < appendEntriesEntriesMax; next++) {
      const entry = this.#log.at(next);
      if (batch.length > 0 && bytes + entry.data.byteLength > appendEntriesBytesMax) break;
      bytes += entry.data.byteLength;
      batch.push(entry);
    }
    return batch;
  }

  /**
   * Commits the last signature held by a majority, if it is of this view: Raft §5.4.2
   * (earlier views' entries commit only beneath one of ours) plus CCF's signature rule.
   */
  #maybeCommit(): void {
    assert.equal(this.#role, 'primary');
    const matches = this.configuration.nodes
      .map((node) => (node === this.id ? this.#log.lastSeqno : this.#progressOf(node).matchSeqno))
      .sort((a, b) => b - a);
    const replicatedSeqno = matches[this.commitQuorumSize() - 1] ?? 0;
    const target = this.#log.lastSignatureAtOrBefore(replicatedSeqno);
    if (target > this.#commitSeqno && this.#log.at(target).view === this.#view) this.#commitTo(target);
  }

  #commitTo(seqno: number): void {
    assert(seqno > this.#commitSeqno, `commit seqno must only grow (${this.#commitSeqno} -> ${seqno})`);
    assert(this.#log.at(seqno).isSignature, 'commit stops only at signature entries');
    this.#commitSeqno = seqno;
  }

  #truncateAfter(seqno: number): void {
    if (seqno >= this.#log.lastSeqno) return;
    assert(seqno >= this.#commitSeqno, `rolling back to ${seqno} would lose committed ${this.#commitSeqno}`);
    this.#log.truncateAfter(seqno);
    this.#rolledBackTo = Math.min(this.#rolledBackTo ?? seqno, seqno);
    this.#persistedSeqno = Math.min(this.#persistedSeqno, seqno);
  }

  #progressOf(peer: string): Progress {
    const progress = this.#progress.get(peer);
    assert(progress !== undefined, `no progress for ${peer}`);
    return progress;
  }

  #send(to: string, message: Message): void {
    this.#outbox.push({ to, message });
  }

  #assertNoPendingReady(): void {
    assert(this.#pending === undefined, 'call advance() after ready() before driving the node again');
  }
}
