// Asymmetric keys: EC signing keys for nodes, members, users and the service, and
// RSA-OAEP encryption keys that members hold for their recovery shares.
// ECDSA signatures are IEEE P1363 (raw r || s), the form COSE and our ledger use.
import assert from 'node:assert/strict';
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { sha256Hex } from './hash.js';
import { DecryptionError } from './decryption-error.js';

export type Curve = 'p384' | 'p256';
export const DEFAULT_CURVE: Curve = 'p384';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

interface CurveParameters {
  readonly nodeName: string;
  readonly hash: 'sha384' | 'sha256';
  readonly signatureBytes: number;
}

const CURVES: Readonly<Record<Curve, CurveParameters>> = {
  p384: { nodeName: 'secp384r1', hash: 'sha384', signatureBytes: 96 },
  p256: { nodeName: 'prime256v1', hash: 'sha256', signatureBytes: 64 },
};

/** 3072-bit RSA gives about 128-bit security, matching P-256 and above. */
export const ENCRYPTION_KEY_BITS = 3072;

export function isCurve(value: string): value is Curve {
  return Object.hasOwn(CURVES, value);
}

export function generateKeyPair(curve: Curve = DEFAULT_CURVE): KeyPair {
  assert(isCurve(curve), `unsupported curve: ${String(curve)}`);
  return generateKeyPairSync('ec', { namedCurve: CURVES[curve].nodeName });
}

/** The curve of an EC key, private or public; throws for other keys. */
export function keyCurve(key: KeyObject): Curve {
  if (key.type === 'secret' || key.asymmetricKeyType !== 'ec') {
    throw new TypeError(`expected an EC key, got ${key.asymmetricKeyType ?? key.type}`);
  }
  const name = key.asymmetricKeyDetails?.namedCurve;
  for (const curve of Object.keys(CURVES) as Curve[]) {
    if (CURVES[curve].nodeName === name) return curve;
  }
  throw new TypeError(`unsupported EC curve ${String(name)}: Coco uses P-384 or P-256`);
}

/** Hash of the ECDSA signature for a curve: SHA-384 for P-384, SHA-256 for P-256. */
export function curveHash(curve: Curve): 'sha384' | 'sha256' {
  return CURVES[curve].hash;
}

export function privateKeyToPem(privateKey: KeyObject): string {
  assert.equal(privateKey.type, 'private', 'privateKeyToPem needs a private key');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

export function publicKeyToPem(publicKey: KeyObject): string {
  assert.equal(publicKey.type, 'public', 'publicKeyToPem needs a public key');
  return publicKey.export({ format: 'pem', type: 'spki' }) as string;
}

export function privateKeyFromPem(pem: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new Error(`not a PEM private key: ${(error as Error).message}`);
  }
}

/** Reads a public key; node also accepts a certificate here and takes its key. */
export function publicKeyFromPem(pem: string): KeyObject {
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new Error(`not a PEM public key: ${(error as Error).message}`);
  }
}

/** ECDSA over data, hash chosen by the key's curve, signature as raw r || s. */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  assert.equal(privateKey.type, 'private', 'signBytes needs a private key');
  const curve = keyCurve(privateKey);
  return sign(CURVES[curve].hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
}

/**
 * Checks an ECDSA signature made by signBytes. Signatures and keys come from
 * untrusted input (requests, receipts), so anything unusable is just "false".
 */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    const curve = CURVES[keyCurve(publicKey)];
    if (signature.length !== curve.signatureBytes) return false;
    return verify(curve.hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** Hex SHA-256 of the SubjectPublicKeyInfo DER: a node's id. */
export function publicKeyFingerprint(publicKey: KeyObject): string {
  assert.equal(publicKey.type, 'public', 'publicKeyFingerprint needs a public key');
  return sha256Hex(publicKey.export({ format: 'der', type: 'spki' }));
}

export function generateEncryptionKeyPair(): KeyPair {
  return generateKeyPairSync('rsa', { modulusLength: ENCRYPTION_KEY_BITS, publicExponent: 0x10001 });
}

/** RSA-OAEP with SHA-256; holds up to 318 bytes with a 3072-bit key. */
export function rsaOaepEncrypt(publicKey: KeyObject, data: Uint8Array): Buffer {
  assert.equal(publicKey.asymmetricKeyType, 'rsa', 'rsaOaepEncrypt needs an RSA key');
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data);
}

/** Throws DecryptionError when the ciphertext was not made for this key. */
export function rsaOaepDecrypt(privateKey: KeyObject, data: Uint8Array): Buffer {
  assert.equal(privateKey.asymmetricKeyType, 'rsa', 'rsaOaepDecrypt needs an RSA key');
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data);
  } catch {
    throw new DecryptionError('RSA-OAEP decryption failed: wrong key or corrupted ciphertext');
  }
}
