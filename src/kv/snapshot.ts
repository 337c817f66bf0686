// The snapshot format: the whole latest state at one version, so a joining or recovering
// node can start there instead of replaying the ledger from seqno 1. CBOR (cbor-x):
//
//   ["coco.kv.snapshot", 1, version, [[mapName, [key0, value0, key1, value1, ...]], ...]]
//
// Maps sorted by name, keys by bytes, deleted keys and empty maps left out, so equal states
// give identical bytes. Per-key versions are not kept: a store made from a snapshot is
// compacted at its version, so no transaction can read below it.
import { strict as assert } from 'node:assert';
import { Decoder } from 'cbor-x';
import { toBuffer } from '../crypto/bytes.js';
import { kvKeyBytesMax, kvValueBytesMax } from '../limits.js';
import { KvError } from './kv-error.js';
import { mapNameProblem } from './map-name.js';
import { keyString } from './map-state.js';
import { StoreState } from './store-state.js';

const MAGIC = 'coco.kv.snapshot';
const FORMAT_VERSION = 1;

// Decoding uses cbor-x, a tested, strict CBOR parser; the structure is checked after it.
const decoder = new Decoder({ useRecords: false, structuredClone: false, mapsAsObjects: false });

// CBOR major types (RFC 8949 §3.1) used by the format.
const UNSIGNED = 0;
const BYTES = 2;
const TEXT = 3;
const ARRAY = 4;

/** Size of a CBOR head for `count`, in its shortest form (RFC 8949 §4.2.1, deterministic encoding). */
function headBytes(count: number): number {
  return count < 24 ? 1 : count < 0x100 ? 2 : count < 0x1_0000 ? 3 : count < 0x1_0000_0000 ? 5 : 9;
}

function writeHead(out: Buffer, at: number, major: number, count: number): number {
  const type = major << 5;
  if (count < 24) return out.writeUInt8(type | count, at);
  if (count < 0x100) return out.writeUInt8(count, out.writeUInt8(type | 24, at));
  if (count < 0x1_0000) return out.writeUInt16BE(count, out.writeUInt8(type | 25, at));
  if (count < 0x1_0000_0000) return out.writeUInt32BE(count, out.writeUInt8(type | 26, at));
  at = out.writeUInt8(type | 27, at);
  at = out.writeUInt32BE(Math.floor(count / 0x1_0000_0000), at);
  return out.writeUInt32BE(count >>> 0, at);
}

/**
 * Deterministic CBOR, written by hand into one buffer sized up front: a store may hold
 * millions of keys, and a general encoder (growing its buffer, one Buffer object per key)
 * is several times slower. The bytes are exactly what cbor-x encodes for the same
 * structure; a test checks that.
 */
export function encodeSnapshot(store: StoreState): Buffer {
  const names: string[] = [];
  const keys: string[][] = [];
  const values: Buffer[][] = [];
  let size = headBytes(4) + headBytes(MAGIC.length) + MAGIC.length + headBytes(FORMAT_VERSION) + headBytes(store.version);
  for (const name of [...store.maps.keys()].sort()) {
    const map = store.maps.get(name);
    if (map === undefined) continue;
    const mapKeys: string[] = [];
    const mapValues: Buffer[] = [];
    for (const key of map.sortedKeys()) {
      const value = map.entries.get(key)?.value;
      if (value === null || value === undefined) continue;
      mapKeys.push(key);
      mapValues.push(value);
      size += headBytes(key.length) + key.length + headBytes(value.length) + value.length;
    }
    if (mapKeys.length === 0) continue;
    names.push(name);
    keys.push(mapKeys);
    values.push(mapValues);
    size += headBytes(2) + headBytes(name.length) + name.length + headBytes(2 * mapKeys.length);
  }
  size += headBytes(names.length);

  const out = Buffer.allocUnsafe(size);
  let at = writeHead(out, 0, ARRAY, 4);
  at = writeHead(out, at, TEXT, MAGIC.length);
  at += out.write(MAGIC, at, 'latin1');
  at = writeHead(out, at, UNSIGNED, FORMAT_VERSION);
  at = writeHead(out, at, UNSIGNED, store.version);
  at = writeHead(out, at, ARRAY, names.length);
  names.forEach((name, index) => {
    const mapKeys = keys[index] as string[];
    const mapValues = values[index] as Buffer[];
    at = writeHead(out, at, ARRAY, 2);
    // Map names are printable ASCII (map-name.ts): latin1 and UTF-8 agree.
    at = writeHead(out, at, TEXT, name.length);
    at += out.write(name, at, 'latin1');
    at = writeHead(out, at, ARRAY, 2 * mapKeys.length);
    for (let entry = 0; entry < mapKeys.length; entry += 1) {
      const key = mapKeys[entry] as string;
      const value = mapValues[entry] as Buffer;
      at = writeHead(out, at, BYTES, key.length);
      at += out.write(key, at, 'latin1');
      at = writeHead(out, at, BYTES, value.length);
      at += value.copy(out, at);
    }
  });
  assert.equal(at, size, 'snapshot size computed up front');
  return out;
}

