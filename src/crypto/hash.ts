// SHA-256, the one hash of Coco's formats (ledger digests, Merkle tree, ids), and
// HMAC-SHA256. Hashing sits on every hot path (each transaction hashes several small
// inputs), so it avoids node's per-call overheads: inputs are joined and hashed in one
// call (one-shot `hash`, half the cost of createHash/update/digest), and the digest
// comes back as a latin1 string copied into a pooled Buffer, which is cheaper than the
// fresh native Buffer node would otherwise allocate for every 32-byte result.
import { createHmac, hash } from 'node:crypto';

export const SHA256_BYTES = 32;

/** Small multi-part inputs are joined here rather than in a fresh buffer each time. */
const joinBuffer = Buffer.allocUnsafe(4096);

function digest(input: Uint8Array | string): Buffer {
  return Buffer.from(hash('sha256', input, 'binary'), 'latin1');
}

export function sha256(...parts: Uint8Array[]): Buffer {
  if (parts.length === 1) return digest(parts[0] as Uint8Array);
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > joinBuffer.length) return digest(Buffer.concat(parts, length));
  let offset = 0;
  for (const part of parts) {
    joinBuffer.set(part, offset);
    offset += part.length;
  }
  return digest(joinBuffer.subarray(0, length));
}

/** SHA-256 of a string's UTF-8 bytes, without materialising them. */
export function sha256Utf8(text: string): Buffer {
  return digest(text);
}

export function sha256Hex(...parts: Uint8Array[]): string {
  return sha256(...parts).toString('hex');
}

/** HMAC-SHA256 of a string's UTF-8 bytes, as lowercase hex. */
export function hmacSha256Hex(key: Uint8Array, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
