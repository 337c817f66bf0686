// The messages Raft nodes exchange, as one closed union (etcd's raftpb.Message, narrowed to
// what Coco uses). Entries are opaque ledger entries: consensus reads only their TxId,
// whether they are signature transactions (where commit may advance, DESIGN.md) and the
// configuration they set, if any (configuration.ts).
import type { TxId } from '../ledger/tx-id.js';

/** One replicated log entry. `data` is a serialised ledger entry; consensus never reads it. */
export interface Entry {
  readonly view: number;
  readonly seqno: number;
  /** A signature transaction: the only kind of entry the commit seqno may stop at. */
  readonly isSignature: boolean;
  readonly data: Uint8Array;
  /**
   * When present, the complete set of voting node ids from this entry on. The node layer
   * sets it on a transaction that changes the nodes map; it takes effect at once.
   */
  readonly configuration?: readonly string[];
}

/**
 * Raft §5.2 RequestVote. With `preVote` (Raft thesis §9.6) it asks whether the sender could
 * win an election at `view` without anyone (sender included) moving to that view yet.
 */
export interface RequestVote {
  readonly type: 'request-vote';
  readonly from: string;
  /** The view the candidate is (or, for a pre-vote, would be) campaigning in. */
  readonly view: number;
  readonly preVote: boolean;
  /** TxId of the candidate's last signature entry: CCF's election restriction (Raft §5.4.1). */
  readonly lastSignedTxId: TxId;
}

export interface RequestVoteResponse {
  readonly type: 'request-vote-response';
  readonly from: string;
  /** Granted: the view asked for. Refused: the voter's own view, which may depose the asker. */
  readonly view: number;
  readonly preVote: boolean;
  readonly granted: boolean;
  /**
   * The voter's commit seqno and the view of its entry there. A candidate whose log holds
   * that TxId knows it committed (Log Matching, Raft §5.3): it may then stop counting a
   * configuration the commit retired, and need no vote from a node that has left.
   */
  readonly commitTxId: TxId;
}

/** Raft §5.3 AppendEntries; with no entries it is the primary's heartbeat. */
export interface AppendEntries {
  readonly type: 'append-entries';
  readonly from: string;
  readonly view: number;
  /** The entry just before `entries`; the backup must hold it for the append to apply. */
  readonly prevTxId: TxId;
  /** Contiguous, starting at prevTxId.seqno + 1; at most appendEntriesEntriesMax of them. */
  readonly entries: readonly Entry[];
  /** The primary's commit seqno (always at a signature entry). */
  readonly commitSeqno: number;
}

/** Accepted: the backup's log now matches the primary's up to `matchSeqno`. */
export interface AppendEntriesAccepted {
  readonly type: 'append-entries-response';
  readonly from: string;
  readonly view: number;
  readonly success: true;
  readonly matchSeqno: number;
}

/**
 * Refused: the backup does not hold `rejectedSeqno` (the request's prevTxId.seqno) in that
 * view. `hintSeqno` is the highest seqno that might still match, so the primary can back
 * off by more than one entry per round trip (Raft §5.3, "the leader can decrement ...").
 */
export interface AppendEntriesRejected {
  readonly type: 'append-entries-response';
  readonly from: string;
  readonly view: number;
  readonly success: false;
  readonly rejectedSeqno: number;
  readonly hintSeqno: number;
}

export type AppendEntriesResponse = AppendEntriesAccepted | AppendEntriesRejected;

export type Message = RequestVote | RequestVoteResponse | AppendEntries | AppendEntriesResponse;

/** A message and the node it is for, as the Ready's outbox holds them. */
export interface Envelope {
  readonly to: string;
  readonly message: Message;
}

/** Orders TxIds by view, then seqno: how "more up to date" is decided (Raft §5.4.1). */
export function compareTxIds(a: TxId, b: TxId): number {
  return a.view !== b.view ? a.view - b.view : a.seqno - b.seqno;
}
