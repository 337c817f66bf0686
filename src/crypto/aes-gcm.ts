// AES-256-GCM, the cipher of private ledger domains and of secrets at rest.
// GCM loses both confidentiality and integrity if an IV ever repeats under one key
// (NIST SP 800-38D §8), so an AesGcmKey refuses any IV not strictly greater than the
// last one it sealed with. Callers build IVs from counters that only grow: the ledger
// uses (view, seqno).
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { u64be } from './bytes.js';
import { DecryptionError } from './decryption-error.js';

export { DecryptionError } from './decryption-error.js';

export const AES_256_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
const U32_MAX = 0xffff_ffff;

export class AesGcmKey {
  readonly #key: KeyObject;
  /** The last IV sealed with; IVs compare as 96-bit big-endian numbers. */
  readonly #lastIv = Buffer.alloc(GCM_IV_BYTES);
  #sealed = false;

  constructor(key: Uint8Array) {
    assert.equal(key.length, AES_256_KEY_BYTES, `an AES-256 key is ${AES_256_KEY_BYTES} bytes, got ${key.length}`);
    this.#key = createSecretKey(key);
  }

  /** Returns ciphertext || 16-byte tag. Each IV must exceed the previous one. */
  seal(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(plaintext.length + GCM_TAG_BYTES);
    this.sealInto(iv, plaintext, aad, out, 0);
    return out;
  }

  /**
   * Writes ciphertext || 16-byte tag into `out` at `offset` and returns the offset after
   * it: the ledger seals straight into the entry it is building, without a copy.
   */
  sealInto(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array, offset: number): number {
    assert.equal(iv.length, GCM_IV_BYTES, `a GCM IV is ${GCM_IV_BYTES} bytes, got ${iv.length}`);
    assert(offset + plaintext.length + GCM_TAG_BYTES <= out.length, 'sealed output does not fit');
    assert(
      !this.#sealed || Buffer.compare(iv, this.#lastIv) > 0,
      `AES-GCM IV reuse: IV ${Buffer.from(iv).toString('hex')} is not greater than the previous ${this.#lastIv.toString('hex')}`,
    );
    this.#lastIv.set(iv);
    this.#sealed = true;
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(aad);
    const ciphertext = cipher.update(plaintext);
    cipher.final(); // GCM is a stream mode: final() only computes the tag
    out.set(ciphertext, offset);
    out.set(cipher.getAuthTag(), offset + ciphertext.length);
    return offset + ciphertext.length + GCM_TAG_BYTES;
  }

  /** Throws DecryptionError if the tag does not match (wrong key, IV, AAD or altered data). */
  open(iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
    return gcmOpen(this.#key, iv, sealed, aad);
  }
}

/** IV = u32be(high) || u64be(low): lexicographically increasing (high, low) gives increasing IVs. */
export function ivFromCounters(high: number, low: number): Buffer {
  assert(Number.isInteger(high) && high >= 0 && high <= U32_MAX, `IV high counter out of u32 range: ${high}`);
  const iv = Buffer.allocUnsafe(GCM_IV_BYTES);
  iv.writeUInt32BE(high, 0);
  u64be(low).copy(iv, 4);
  return iv;
}

/**
 * A random 96-bit IV. Random IVs may collide, so NIST SP 800-38D §8.3 allows at most
 * 2^32 messages under one key this way; use them only for one-off sealing.
 */
export function randomIv(): Buffer {
  return randomBytes(GCM_IV_BYTES);
}

/**
 * Seals under a raw key with a fresh random IV and returns iv || ciphertext || tag.
 * For keys that seal a handful of messages (secrets at rest, key wrapping), never for
 * a key an AesGcmKey also uses with counter IVs.
 */
export function sealWithRandomIv(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  assert.equal(key.length, AES_256_KEY_BYTES, `an AES-256 key is ${AES_256_KEY_BYTES} bytes, got ${key.length}`);
  const iv = randomIv();
  const sealed = gcmSeal(createSecretKey(key), iv, plaintext, aad);
  return Buffer.concat([iv, sealed], GCM_IV_BYTES + sealed.length);
}

/** Opens the output of sealWithRandomIv; throws DecryptionError on any mismatch. */
export function openWithRandomIv(key: Uint8Array, ivAndSealed: Uint8Array, aad: Uint8Array): Buffer {
  assert.equal(key.length, AES_256_KEY_BYTES, `an AES-256 key is ${AES_256_KEY_BYTES} bytes, got ${key.length}`);
  if (ivAndSealed.length < GCM_IV_BYTES + GCM_TAG_BYTES) {
    throw new DecryptionError(`sealed data of ${ivAndSealed.length} bytes is shorter than an IV and a tag`);
  }
  return gcmOpen(createSecretKey(key), ivAndSealed.subarray(0, GCM_IV_BYTES), ivAndSealed.subarray(GCM_IV_BYTES), aad);
}

function gcmSeal(key: KeyObject, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = cipher.update(plaintext);
  cipher.final(); // GCM is a stream mode: final() only computes the tag
  return Buffer.concat([ciphertext, cipher.getAuthTag()], ciphertext.length + GCM_TAG_BYTES);
}

function gcmOpen(key: KeyObject, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (iv.length !== GCM_IV_BYTES) throw new DecryptionError(`a GCM IV is ${GCM_IV_BYTES} bytes, got ${iv.length}`);
  if (sealed.length < GCM_TAG_BYTES) {
    throw new DecryptionError(`sealed data of ${sealed.length} bytes is shorter than the ${GCM_TAG_BYTES}-byte tag`);
  }
  const tagStart = sealed.length - GCM_TAG_BYTES;
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(tagStart));
  const plaintext = decipher.update(sealed.subarray(0, tagStart));
  try {
    decipher.final();
  } catch {
    throw new DecryptionError('AES-GCM authentication failed: wrong key, IV or AAD, or the data was altered');
  }
  return plaintext;
}
