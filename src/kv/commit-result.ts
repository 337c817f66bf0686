// What commit tells its caller: a closed union (STYLE.md §7), not an exception, because
// a conflict is an expected outcome that the caller handles by re-running the transaction.
import type { WriteSet } from './write-set.js';

export type CommitResult =
  /** Wrote something: `version` is the new seqno; `writeSet` goes into the ledger. */
  | { readonly status: 'committed'; readonly version: number; readonly writeSet: WriteSet }
  /** Wrote nothing: what it read was the state at `version` (its read version). */
  | { readonly status: 'read-only'; readonly version: number }
  /** Something it read changed since it began (or its snapshot was rolled back or compacted away); nothing was written. */
  | { readonly status: 'conflict' };
