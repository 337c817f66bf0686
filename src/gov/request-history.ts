// Replay detection for signed governance requests, kept in the KV so every node (and
// every future primary) decides the same. Per member: the recent requests, as
// (created_at, digest of the signed content), and a floor. A request is a replay if its
// pair was seen; it is stale if its created_at is at or below the floor, which rises to
// the created_at of every entry forgotten (past the freshness window, or beyond the
// per-member maximum). So a forgotten request can never come back, even to a primary
// whose clock is behind: the floor, not the clock, refuses it.
import type { Transaction } from '../kv/transaction.js';
import { GovernanceError } from './governance-error.js';
import { recentRequestsPerMemberMax, requestAgeSecondsMax } from './governance-limits.js';
import { REQUEST_HISTORY_MAP } from './proposal-maps.js';

export interface RequestHistory {
  /** Requests created at or before this (seconds since the epoch) are refused; -1 at first. */
  readonly floor_created_at: number;
  /** [created_at, digest], sorted. */
  readonly recent: ReadonlyArray<readonly [number, string]>;
}

const EMPTY: RequestHistory = { floor_created_at: -1, recent: [] };

/** Throws StaleRequest or ReplayedRequest, else records the request in `tx`. */
export function recordRequest(tx: Transaction, memberId: string, createdAtSeconds: number, digest: string, nowSeconds: number): void {
  const map = tx.map<string, RequestHistory>(REQUEST_HISTORY_MAP);
  const history = map.get(memberId) ?? EMPTY;
  if (createdAtSeconds <= history.floor_created_at) {
    throw new GovernanceError('StaleRequest',
      `created_at ${createdAtSeconds} is not after ${history.floor_created_at}, the newest request time this service no longer remembers for member ${memberId}; sign a new request`);
  }
  if (history.recent.some(([createdAt, seen]) => createdAt === createdAtSeconds && seen === digest)) {
    throw new GovernanceError('ReplayedRequest', `this signed request from member ${memberId} was received already; sign a new one to repeat it`);
  }
  const horizon = nowSeconds - requestAgeSecondsMax;
  let floor = history.floor_created_at;
  const kept: Array<readonly [number, string]> = [];
  for (const entry of history.recent) {
    if (entry[0] < horizon) floor = Math.max(floor, entry[0]);
    else kept.push(entry);
  }
  kept.push([createdAtSeconds, digest]);
  kept.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  while (kept.length > recentRequestsPerMemberMax) {
    const dropped = kept.shift() as readonly [number, string];
    floor = Math.max(floor, dropped[0]);
  }
  map.set(memberId, { floor_created_at: floor, recent: kept });
}
