// The codecs apps pick for keys and values: what they accept, what they refuse, and the
// key order each gives (keys iterate in encoded byte order).
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { KvError, jsonCodec, rawCodec, stringCodec, u64Codec } from '../../src/kv/index.js';

const invalidValue = (error: unknown) => error instanceof KvError && error.code === 'InvalidValue';

describe('codecs', () => {
  test('jsonCodec round-trips JSON values and refuses what JSON cannot hold', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      assert.deepEqual(jsonCodec.decode(jsonCodec.encode(value)), JSON.parse(JSON.stringify(value)));
    }), { numRuns: 200 });
    for (const bad of [undefined, () => 1, Symbol('s'), 1n]) assert.throws(() => jsonCodec.encode(bad), invalidValue);
    assert.throws(() => jsonCodec.decode(Buffer.from('{nope')), invalidValue);
  });

  test('u64Codec orders keys numerically and refuses non-integers', () => {
    fc.assert(fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (a, b) => {
      assert.equal(u64Codec.decode(u64Codec.encode(a)), a);
      assert.equal(Math.sign(Buffer.compare(Buffer.from(u64Codec.encode(a)), Buffer.from(u64Codec.encode(b)))), Math.sign(a - b));
    }));
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN]) assert.throws(() => u64Codec.encode(bad), invalidValue);
    assert.throws(() => u64Codec.decode(Buffer.alloc(7)), invalidValue);
    assert.throws(() => u64Codec.decode(Buffer.alloc(8, 0xff)), invalidValue);
  });

  test('stringCodec is UTF-8 and refuses bytes that are not', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => {
      assert.equal(stringCodec.decode(stringCodec.encode(text)), text);
    }));
    assert.throws(() => stringCodec.decode(Buffer.from([0xff, 0xfe])), invalidValue);
    assert.throws(() => stringCodec.encode(7 as never), invalidValue);
  });

  test('rawCodec copies, so a reused buffer cannot change stored bytes', () => {
    const input = Buffer.from('abc');
    const encoded = rawCodec.encode(input);
    input[0] = 0x7a;
    assert.deepEqual(Buffer.from(encoded), Buffer.from('abc'));
    const decoded = rawCodec.decode(encoded);
    decoded[0] = 0x7a;
    assert.deepEqual(Buffer.from(encoded), Buffer.from('abc'));
    assert.throws(() => rawCodec.encode('abc' as never), invalidValue);
  });
});
