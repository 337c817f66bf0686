// The wire format of the node-to-node channel: every frame kind survives any split of
// the stream into chunks, and malformed or oversized input is refused with a reason,
// never a throw, an oversized frame from its length prefix alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeFrame, type Frame } from '../../../src/node/channel/frame.js';
import { FrameDecoder } from '../../../src/node/channel/frame-decoder.js';

const FRAME_BYTES_MAX = 4096;

const frameArbitrary: fc.Arbitrary<Frame> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((payload): Frame => ({ kind: 'message', payload })),
  fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.uint8Array({ maxLength: 300 })).map(([requestId, payload]): Frame => ({ kind: 'request', requestId, payload })),
  fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.uint8Array({ maxLength: 300 })).map(([requestId, payload]): Frame => ({ kind: 'response', requestId, payload })),
  fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.string({ maxLength: 100 })).map(([requestId, message]): Frame => ({ kind: 'error', requestId, message })),
  fc.constant<Frame>({ kind: 'accept' }),
);

/** Frames with plain Uint8Array payloads, so they compare equal whatever the decoder returns. */
function normalized(frames: readonly Frame[]): unknown[] {
  return frames.map((frame) => ('payload' in frame ? { ...frame, payload: [...frame.payload] } : frame));
}

function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe('node-to-node frames', () => {
  it('decodes any sequence of frames, however the stream is cut', () => {
    fc.assert(fc.property(fc.array(frameArbitrary, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
      const decoder = new FrameDecoder(FRAME_BYTES_MAX);
      const decoded: Frame[] = [];
      for (const chunk of split(Buffer.concat(frames.map(encodeFrame)), cuts)) {
        const result = decoder.push(chunk);
        assert.equal(result.error, undefined);
        decoded.push(...result.frames);
      }
      assert.deepEqual(normalized(decoded), normalized(frames));
    }), { numRuns: 500 });
  });

  it('lays a frame out as length, kind, request id, payload', () => {
    assert.deepEqual([...encodeFrame({ kind: 'message', payload: Buffer.from('hi') })], [0, 0, 0, 3, 1, 0x68, 0x69]);
    assert.deepEqual([...encodeFrame({ kind: 'request', requestId: 0x01020304, payload: Buffer.from('q') })], [0, 0, 0, 6, 2, 1, 2, 3, 4, 0x71]);
    assert.deepEqual([...encodeFrame({ kind: 'error', requestId: 7, message: 'é' })], [0, 0, 0, 7, 4, 0, 0, 0, 7, 0xc3, 0xa9]);
    assert.deepEqual([...encodeFrame({ kind: 'accept' })], [0, 0, 0, 1, 5]);
  });

  it('accepts a frame of exactly the limit and refuses one byte more from its length prefix alone', () => {
    const atLimit = encodeFrame({ kind: 'message', payload: Buffer.alloc(FRAME_BYTES_MAX - 5) });
    assert.equal(new FrameDecoder(FRAME_BYTES_MAX).push(atLimit).frames.length, 1);
    const overLimit = encodeFrame({ kind: 'message', payload: Buffer.alloc(FRAME_BYTES_MAX - 4) });
    const result = new FrameDecoder(FRAME_BYTES_MAX).push(overLimit.subarray(0, 4));
    assert.deepEqual(result, { frames: [], error: `a ${FRAME_BYTES_MAX + 1}-byte frame, over the ${FRAME_BYTES_MAX}-byte limit` });
  });

  for (const [name, bytes, reason] of [
    ['an empty frame', [0, 0, 0, 0], /an empty frame/],
    ['an unknown kind', [0, 0, 0, 1, 0], /unknown frame kind 0/],
    ['a request without its id', [0, 0, 0, 3, 2, 0, 0], /request frame without a request id/],
    ['an accept with a payload', [0, 0, 0, 2, 5, 1], /accept frame with a payload/],
  ] as const) {
    it(`refuses ${name}, keeping the frames before it, and then everything`, () => {
      const decoder = new FrameDecoder(FRAME_BYTES_MAX);
      const result = decoder.push(Buffer.concat([encodeFrame({ kind: 'message', payload: Buffer.from('ok') }), Buffer.from(bytes)]));
      assert.equal(result.frames.length, 1);
      assert.match(result.error ?? '', reason);
      assert.deepEqual(decoder.push(encodeFrame({ kind: 'accept' })), { frames: [], error: 'the stream was already malformed' });
    });
  }

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const decoder = new FrameDecoder(FRAME_BYTES_MAX);
      for (const chunk of chunks) decoder.push(Buffer.from(chunk));
    }), { numRuns: 1000 });
  });
});
