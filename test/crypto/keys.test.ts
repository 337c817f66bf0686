// Signing keys: PEM round trips, ECDSA sign/verify on both curves with the hash and
// IEEE P1363 form the ledger and COSE rely on, node ids, and RSA-OAEP recovery shares.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  generateEncryptionKeyPair,
  generateKeyPair,
  keyCurve,
  privateKeyFromPem,
  privateKeyToPem,
  publicKeyFingerprint,
  publicKeyFromPem,
  publicKeyToPem,
  rsaOaepDecrypt,
  rsaOaepEncrypt,
  signBytes,
  verifyBytes,
  type Curve,
} from '../../src/crypto/keys.js';
import { DecryptionError } from '../../src/crypto/decryption-error.js';

const curves: Array<{ curve: Curve; hash: string; signatureBytes: number }> = [
  { curve: 'p384', hash: 'sha384', signatureBytes: 96 },
  { curve: 'p256', hash: 'sha256', signatureBytes: 64 },
];

describe('EC key pairs', () => {
  test('P-384 is the default curve', () => {
    assert.equal(keyCurve(generateKeyPair().privateKey), 'p384');
  });

  for (const { curve } of curves) {
    test(`${curve} keys survive a PEM round trip`, () => {
      const { privateKey, publicKey } = generateKeyPair(curve);
      const privateBack = privateKeyFromPem(privateKeyToPem(privateKey));
      const publicBack = publicKeyFromPem(publicKeyToPem(publicKey));
      assert.ok(privateBack.equals(privateKey));
      assert.ok(publicBack.equals(publicKey));
      assert.equal(keyCurve(privateBack), curve);
      assert.equal(keyCurve(publicBack), curve);
    });
  }

  test('bad PEM is rejected with a clear error', () => {
    assert.throws(() => privateKeyFromPem('not a key'), /not a PEM private key/);
    assert.throws(() => publicKeyFromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), /not a PEM public key/);
  });

  test('keyCurve rejects RSA and unsupported curves', () => {
    assert.throws(() => keyCurve(generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey), /unsupported EC curve/);
    assert.throws(() => keyCurve(generateKeyPairSync('ed25519').publicKey), /expected an EC key/);
  });

  test('the fingerprint is the SHA-256 of the SPKI DER', () => {
    const { publicKey } = generateKeyPair();
    const expected = createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    assert.equal(publicKeyFingerprint(publicKey), expected);
    assert.equal(publicKeyFingerprint(publicKeyFromPem(publicKeyToPem(publicKey))), expected);
  });
});

describe('ECDSA signatures', () => {
  for (const { curve, hash, signatureBytes } of curves) {
    const keys = generateKeyPair(curve);
    const other = generateKeyPair(curve);

    test(`${curve}: raw r||s signatures with ${hash} verify, and only for the signed data and key`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), (data, flipAt) => {
          const signature = signBytes(keys.privateKey, data);
          assert.equal(signature.length, signatureBytes);
          assert.ok(verifyBytes(keys.publicKey, data, signature));
          // Independent check of the algorithm choice: node verifies with the stated hash.
          assert.ok(verify(hash, data, { key: keys.publicKey, dsaEncoding: 'ieee-p1363' }, signature));
          assert.equal(verifyBytes(other.publicKey, data, signature), false);
          const mutated = Buffer.from(data);
          if (mutated.length > 0) {
            const at = flipAt % mutated.length;
            mutated.writeUInt8(mutated.readUInt8(at) ^ 0x01, at);
            assert.equal(verifyBytes(keys.publicKey, mutated, signature), false);
          }
          const badSignature = Buffer.from(signature);
          const signatureAt = flipAt % badSignature.length;
          badSignature.writeUInt8(badSignature.readUInt8(signatureAt) ^ 0x80, signatureAt);
          assert.equal(verifyBytes(keys.publicKey, data, badSignature), false);
        }),
        { numRuns: 50 },
      );
    });
  }

  test('malformed signatures and unusable keys verify false instead of throwing', () => {
    const { privateKey, publicKey } = generateKeyPair();
    const data = Buffer.from('hello');
    const signature = signBytes(privateKey, data);
    assert.equal(verifyBytes(publicKey, data, Buffer.alloc(0)), false);
    assert.equal(verifyBytes(publicKey, data, signature.subarray(1)), false);
    assert.equal(verifyBytes(publicKey, data, Buffer.alloc(96)), false);
    assert.equal(verifyBytes(publicKey, data, Buffer.concat([signature, Buffer.from([0])])), false);
    assert.equal(verifyBytes(generateKeyPairSync('ed25519').publicKey, data, signature), false);
    // A P-256 key never accepts a P-384 signature, whatever its length.
    assert.equal(verifyBytes(generateKeyPair('p256').publicKey, data, signature), false);
  });
});

describe('RSA-OAEP encryption keys', () => {
  const keys = generateEncryptionKeyPair();

  test('a recovery share round trips', () => {
    const share = Buffer.from('33-byte recovery share .........');
    const encrypted = rsaOaepEncrypt(keys.publicKey, share);
    assert.notDeepEqual(encrypted, rsaOaepEncrypt(keys.publicKey, share), 'OAEP is randomised');
    assert.deepEqual(rsaOaepDecrypt(keys.privateKey, encrypted), share);
    assert.deepEqual(rsaOaepDecrypt(privateKeyFromPem(privateKeyToPem(keys.privateKey)), encrypted), share);
  });

  test('a wrong key or tampered ciphertext throws DecryptionError', () => {
    const encrypted = rsaOaepEncrypt(keys.publicKey, Buffer.from('secret'));
    const tampered = Buffer.from(encrypted);
    tampered.writeUInt8(tampered.readUInt8(10) ^ 0x01, 10);
    assert.throws(() => rsaOaepDecrypt(keys.privateKey, tampered), DecryptionError);
    assert.throws(() => rsaOaepDecrypt(generateEncryptionKeyPair().privateKey, encrypted), DecryptionError);
  });
});
