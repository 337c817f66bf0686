// Write turns (write-turns.ts): one holder at a time, in arrival order; the holder's
// re-run keeps the turn; and the turn passes only a setImmediate after the holder left
// (so after its commit), even when others arrive meanwhile.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { WriteTurns } from '../../../src/apps/evm/write-turns.js';

describe('write turns', () => {
  it('grants turns one at a time, in order, after the holder left', async () => {
    const turns = new WriteTurns();
    const [a, b, c] = [{}, {}, {}];
    const order: string[] = [];
    await turns.enter(a);
    const bTurn = turns.enter(b).then(() => order.push('b'));
    const cTurn = turns.enter(c).then(() => order.push('c'));
    await nextTurn();
    assert.deepEqual(order, [], 'nobody else while a holds the turn');
    turns.leave(a);
    await Promise.resolve();
    assert.deepEqual(order, [], 'the turn passes on only after the commit');
    await bTurn;
    turns.leave(b);
    await cTurn;
    assert.deepEqual(order, ['b', 'c']);
  });

  it('keeps the turn for the holder coming back, and passes it on when others arrive meanwhile', async () => {
    const turns = new WriteTurns();
    const [a, b, c] = [{}, {}, {}];
    await turns.enter(a);
    turns.leave(a);
    // a's re-run after a conflict comes back before the hand-over.
    await turns.enter(a);
    let bGranted = false;
    const bTurn = turns.enter(b).then(() => (bGranted = true));
    await nextTurn();
    assert.equal(bGranted, false);
    turns.leave(a);
    // c arriving between a's leave and the hand-over must not hold the hand-over up.
    const cTurn = turns.enter(c);
    await bTurn;
    turns.leave(b);
    await cTurn;
    turns.leave(c);
    await nextTurn();
    let free = false;
    await turns.enter({}).then(() => (free = true));
    assert.ok(free, 'free again once everyone left');
  });
});