function invalid(reason: string, cause?: unknown): KvError {
  return new KvError('InvalidSnapshot', `not a Coco KV snapshot: ${reason}`, cause === undefined ? undefined : { cause });
}

export function decodeSnapshot(bytes: Uint8Array): StoreState {
  if (!(bytes instanceof Uint8Array)) throw invalid('expected bytes');
  let decoded: unknown;
  try {
    // cbor-x caches a `dataView` property on the buffer it reads: give it a view of our own
    // (no copy) so the caller's object is left untouched.
    decoded = decoder.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw invalid(`malformed CBOR (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (!Array.isArray(decoded) || decoded.length !== 4) throw invalid('expected a 4-element array');
  const [magic, format, rawVersion, maps] = decoded as unknown[];
  if (magic !== MAGIC) throw invalid('wrong magic string');
  if (format !== FORMAT_VERSION) throw invalid(`unsupported format ${String(format)}`);
  // cbor-x reads a 64-bit head as a bigint (and writes big integers as floats, which
  // the canonical check below refuses).
  const version = typeof rawVersion === 'bigint' && rawVersion <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(rawVersion) : rawVersion;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw invalid('bad version');
  if (!Array.isArray(maps)) throw invalid('maps is not an array');
  if (version === 0 && maps.length > 0) throw invalid('state at version 0');

  const store = new StoreState(version);
  let previousName: string | undefined;
  for (const map of maps as unknown[]) {
    if (!Array.isArray(map) || map.length !== 2) throw invalid('a map is not a [name, entries] pair');
    const [name, flat] = map as unknown[];
    const problem = mapNameProblem(name);
    if (problem !== undefined || typeof name !== 'string') throw invalid(problem ?? 'bad map name');
    if (previousName !== undefined && !(previousName < name)) throw invalid(`maps out of order at ${name}`);
    previousName = name;
    if (!Array.isArray(flat) || flat.length === 0 || flat.length % 2 !== 0) throw invalid(`map ${name} has no key/value pairs`);
    const state = store.mapState(name);
    let previousKey: string | undefined;
    for (let index = 0; index < flat.length; index += 2) {
      const key: unknown = flat[index];
      const value: unknown = flat[index + 1];
      if (!(key instanceof Uint8Array) || key.length > kvKeyBytesMax) throw invalid(`map ${name} has a bad key`);
      if (!(value instanceof Uint8Array) || value.length > kvValueBytesMax) throw invalid(`map ${name} has a bad value`);
      const indexKey = keyString(toBuffer(key));
      if (previousKey !== undefined && !(previousKey < indexKey)) throw invalid(`keys of ${name} out of order or repeated`);
      previousKey = indexKey;
      state.write(indexKey, Buffer.from(value), version);
    }
  }
  // One encoding per state: refuse what cbor-x accepts but we would not write (longer
  // heads, indefinite lengths, floats), so a snapshot's digest identifies its state.
  if (!encodeSnapshot(store).equals(bytes)) throw invalid('not in canonical form');
  return store;
}
