// How consensus reads back entries that its log no longer holds in memory (raft-log.ts
// compaction): from the caller's durable copy of the log, its ledger. CCF goes further and
// reads every AppendEntries payload from its ledger ("the corresponding encrypted deltas
// are read from the ledger and appended to the AE header", CCF docs, Ledger Replication);
// Coco reads only what its in-memory window no longer holds. A function the caller
// passes in: the core does no I/O of its own.
import type { Entry } from './messages.js';

/**
 * Entries `from`..`to` (both included) of the caller's durable log, all at or below the
 * commit seqno. Returns at least one entry, starting at `from` and contiguous, whose data
 * total at most `bytesMax` bytes unless the first alone is larger (appendEntriesBytesMax:
 * a batch is cut there). `view` and `isSignature` must be the entry's own; `configuration`
 * may be left out, since consensus keeps every configuration and puts it back (the caller's
 * ledger does not say which entries carry one). RaftNode asserts all of this.
 */
export type EntrySource = (from: number, to: number, bytesMax: number) => readonly Entry[];
