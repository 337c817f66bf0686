// The snapshot format: the whole latest state at one version, so a joining or recovering
// node can start there instead of replaying the ledger from seqno 1. CBOR (cbor-x):
//
//   ["coco.kv.snapshot", 1, version, [[mapName, [key0, value0, key1, value1, ...]], ...]]
//
// Maps sorted by name, keys by bytes, deleted keys and empty maps left out, so equal states
// give identical bytes. Per-key versions are not kept: a store made from a snapshot is
// compacted at its version, so no transaction can read below it.
import { Decoder, Encoder } from 'cbor-x';
import { toBuffer } from '../crypto/bytes.js';
import { kvKeyBytesMax, kvValueBytesMax } from '../limits.js';
import { KvError } from './kv-error.js';
import { mapNameProblem } from './map-name.js';
import { keyString } from './map-state.js';
import { StoreState } from './store-state.js';

const MAGIC = 'coco.kv.snapshot';
const FORMAT_VERSION = 1;

// cbor-x both ways; the structure is checked after decoding.
const options = { useRecords: false, structuredClone: false, mapsAsObjects: false, tagUint8Array: false } as const;
const encoder = new Encoder(options);
const decoder = new Decoder(options);

/**
 * The snapshot as deterministic CBOR (cbor-x: shortest heads, definite lengths), built
 * from the latest values. Versions of 2^32 or more are passed as bigints: cbor-x would
 * otherwise write them as floats.
 */
export function encodeSnapshot(store: StoreState): Buffer {
  const maps: Array<[string, Buffer[]]> = [];
  for (const name of [...store.maps.keys()].sort()) {
    const map = store.maps.get(name);
    if (map === undefined) continue;
    const flat: Buffer[] = [];
    for (const key of map.sortedKeys()) {
      const value = map.entries.get(key)?.value;
      if (value === null || value === undefined) continue;
      flat.push(Buffer.from(key, 'latin1'), value);
    }
    if (flat.length > 0) maps.push([name, flat]);
  }
  const version = store.version > 0xffff_ffff ? BigInt(store.version) : store.version;
  // The encoder returns a view of its reused scratch space: copy it out.
  return Buffer.from(encoder.encode([MAGIC, FORMAT_VERSION, version, maps]));
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
