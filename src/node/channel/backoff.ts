// How long to wait before redialling a peer: exponential backoff with jitter, so nodes
// that lost a peer together (say, when it restarted) do not all redial it in step.
import assert from 'node:assert/strict';

export interface BackoffLimits {
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
}

/**
 * The wait before redial number `attempt` (1 after the first failure): uniform between
 * backoffMsMin and backoffMsMin * 2^attempt, that ceiling capped at backoffMsMax.
 * `random` is uniform in [0, 1).
 */
export function backoffDelayMs(attempt: number, limits: BackoffLimits, random: () => number): number {
  assert(Number.isInteger(attempt) && attempt >= 1, `a redial attempt counts from 1, got ${attempt}`);
  assert(limits.backoffMsMin > 0 && limits.backoffMsMin <= limits.backoffMsMax, 'backoff limits must satisfy 0 < min <= max');
  // 2^31 times any sane minimum is past any sane maximum; the cap keeps the power finite.
  const ceiling = Math.min(limits.backoffMsMax, limits.backoffMsMin * 2 ** Math.min(attempt, 31));
  return limits.backoffMsMin + random() * (ceiling - limits.backoffMsMin);
}
