// HKDF-SHA-256 against RFC 5869 Appendix A, the derivation of ledger keys.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex } from '../../src/crypto/bytes.js';
import { hkdfSha256 } from '../../src/crypto/hkdf.js';

describe('hkdfSha256', () => {
  test('RFC 5869 A.1: basic test case with SHA-256', () => {
    const okm = hkdfSha256(
      fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'),
      fromHex('000102030405060708090a0b0c'),
      fromHex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    assert.equal(okm.toString('hex'), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  test('RFC 5869 A.3: zero-length salt and info', () => {
    const okm = hkdfSha256(fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), new Uint8Array(0), '', 42);
    assert.equal(okm.toString('hex'), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  test('different info strings give independent keys', () => {
    const secret = Buffer.alloc(32, 7);
    assert.notDeepEqual(hkdfSha256(secret, new Uint8Array(0), 'a', 32), hkdfSha256(secret, new Uint8Array(0), 'b', 32));
    assert.deepEqual(hkdfSha256(secret, new Uint8Array(0), 'a', 32), hkdfSha256(secret, new Uint8Array(0), Buffer.from('a'), 32));
  });

  test('an impossible length is a programming error', () => {
    assert.throws(() => hkdfSha256(Buffer.alloc(32), Buffer.alloc(0), '', 0), assert.AssertionError);
    assert.throws(() => hkdfSha256(Buffer.alloc(32), Buffer.alloc(0), '', 255 * 32 + 1), assert.AssertionError);
  });
});
