// Redial backoff: from the minimum, doubling per failed attempt, capped at the maximum,
// with jitter spreading each wait across [min, ceiling].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from '../../../src/node/channel/backoff.js';
import { seededRandom } from '../../support/seeded-random.js';

const limits = { backoffMsMin: 50, backoffMsMax: 2_000 };

describe('redial backoff', () => {
  it('doubles its ceiling per attempt up to the maximum, never going below the minimum', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 100].map((attempt) => backoffDelayMs(attempt, limits, () => 1));
    assert.deepEqual(ceilings, [100, 200, 400, 800, 1_600, 2_000, 2_000]);
    for (const attempt of [1, 5, 1_000]) assert.equal(backoffDelayMs(attempt, limits, () => 0), 50);
  });

  it('spreads waits across the whole range', () => {
    const random = seededRandom(7);
    const delays = Array.from({ length: 1_000 }, () => backoffDelayMs(3, limits, random));
    assert.ok(delays.every((delay) => delay >= 50 && delay < 400));
    assert.ok(Math.min(...delays) < 80 && Math.max(...delays) > 370, 'jitter covers the range');
  });
});
