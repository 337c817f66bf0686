// A peer's send queue: first in, first out; bounded by frames and by bytes, refusing
// the newest frame past either bound; a queued request can be taken out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendQueue } from '../../../src/node/channel/send-queue.js';

function drain(queue: SendQueue): string[] {
  const taken: string[] = [];
  for (let frame = queue.shift(); frame !== undefined; frame = queue.shift()) taken.push(frame.bytes.toString());
  return taken;
}

describe('a peer send queue', () => {
  it('gives frames back in order and counts frames and bytes', () => {
    const queue = new SendQueue({ framesMax: 5_000, bytesMax: 1_000_000 });
    const texts = Array.from({ length: 3_000 }, (_, i) => `frame ${i}`);
    for (const text of texts) assert.equal(queue.push({ bytes: Buffer.from(text) }), true);
    assert.equal(queue.frames, 3_000);
    assert.equal(queue.bytes, texts.reduce((sum, text) => sum + text.length, 0));
    // Interleaving pushes with shifts crosses the point where the queue compacts itself.
    assert.deepEqual(Array.from({ length: 2_000 }, () => queue.shift()?.bytes.toString()), texts.slice(0, 2_000));
    assert.equal(queue.push({ bytes: Buffer.from('last') }), true);
    assert.deepEqual(drain(queue), [...texts.slice(2_000), 'last']);
    assert.deepEqual([queue.frames, queue.bytes], [0, 0]);
  });

  it('refuses the newest frame past the frame bound or the byte bound', () => {
    const byFrames = new SendQueue({ framesMax: 2, bytesMax: 100 });
    assert.deepEqual(['a', 'b', 'c'].map((text) => byFrames.push({ bytes: Buffer.from(text) })), [true, true, false]);
    assert.deepEqual(drain(byFrames), ['a', 'b']);

    const byBytes = new SendQueue({ framesMax: 100, bytesMax: 5 });
    assert.deepEqual(['aa', 'bbb', 'c', ''].map((text) => byBytes.push({ bytes: Buffer.from(text) })), [true, true, false, true]);
    assert.equal(byBytes.bytes, 5);
    assert.deepEqual(drain(byBytes), ['aa', 'bbb', '']);
  });

  it('takes out a queued request, but not one already taken', () => {
    const queue = new SendQueue({ framesMax: 10, bytesMax: 100 });
    queue.push({ bytes: Buffer.from('r1'), requestId: 1 });
    queue.push({ bytes: Buffer.from('m') });
    queue.push({ bytes: Buffer.from('r2'), requestId: 2 });
    assert.equal(queue.shift()?.requestId, 1);
    assert.equal(queue.removeRequest(1), false);
    assert.equal(queue.removeRequest(2), true);
    assert.deepEqual([queue.frames, queue.bytes], [1, 1]);
    assert.deepEqual(drain(queue), ['m']);
  });
});
