// Byte helpers shared by every layer: hex, concatenation, fixed-width integers.
// Integers in Coco's binary formats are big-endian unless a format says otherwise.
import assert from 'node:assert/strict';

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Buffer {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`not a hex string: ${JSON.stringify(hex.slice(0, 40))}`);
  }
  return Buffer.from(hex, 'hex');
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function concatBytes(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return toBuffer(a).equals(b);
}

/** Big-endian unsigned 64-bit encoding of a safe integer. */
export function u64be(value: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  writeU64(out, value, 0);
  return out;
}

/** Writes a safe integer as a big-endian u64 at `offset` (no BigInt: this is on hot paths). */
export function writeU64(out: Buffer, value: number, offset: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, `u64 out of range: ${value}`);
  out.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  out.writeUInt32BE(value >>> 0, offset + 4);
}

/** Reads a big-endian u64 at `offset`; -1 if it is beyond 2^53 - 1. */
export function readU64(bytes: Buffer, offset: number): number {
  const high = bytes.readUInt32BE(offset);
  if (high > 0x1f_ffff) return -1;
  return high * 0x1_0000_0000 + bytes.readUInt32BE(offset + 4);
}
