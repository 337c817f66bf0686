// SHA-256, the one hash of Coco's formats (ledger digests, Merkle tree, ids), and
// HMAC-SHA256. Hashing sits on every hot path (each transaction hashes several small
// inputs), so inputs are joined and hashed in one call: node's one-shot `hash` costs
// about half of a createHash/update/digest round trip for inputs this small.
import { createHmac, hash } from 'node:crypto';

export const SHA256_BYTES = 32;

/** Small multi-part inputs are joined here rather than in a fresh buffer each time. */
const joinBuffer = Buffer.allocUnsafe(4096);

export function sha256(...parts: Uint8Array[]): Buffer {
  if (parts.length === 1) return hash('sha256', parts[0] as Uint8Array, 'buffer');
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > joinBuffer.length) return hash('sha256', Buffer.concat(parts, length), 'buffer');
  let offset = 0;
  for (const part of parts) {
    joinBuffer.set(part, offset);
    offset += part.length;
  }
  return hash('sha256', joinBuffer.subarray(0, length), 'buffer');
}

/** SHA-256 of a string's UTF-8 bytes, without materialising them. */
export function sha256Utf8(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

export function sha256Hex(...parts: Uint8Array[]): string {
  return sha256(...parts).toString('hex');
}

export function hmacSha256(key: Uint8Array, ...parts: Array<Uint8Array | string>): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}
