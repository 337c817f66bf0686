// HKDF-SHA-256 (RFC 5869): derives independent keys from one secret, so a secret
// serves several purposes (encryption, commit evidence) without reusing a key.
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { SHA256_BYTES } from './hash.js';

/** RFC 5869 §2.3: L <= 255 * HashLen. */
export const HKDF_SHA256_BYTES_MAX = 255 * SHA256_BYTES;

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, lengthBytes: number): Buffer {
  assert(
    Number.isInteger(lengthBytes) && lengthBytes > 0 && lengthBytes <= HKDF_SHA256_BYTES_MAX,
    `HKDF-SHA-256 output length must be 1..${HKDF_SHA256_BYTES_MAX} bytes, got ${lengthBytes}`,
  );
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, lengthBytes));
}
