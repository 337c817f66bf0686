// Whether a request's snapshot predates the last block this node wrote, and how such a
// request gets re-run on a fresh one (write-turns.ts): it has read the head, which that
// block changed, and writes a marker, so that its commit is validated, conflicts, and
// the server re-runs it at once. Only if that block did not commit after all (the node
// stopped, or a view change rolled it back) does the marker commit: a harmless entry,
// and the client is told to send its transaction again.
import type { LastBlock, RequestScope } from './evm-context.js';

export function isStale(scope: RequestScope, lastBlock: LastBlock): boolean {
  return scope.head.number < lastBlock.number;
}

export function writeStaleMarker(scope: RequestScope, lastBlock: LastBlock): void {
  // The value is the head the stale snapshot saw, for anyone reading the ledger.
  scope.maps.turnMarker.set(0, scope.head.number);
  // Should this commit, the block it waited for is gone: stop waiting for it.
  lastBlock.number = scope.head.number;
}
