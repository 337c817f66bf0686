// Raft as a pure state machine, in the style of etcd's raft: the caller drives it with
// tick(), step(message) and propose(), then takes a Ready (entries to persist, messages to
// send, entries committed) and calls advance(). No I/O, no clock, no ambient randomness:
// time is ticks and randomness is a seeded source, so a cluster simulates in one process.
//
// CCF's variations on Raft, which Coco follows:
// - commit advances only to a signature entry replicated on a quorum (DESIGN.md);
// - a voter compares the candidate's last *signed* TxId with its own (Raft §5.4.1, CCF);
// - a new primary discards its own suffix after its last signature entry;
// - membership comes from the log, with joint quorums while a change is in flight
//   (configuration.ts; Raft thesis §4.3), and a primary outside the newest committed
//   configuration retires.
// Plus PreVote and CheckQuorum (Raft thesis §9.6, §6.2), as etcd does.
//
// The log in memory is compacted (raft-log.ts): committed entries beyond a window of the
// newest are dropped, and a backup that needs them is fed from the caller's ledger
// through readEntries (entry-source.ts), within the same flow-control limits.
import assert from 'node:assert/strict';
import type { TxId } from '../ledger/tx-id.js';
import {
  appendEntriesBytesMax,
  appendEntriesEntriesMax,
  appendEntriesInflightMax,
  raftLogEntriesInMemoryMax,
  uncommittedEntriesMax,
} from '../limits.js';
import { ActiveConfigurations, assertConfiguration } from './configuration.js';
import type { EntrySource } from './entry-source.js';
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
  /**
   * The configuration before the first entry of the log (configuration.ts): [id] for a new
   * service, [] for a node joining with an empty log (it learns its configuration from the
   * primary), every node for a cluster set up without configuration entries.
   */
  readonly initialConfiguration: readonly string[];
  /** Base election timeout T; each wait is drawn from [T, 2T) (Raft §5.2). */
  readonly electionTimeoutTicks: number;
  /** A primary sends heartbeats this often; must be well below the election timeout. */
  readonly heartbeatTicks: number;
  /** Seeded source of numbers in [0, 1). */
  readonly random: () => number;
  /** Entries a primary holds past its commit seqno before it refuses transactions (canPropose); defaults to limits.ts. */
  readonly uncommittedEntriesMax?: number;
  /**
   * Reads entries back from the caller's durable log (its ledger) once compaction has
   * dropped them from memory, to catch up a backup that is far behind (entry-source.ts).
   * Without it the log is never compacted: every entry stays in memory.
   */
  readonly readEntries?: EntrySource;
  /**
   * With readEntries: how many of the newest entries the log always keeps in memory;
   * committed entries beyond them are dropped (raft-log.ts). Defaults to
   * raftLogEntriesInMemoryMax (limits.ts); tests and simulations pass tiny values.
   */
  readonly entriesInMemoryMax?: number;
  /**
   * A brand-new service: initialConfiguration must be [id] and there must be no persisted
   * state. The node is primary at view 1 at once, so genesis can be proposed immediately.
   */
  readonly bootstrap?: true;
  /** State from the caller's durable storage, when restarting. */
  readonly persisted?: {
    readonly view: number;
    readonly votedFor: string | undefined;
    /**
     * The durable log, oldest first. Read once, in order: with readEntries it may be a
     * generator over the ledger, and compaction keeps only the newest entries of it.
     */
    readonly log: Iterable<Entry>;
    /**
     * The highest seqno the caller recorded as committed (its ledger's commit marker; 0 if
     * none), a signature entry. Without it a restarted node would hold every configuration
     * its log ever had as active, and could need long-gone nodes for a quorum.
     */
    readonly commitSeqno: number;
  };
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
  readonly #configurations: ActiveConfigurations;
  readonly #electionTimeoutTicks: number;
  readonly #heartbeatTicks: number;
  readonly #random: () => number;
  readonly #uncommittedEntriesMax: number;
  readonly #readEntries: EntrySource | undefined;

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
  /** Entries proposed since the last ready(), not yet offered to the backups. */
  #proposedSinceReady = false;
  /** The hard state the last Ready carried (or the persisted one). */
  #readyHardState: HardState;
  #pending: { persistedSeqno: number; appliedSeqno: number } | undefined;

  constructor(options: RaftNodeOptions) {
    assert(options.electionTimeoutTicks >= 2, 'election timeout too short');
    assert(options.heartbeatTicks >= 1 && options.heartbeatTicks < options.electionTimeoutTicks, 'heartbeat must be shorter than the election timeout');
    if (options.initialConfiguration.length > 0) assertConfiguration(options.initialConfiguration);
    this.id = options.id;
    this.#electionTimeoutTicks = options.electionTimeoutTicks;
    this.#heartbeatTicks = options.heartbeatTicks;
    this.#random = options.random;
    this.#uncommittedEntriesMax = options.uncommittedEntriesMax ?? uncommittedEntriesMax;
    assert(Number.isSafeInteger(this.#uncommittedEntriesMax) && this.#uncommittedEntriesMax >= 1, 'uncommittedEntriesMax must be a positive whole number');
    this.#readEntries = options.readEntries;
    assert(options.entriesInMemoryMax === undefined || options.readEntries !== undefined, 'entriesInMemoryMax needs readEntries: compacted entries are read back through it');
    const entriesInMemoryMax = options.readEntries === undefined ? Infinity : (options.entriesInMemoryMax ?? raftLogEntriesInMemoryMax);
    const persisted = options.persisted;
    this.#view = persisted?.view ?? 0;
    this.#votedFor = persisted?.votedFor;
    this.#log = new RaftLog(entriesInMemoryMax);
    const commitSeqno = persisted?.commitSeqno ?? 0;
    // Compacted as it is read: the caller has persisted all of it and applied it up to the
    // commit seqno, so a long persisted log never sits in memory whole.
    for (const entry of persisted?.log ?? []) {
      this.#log.append(entry);
      this.#log.compact(Math.min(commitSeqno, entry.seqno));
    }
    assert(this.#log.lastTxId.view <= this.#view, 'persisted log is ahead of the persisted view');
    this.#persistedSeqno = this.#log.lastSeqno;
    assert(Number.isSafeInteger(commitSeqno) && commitSeqno >= 0 && commitSeqno <= this.#log.lastSeqno, `persisted commit seqno ${commitSeqno} is not in the log`);
    assert(commitSeqno === 0 || this.#log.isSignatureAt(commitSeqno) === true, `persisted commit seqno ${commitSeqno} is not a signature entry: commit stops only at signatures`);
    // The caller has applied what it recorded as committed: Ready.committed continues after it.
    this.#commitSeqno = commitSeqno;
    this.#appliedSeqno = commitSeqno;
    // Configurations come from the log alone (thesis §4.1): the last one at or before the
    // recorded commit, and every one after it. The recorded commit may lag the real one
    // (the caller records it after applying); a lagging node holds more configurations
    // than it needs, and forgets them when it learns the commit again (#learnCommit).
    this.#configurations = ActiveConfigurations.fromLog(options.id, options.initialConfiguration, this.#log.configurationEntries(), commitSeqno);
    this.#readyHardState = this.hardState;
    this.#resetElectionTimer();
    if (options.bootstrap === true) {
      assert.deepEqual(options.initialConfiguration, [options.id], 'a bootstrapped node starts a service alone: initialConfiguration must be [id]');
      assert(persisted === undefined, 'a bootstrapped node is brand new: it has no persisted state');
      // Alone in its configuration, it wins its pre-vote and election without a message.
      this.#campaign(true);
      assert(this.#role === 'primary' && this.#view === 1, 'a bootstrapped node is primary at view 1');
    }
  }

  get view(): number { return this.#view; }
  get role(): Role { return this.#role; }
  get primaryId(): string | undefined { return this.#primaryId; }
  get votedFor(): string | undefined { return this.#votedFor; }
  get commitSeqno(): number { return this.#commitSeqno; }
  get lastTxId(): TxId { return this.#log.lastTxId; }
  get lastSignedTxId(): TxId { return this.#log.lastSignedTxId; }
  /** The oldest seqno whose entry memory still holds; compaction (raft-log.ts) dropped those before it. */
  get firstSeqnoInMemory(): number { return this.#log.firstSeqnoInMemory; }
  /** The entry at `seqno` if memory still holds it (for inspection and tests). */
  entryAt(seqno: number): Entry | undefined { return this.#log.entryAt(seqno); }
  /** Entries from `seqno` (at least firstSeqnoInMemory) to the last, oldest first (a copy). */
  entriesFrom(seqno: number): Entry[] { return this.#log.slice(seqno, this.#log.lastSeqno); }
  /** The TxId at any seqno of the log, compacted or not: {0, 0} for 0, undefined past the end. */
  txIdAt(seqno: number): TxId | undefined { return this.#log.txIdAt(seqno); }
  /** The configurations an election or commit must satisfy, oldest first (configuration.ts). */
  get activeConfigurations(): readonly (readonly string[])[] { return this.#configurations.active; }
  /** Every node of any active configuration except this one: whom this node talks to. */
  get peers(): readonly string[] { return this.#configurations.peers; }

  /** One unit of logical time. */
  tick(): void {
    this.#assertNoPendingReady();
    if (this.#role === 'primary') this.#tickPrimary();
    else this.#tickElection();
  }

  /**
   * Handles one message from a peer. Responses (votes, acknowledgements) from nodes in no
   * active configuration are dropped: they count for nothing. Requests are taken from
   * anyone, as CCF does: a node that is behind may not yet know the configuration that
   * made the sender primary or candidate, and may be needed to elect the primary that will
   * catch it up. PreVote and the lease (thesis §9.6, §4.2.3) keep a departed node from
   * disrupting the rest.
   */
  step(message: Message): void {
    this.#assertNoPendingReady();
    if (message.from === this.id) return;
    const response = message.type === 'request-vote-response' || message.type === 'append-entries-response';
    if (response && !this.#configurations.includes(message.from)) return;
    if (message.type === 'request-vote-response' && this.#role !== 'primary') this.#learnCommit(message.commitTxId);
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
        this.#send(message.from, { type: 'request-vote-response', from: this.id, view: this.#view, preVote: true, granted: false, commitTxId: this.#commitTxId() });
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
   * Appends an entry at the primary; returns its TxId, or undefined when
   * canPropose(isSignature) is false. With `configuration`, the entry sets the voting
   * nodes from here on, at once (configuration.ts); the node layer keeps one change in
   * flight at a time. A TxId is a promise only once committed: it may still be rolled back.
   */
  propose(data: Uint8Array, isSignature: boolean, configuration?: readonly string[]): TxId | undefined {
    this.#assertNoPendingReady();
    if (!this.canPropose(isSignature)) return undefined;
    const txId = { view: this.#view, seqno: this.#log.lastSeqno + 1 };
    this.#append(configuration === undefined ? { ...txId, isSignature, data } : { ...txId, isSignature, data, configuration: [...configuration] });
    // Sent at the next ready(): every proposal until then travels in one AppendEntries per peer.
    this.#proposedSinceReady = true;
    return txId;
  }

  /**
   * Whether propose() would take an entry now. Only a primary takes any. A transaction
   * needs room: fewer than uncommittedEntriesMax entries past the commit seqno. Ask before
   * committing a client write to the store, since a refused proposal cannot be undone there.
   *
   * A signature is taken past the limit too, as long as it signs something (the last
   * entry is not a signature of this view already): commit advances only to signatures
   * (CCF), so they are what frees the window, and a primary refusing them would stay at
   * the limit for good. The window may be overfull for other reasons too (a new primary
   * whose recorded commit lags), and its first signature must still be taken. Past the
   * limit, then, a primary appends at most one entry more per view.
   */
  canPropose(isSignature = false): boolean {
    if (this.#role !== 'primary') return false;
    if (this.#log.lastSeqno - this.#commitSeqno < this.#uncommittedEntriesMax) return true;
    if (!isSignature) return false;
    const lastSigned = this.#log.lastSignedTxId;
    return lastSigned.seqno !== this.#log.lastSeqno || lastSigned.view !== this.#view;
  }

  /** Whether ready() would return anything to do. */
  hasReady(): boolean {
    return this.#outbox.length > 0 || this.#rolledBackTo !== undefined
      || this.#persistedSeqno < this.#log.lastSeqno || this.#appliedSeqno < this.#commitSeqno
      || this.#view !== this.#readyHardState.view || this.#votedFor !== this.#readyHardState.votedFor;
  }

  /** The work for the caller, in the order the Ready's field comments give. Then advance(). */
  ready(): Ready {
    this.#assertNoPendingReady();
    if (this.#proposedSinceReady && this.#role === 'primary') {
      for (const peer of this.peers) this.#sendAppend(peer, false);
    }
    this.#proposedSinceReady = false;
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
    this.#readyHardState = ready.hardState;
    this.#pending = { persistedSeqno: lastSeqno, appliedSeqno: this.#commitSeqno };
    return ready;
  }

  /**
   * The caller has done everything the last Ready asked. A primary's own entries count
   * towards commit only now that they are durable (etcd does the same; Raft thesis
   * §10.2.1), so this may commit: check hasReady() again.
   */
  advance(): void {
    assert(this.#pending !== undefined, 'advance() without ready()');
    this.#persistedSeqno = this.#pending.persistedSeqno;
    this.#appliedSeqno = this.#pending.appliedSeqno;
    this.#pending = undefined;
    // What the caller has persisted and applied, a Ready will never hand over again: it
    // may leave memory (raft-log.ts keeps the newest entries and never passes the commit).
    this.#log.compact(Math.min(this.#appliedSeqno, this.#persistedSeqno));
    if (this.#role === 'primary') this.#maybeCommit();
  }

  get hardState(): HardState {
    return { view: this.#view, votedFor: this.#votedFor };
  }

  /**
   * Whether the nodes for which `agrees` holds make a quorum: a majority of EVERY active
   * configuration (Raft thesis §4.3). Elections, commit and CheckQuorum all decide here.
   * A seam for the simulation's planted-bug tests; nothing else overrides it.
   */
  protected hasQuorum(agrees: (node: string) => boolean): boolean {
    return this.#configurations.hasQuorum(agrees);
  }

  // --- Time -------------------------------------------------------------------------

  #tickElection(): void {
    this.#electionElapsed++;
    // A node in no active configuration has no election to win: it waits for a primary to
    // catch it up (a joiner) or for nothing (a retired node).
    if (this.#electionElapsed >= this.#randomizedElectionTimeoutTicks && this.#configurations.includes(this.id)) this.#campaign(true);
  }

  #tickPrimary(): void {
    this.#electionElapsed++;
    this.#heartbeatElapsed++;
    if (this.#electionElapsed >= this.#electionTimeoutTicks) {
      this.#electionElapsed = 0;
      // CheckQuorum (Raft thesis §6.2): a primary cut off from a majority steps down, so
      // clients stop waiting on it and its lease cannot block a new election forever.
      const active = this.hasQuorum((node) => node === this.id || this.#progressOf(node).recentActive);
      if (!active) {
        this.#becomeBackup(this.#view, undefined);
        return;
      }
      for (const progress of this.#progress.values()) progress.recentActive = false;
    }
    if (this.#heartbeatElapsed >= this.#heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      for (const peer of this.peers) {
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
    assert(this.#configurations.includes(this.id), 'only a node of an active configuration campaigns');
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
    for (const peer of this.peers) this.#send(peer, request);
  }

  /** Moves on if the votes decide the election; returns whether they did. */
  #tallyVotes(): boolean {
    if (this.hasQuorum((node) => this.#votes.get(node) === true)) {
      if (this.#role === 'pre-candidate') this.#campaign(false);
      else this.#becomePrimary();
      return true;
    }
    // Lost once not even every vote still to come could make a quorum.
    if (!this.hasQuorum((node) => this.#votes.get(node) !== false)) {
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
    // That suffix may have held the configuration that made this node a voter (thesis
    // §4.1: configurations go with their entries). A primary of no configuration stops.
    if (!this.#configurations.includes(this.id)) {
      this.#becomeBackup(this.#view, undefined);
      return;
    }
    this.#addProgress(this.#log.lastSeqno + 1, false);
    for (const peer of this.peers) this.#sendAppend(peer, true);
  }

  // --- Votes --------------------------------------------------------------------------

  #handleVoteRequest(request: RequestVote): void {
    // CCF's election restriction: the candidate's last signed TxId must be at least ours.
    // Every committed entry is at or before a committed signature, so this keeps them all.
    const upToDate = compareTxIds(request.lastSignedTxId, this.#log.lastSignedTxId) >= 0;
    if (request.preVote) {
      const granted = request.view > this.#view && upToDate;
      this.#send(request.from, { type: 'request-vote-response', from: this.id, view: granted ? request.view : this.#view, preVote: true, granted, commitTxId: this.#commitTxId() });
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
    this.#send(request.from, { type: 'request-vote-response', from: this.id, view: this.#view, preVote: false, granted, commitTxId: this.#commitTxId() });
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
        // Log Matching (Raft §5.3): the same TxId is the same entry (as far as a compacted log still knows it).
        const isSignature = this.#log.isSignatureAt(entry.seqno);
        assert(isSignature === undefined || isSignature === entry.isSignature, `log matching violated at ${entry.view}.${entry.seqno}: signature or not`);
        const configuration = this.#log.configurationAt(entry.seqno);
        if (configuration !== undefined || entry.configuration !== undefined) {
          assert.deepEqual(configuration, entry.configuration, `log matching violated at ${entry.view}.${entry.seqno}: configuration`);
        }
        continue;
      }
      if (existing !== undefined) this.#truncateAfter(entry.seqno - 1);
      this.#append(entry);
    }
    const lastNewSeqno = prevTxId.seqno + entries.length;
    // Only the part of our log just checked against the primary's may be committed, and
    // only up to a signature (so a later election never truncates below it).
    const checkedSeqno = Math.min(request.commitSeqno, lastNewSeqno);
    const target = checkedSeqno > this.#commitSeqno ? this.#log.lastSignatureAtOrBefore(checkedSeqno) : 0;
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
        // The commit may have retired this primary, or removed the sender.
        if (this.#role !== 'primary' || !this.#progress.has(response.from)) return;
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

  /**
   * Entries from `seqno` within appendEntriesEntriesMax and appendEntriesBytesMax (at least
   * one): those compaction dropped read back from the caller's ledger, then from memory.
   */
  #batchFrom(seqno: number): Entry[] {
    const firstInMemory = this.#log.firstSeqnoInMemory;
    const batch = seqno < firstInMemory ? this.#readCompacted(seqno, Math.min(firstInMemory - 1, seqno + appendEntriesEntriesMax - 1)) : [];
    let bytes = 0;
    for (const entry of batch) bytes += entry.data.byteLength;
    // Memory carries on only where a read reached its end (firstInMemory): a read cut short
    // by the byte limit ends the batch.
    for (let next = seqno + batch.length; next >= firstInMemory && next <= this.#log.lastSeqno && batch.length < appendEntriesEntriesMax; next++) {
      const entry = this.#log.at(next);
      if (batch.length > 0 && bytes + entry.data.byteLength > appendEntriesBytesMax) break;
      bytes += entry.data.byteLength;
      batch.push(entry);
    }
    return batch;
  }

  /**
   * Entries from..to, which compaction dropped, from the caller's ledger (readEntries).
   * They are committed, so they are the entries this log had: each is checked against
   * what the log still knows of it, and gets back the configuration it carried.
   */
  #readCompacted(from: number, to: number): Entry[] {
    assert(this.#readEntries !== undefined, 'a log without readEntries is never compacted');
    assert(1 <= from && from <= to && to < this.#log.firstSeqnoInMemory && to <= this.#commitSeqno, `read of ${from}..${to} outside the compacted log`);
    const read = this.#readEntries(from, to, appendEntriesBytesMax);
    assert(read.length >= 1 && read.length <= to - from + 1, `readEntries(${from}, ${to}) returned ${read.length} entries`);
    let bytes = 0;
    return read.map((entry, offset) => {
      const seqno = from + offset;
      assert.equal(entry.seqno, seqno, `readEntries(${from}, ${to}) returned seqno ${entry.seqno} in place of ${seqno}`);
      assert.equal(entry.view, this.#log.txIdAt(seqno)?.view, `readEntries returned entry ${entry.view}.${seqno}, which is not in the log`);
      const isSignature = this.#log.isSignatureAt(seqno);
      assert(isSignature === undefined || isSignature === entry.isSignature, `readEntries returned entry ${entry.view}.${seqno} with the wrong signature flag`);
      bytes += entry.data.byteLength;
      assert(offset === 0 || bytes <= appendEntriesBytesMax, `readEntries(${from}, ${to}) returned more than ${appendEntriesBytesMax} bytes`);
      const configuration = this.#log.configurationAt(seqno);
      if (entry.configuration !== undefined) assert.deepEqual(entry.configuration, configuration, `readEntries returned entry ${seqno} with a configuration the log does not hold`);
      return configuration === undefined || entry.configuration !== undefined ? entry : { ...entry, configuration };
    });
  }

  /**
   * Commits the last signature held by a quorum, if it is of this view: Raft §5.4.2
   * (earlier views' entries commit only beneath one of ours) plus CCF's signature rule.
   * The primary counts its own log only as far as it is durable (persistedSeqno), and
   * only in configurations it belongs to (thesis §4.2.2).
   */
  #maybeCommit(): void {
    assert.equal(this.#role, 'primary');
    const matchOf = (node: string): number => (node === this.id ? this.#persistedSeqno : this.#progressOf(node).matchSeqno);
    // The highest seqno a quorum holds is one of the nodes' match seqnos: try them, highest first.
    const candidates = [this.#persistedSeqno];
    for (const progress of this.#progress.values()) candidates.push(progress.matchSeqno);
    candidates.sort((a, b) => b - a);
    let replicatedSeqno = 0;
    for (const candidate of candidates) {
      if (candidate <= this.#commitSeqno) return;
      if (this.hasQuorum((node) => matchOf(node) >= candidate)) {
        replicatedSeqno = candidate;
        break;
      }
    }
    if (replicatedSeqno <= this.#commitSeqno) return;
    const target = this.#log.lastSignatureAtOrBefore(replicatedSeqno);
    if (target <= this.#commitSeqno || this.#log.txIdAt(target)?.view !== this.#view) return;
    this.#commitTo(target);
    // Nodes no longer in any active configuration are sent one last append, so they may
    // learn that they left and stop campaigning; then the primary stops replicating to them.
    // A primary outside the newest committed configuration retires likewise (CCF; thesis
    // §4.2.2), after telling every node of the commit that makes the new configuration
    // the only one in force.
    const newestCommitted = this.#configurations.newestCommitted;
    const retiring = newestCommitted !== undefined && !newestCommitted.includes(this.id);
    const departed = [...this.#progress.keys()].filter((peer) => retiring || !this.#configurations.includes(peer));
    for (const peer of departed) this.#sendAppend(peer, true);
    if (retiring) this.#becomeBackup(this.#view, undefined);
    else for (const peer of departed) this.#progress.delete(peer);
  }

  /**
   * Another node's commit TxId, if this log holds it: by Log Matching (Raft §5.3) the whole
   * prefix is the same, so it is committed here too. Learnt from vote responses, it lets a
   * candidate forget configurations that the commit retired (thesis §4.3), whose nodes may
   * have left or refuse it for holding a longer log.
   */
  #learnCommit(txId: TxId): void {
    if (txId.seqno <= this.#commitSeqno || !this.#log.matches(txId)) return;
    this.#commitTo(txId.seqno);
    // A campaign of a node the commit removed would end in a primary of no configuration.
    if (this.#role !== 'backup' && !this.#configurations.includes(this.id)) this.#becomeBackup(this.#view, undefined);
  }

  /** The TxId at the commit seqno ({0, 0} before any commit). */
  #commitTxId(): TxId {
    return this.#log.txIdAt(this.#commitSeqno) ?? assert.fail('commit seqno past the log');
  }

  #commitTo(seqno: number): void {
    assert(seqno > this.#commitSeqno, `commit seqno must only grow (${this.#commitSeqno} -> ${seqno})`);
    assert(this.#log.isSignatureAt(seqno) === true, 'commit stops only at signature entries');
    this.#commitSeqno = seqno;
    this.#configurations.committedTo(seqno);
  }

  /** Appends to the log; an entry's configuration takes effect at once (thesis §4.1). */
  #append(entry: Entry): void {
    this.#log.append(entry);
    if (entry.configuration === undefined) return;
    this.#configurations.appended(entry.seqno, entry.configuration);
    if (this.#role === 'primary') this.#addProgress(entry.seqno, true);
  }

  /**
   * A primary tracks every peer; a new one is probed from `nextSeqno` (a refusal backs off).
   * A voter added by a configuration change starts as recently active (etcd's
   * confchange does the same): otherwise a CheckQuorum falling before it could answer
   * would make the primary step down, and the change, not yet signed, be rolled back.
   */
  #addProgress(nextSeqno: number, recentActive: boolean): void {
    assert.equal(this.#role, 'primary');
    for (const peer of this.peers) {
      if (!this.#progress.has(peer)) this.#progress.set(peer, { matchSeqno: 0, nextSeqno, inflight: 0, recentActive });
    }
  }

  #truncateAfter(seqno: number): void {
    if (seqno >= this.#log.lastSeqno) return;
    assert(seqno >= this.#commitSeqno, `rolling back to ${seqno} would lose committed ${this.#commitSeqno}`);
    this.#log.truncateAfter(seqno);
    this.#configurations.truncatedAfter(seqno);
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
