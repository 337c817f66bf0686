// AES-256-GCM as the ledger uses it: sealing round trips, every tampering detected,
// and the IV discipline that makes a repeated IV under one key impossible.
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  AesGcmKey,
  DecryptionError,
  GCM_TAG_BYTES,
  ivFromCounters,
  openWithRandomIv,
  randomIv,
  sealWithRandomIv,
} from '../../src/crypto/aes-gcm.js';

describe('AesGcmKey', () => {
  test('sealed data opens to the plaintext and is plaintext + 16 bytes long', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 64 }), (plaintext, aad) => {
        const raw = randomBytes(32);
        const key = new AesGcmKey(raw);
        const iv = ivFromCounters(2, 17);
        const sealed = key.seal(iv, plaintext, aad);
        assert.equal(sealed.length, plaintext.length + GCM_TAG_BYTES);
        assert.deepEqual(key.open(iv, sealed, aad), Buffer.from(plaintext));
        // Standard GCM layout (ciphertext || tag), readable by any AES-GCM implementation.
        const decipher = createDecipheriv('aes-256-gcm', raw, iv);
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
        assert.deepEqual(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]), Buffer.from(plaintext));
      }),
      { numRuns: 100 },
    );
  });

  test('wrong AAD, IV or key, or any flipped bit, throws DecryptionError', () => {
    const key = new AesGcmKey(randomBytes(32));
    const iv = ivFromCounters(1, 1);
    const aad = Buffer.from('public domain digest');
    const sealed = key.seal(iv, Buffer.from('private domain'), aad);
    assert.throws(() => key.open(iv, sealed, Buffer.from('other aad')), DecryptionError);
    assert.throws(() => key.open(ivFromCounters(1, 2), sealed, aad), DecryptionError);
    assert.throws(() => new AesGcmKey(randomBytes(32)).open(iv, sealed, aad), DecryptionError);
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const tampered = Buffer.from(sealed);
      const at = bit >> 3;
      tampered.writeUInt8(tampered.readUInt8(at) ^ (1 << (bit & 7)), at);
      assert.throws(() => key.open(iv, tampered, aad), DecryptionError, `bit ${bit}`);
    }
  });

  test('input shorter than the tag, or a wrong-size IV, throws DecryptionError', () => {
    const key = new AesGcmKey(randomBytes(32));
    assert.throws(() => key.open(ivFromCounters(0, 1), Buffer.alloc(15), Buffer.alloc(0)), DecryptionError);
    assert.throws(() => key.open(Buffer.alloc(8), Buffer.alloc(32), Buffer.alloc(0)), DecryptionError);
  });

  test('a key that is not 32 bytes is a programming error', () => {
    assert.throws(() => new AesGcmKey(Buffer.alloc(16)), assert.AssertionError);
  });

  test('a reused IV crashes instead of sealing', () => {
    const key = new AesGcmKey(randomBytes(32));
    key.seal(ivFromCounters(3, 10), Buffer.from('a'), Buffer.alloc(0));
    assert.throws(() => key.seal(ivFromCounters(3, 10), Buffer.from('b'), Buffer.alloc(0)), { name: 'AssertionError', message: /IV reuse/ });
  });

  test('a decreasing IV crashes, even after the caller mutates the IV it passed', () => {
    const key = new AesGcmKey(randomBytes(32));
    const iv = ivFromCounters(3, 10);
    key.seal(iv, Buffer.from('a'), Buffer.alloc(0));
    iv.fill(0);
    assert.throws(() => key.seal(ivFromCounters(3, 9), Buffer.from('b'), Buffer.alloc(0)), assert.AssertionError);
    assert.throws(() => key.seal(ivFromCounters(2, 1_000_000), Buffer.from('b'), Buffer.alloc(0)), assert.AssertionError);
    key.seal(ivFromCounters(4, 0), Buffer.from('c'), Buffer.alloc(0));
  });

  test('an IV of the wrong size is a programming error', () => {
    assert.throws(() => new AesGcmKey(randomBytes(32)).seal(Buffer.alloc(16), Buffer.alloc(1), Buffer.alloc(0)), assert.AssertionError);
  });
});

describe('ivFromCounters', () => {
  test('is u32be(high) || u64be(low)', () => {
    assert.equal(ivFromCounters(1, 2).toString('hex'), '00000001' + '0000000000000002');
    assert.equal(ivFromCounters(0xffffffff, Number.MAX_SAFE_INTEGER).toString('hex'), 'ffffffff' + '001fffffffffffff');
  });

  test('(view, seqno) in lexicographic order gives strictly increasing IVs', () => {
    const counter = fc.tuple(fc.nat({ max: 0xffffffff }), fc.maxSafeNat());
    fc.assert(
      fc.property(counter, counter, ([h1, l1], [h2, l2]) => {
        const order = h1 !== h2 ? Math.sign(h1 - h2) : Math.sign(l1 - l2);
        assert.equal(Buffer.compare(ivFromCounters(h1, l1), ivFromCounters(h2, l2)), order);
      }),
    );
  });

  test('out-of-range counters are programming errors', () => {
    assert.throws(() => ivFromCounters(-1, 0), assert.AssertionError);
    assert.throws(() => ivFromCounters(2 ** 32, 0), assert.AssertionError);
    assert.throws(() => ivFromCounters(0, 2 ** 53), assert.AssertionError);
    assert.throws(() => ivFromCounters(0, 1.5), assert.AssertionError);
  });
});

describe('random-IV sealing', () => {
  test('round trips, with a fresh IV each time, and detects tampering', () => {
    const key = randomBytes(32);
    const aad = Buffer.from('ledger secret v2');
    const a = sealWithRandomIv(key, Buffer.from('secret'), aad);
    const b = sealWithRandomIv(key, Buffer.from('secret'), aad);
    assert.notDeepEqual(a.subarray(0, 12), b.subarray(0, 12));
    assert.deepEqual(openWithRandomIv(key, a, aad), Buffer.from('secret'));
    assert.deepEqual(openWithRandomIv(key, b, aad), Buffer.from('secret'));
    const tampered = Buffer.from(a);
    tampered.writeUInt8(tampered.readUInt8(0) ^ 1, 0);
    assert.throws(() => openWithRandomIv(key, tampered, aad), DecryptionError);
    assert.throws(() => openWithRandomIv(key, a.subarray(0, 27), aad), DecryptionError);
    assert.throws(() => openWithRandomIv(randomBytes(32), a, aad), DecryptionError);
  });

  test('randomIv is 12 bytes', () => {
    assert.equal(randomIv().length, 12);
  });
});
