// What the state machine hands its caller after tick/step/propose (etcd's Ready). The
// fields are numbered in the order the caller must act on them; Raft is safe only if
// state is durable before any message that depends on it leaves the node (Raft thesis
// §3.8: "servers persist ... before responding").
import type { Entry, Envelope } from './messages.js';

export type Role = 'backup' | 'pre-candidate' | 'candidate' | 'primary';

/** What must survive a restart: the view and the vote cast in it (Raft §5.1, Figure 2). */
export interface HardState {
  readonly view: number;
  readonly votedFor: string | undefined;
}

export interface Ready {
  /**
   * 1. If set, truncate the durable log to this seqno first, and undo anything built from
   * entries after it (the store's uncommitted state). Never below the commit seqno.
   */
  readonly rolledBackTo: number | undefined;
  /** 2. Append these to the durable log, in order, after the truncation. */
  readonly entriesToPersist: readonly Entry[];
  /** 3. Persist this too. Steps 1-3 must be durable BEFORE any message below is sent. */
  readonly hardState: HardState;
  /** 4. Then send these, in any order; the network may lose, delay or repeat them. */
  readonly messages: readonly Envelope[];
  /**
   * 5. Entries newly committed, in seqno order, to apply once they are durable (they may
   * include some of entriesToPersist). After a restart they continue after the persisted
   * commit seqno. A primary counts its own entries only once advance() says they are
   * durable, so a lone primary commits in advance() and a second ready() carries what it
   * committed: loop `while (hasReady())`.
   */
  readonly committed: readonly Entry[];
  /** Volatile state, for the caller's information: a new primary should propose a signature. */
  readonly role: Role;
  readonly primaryId: string | undefined;
  /**
   * Record this durably once `committed` is applied (a ledger's commit marker): a restart
   * passes it back as `persisted.commitSeqno`.
   */
  readonly commitSeqno: number;
}
