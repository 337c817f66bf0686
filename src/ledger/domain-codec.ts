// The binary form of a domain: the writes of one confidentiality class (public or
// private maps) of one transaction. docs/ledger-format.md §Domain gives the layout.
// The format is ours and deliberately flat (no CBOR) so that encoding a small write
// set costs one allocation and decoding never copies key or value bytes.
import assert from 'node:assert/strict';
import { mapNameBytesMax } from '../limits.js';
import type { WriteSetMap } from '../kv/write-set.js';
import { EntryFormatError } from './entry-format-error.js';

/** The value length that marks a deletion. */
const DELETED = 0xffff_ffff;

export function encodedDomainBytes(maps: readonly WriteSetMap[]): number {
  let bytes = 4;
  for (const map of maps) {
    bytes += 2 + Buffer.byteLength(map.name) + 4;
    for (const write of map.writes) bytes += 8 + write.key.length + (write.value === null ? 0 : write.value.length);
  }
  return bytes;
}

/** Writes `maps` into `out` at `offset`; returns the offset after the domain. */
export function writeDomain(maps: readonly WriteSetMap[], out: Buffer, offset: number): number {
  let at = out.writeUInt32BE(maps.length, offset);
  for (const map of maps) {
    const nameBytes = out.write(map.name, at + 2, 'utf8');
    out.writeUInt16BE(nameBytes, at);
    at += 2 + nameBytes;
    at = out.writeUInt32BE(map.writes.length, at);
    for (const write of map.writes) {
      at = out.writeUInt32BE(write.key.length, at);
      at += Buffer.from(write.key.buffer, write.key.byteOffset, write.key.byteLength).copy(out, at);
      if (write.value === null) {
        at = out.writeUInt32BE(DELETED, at);
      } else {
        at = out.writeUInt32BE(write.value.length, at);
        at += Buffer.from(write.value.buffer, write.value.byteOffset, write.value.byteLength).copy(out, at);
      }
    }
  }
  return at;
}

export function encodeDomain(maps: readonly WriteSetMap[]): Buffer {
  const out = Buffer.allocUnsafe(encodedDomainBytes(maps));
  const end = writeDomain(maps, out, 0);
  assert.equal(end, out.length, 'domain encoding must fill exactly its computed size');
  return out;
}

/**
 * Decodes a domain. Keys and values are views into `bytes` (no copies). Any
 * inconsistency (a length past the end, trailing bytes, a bad map name) is a
 * EntryFormatError: a domain is never half-read.
 */
export function decodeDomain(bytes: Buffer): WriteSetMap[] {
  const fail = (reason: string, at: number): never => {
    throw new EntryFormatError(`malformed domain at byte ${at}: ${reason}`);
  };
  const need = (at: number, count: number): void => {
    if (at + count > bytes.length) fail(`needs ${count} bytes, ${bytes.length - at} left`, at);
  };
  need(0, 4);
  const mapCount = bytes.readUInt32BE(0);
  let at = 4;
  const maps: WriteSetMap[] = [];
  for (let m = 0; m < mapCount; m++) {
    need(at, 2);
    const nameBytes = bytes.readUInt16BE(at);
    at += 2;
    if (nameBytes === 0 || nameBytes > mapNameBytesMax) fail(`map name of ${nameBytes} bytes`, at);
    need(at, nameBytes);
    const name = bytes.toString('utf8', at, at + nameBytes);
    at += nameBytes;
    need(at, 4);
    const writeCount = bytes.readUInt32BE(at);
    at += 4;
    const writes: WriteSetMap['writes'] = [];
    for (let w = 0; w < writeCount; w++) {
      need(at, 4);
      const keyBytes = bytes.readUInt32BE(at);
      at += 4;
      need(at, keyBytes);
      const key = bytes.subarray(at, at + keyBytes);
      at += keyBytes;
      need(at, 4);
      const valueBytes = bytes.readUInt32BE(at);
      at += 4;
      if (valueBytes === DELETED) {
        writes.push({ key, value: null });
      } else {
        need(at, valueBytes);
        writes.push({ key, value: bytes.subarray(at, at + valueBytes) });
        at += valueBytes;
      }
    }
    maps.push({ name, writes });
  }
  if (at !== bytes.length) fail(`${bytes.length - at} trailing bytes`, at);
  return maps;
}
