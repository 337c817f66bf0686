// A typed handle on one map inside one transaction. It translates through its codecs and
// leaves all state to TxMapState, so the same map opened twice (even with other codecs)
// is one map to the transaction.
import { toBuffer } from '../crypto/bytes.js';
import { kvKeyBytesMax, kvValueBytesMax } from '../limits.js';
import type { Codec } from './codec.js';
import { KvError } from './kv-error.js';
import { keyBytes, keyString } from './map-state.js';
import type { TxMapState } from './tx-map-state.js';

/** What a map handle needs from its transaction. */
export interface TxMapOwner {
  readonly privileged: boolean;
  /** Throws KvError `TransactionClosed` once the transaction has committed or aborted. */
  assertOpen(): void;
}

export class TxMap<K = unknown, V = unknown> {
  readonly #owner: TxMapOwner;
  readonly #state: TxMapState;
  readonly #keyCodec: Codec<K>;
  readonly #valueCodec: Codec<V>;

  constructor(owner: TxMapOwner, state: TxMapState, keyCodec: Codec<K>, valueCodec: Codec<V>) {
    this.#owner = owner;
    this.#state = state;
    this.#keyCodec = keyCodec;
    this.#valueCodec = valueCodec;
  }

  get name(): string {
    return this.#state.name;
  }

  /** The value this transaction sees for `key`. Records a read: commit conflicts if another transaction wrote `key` since this one began. */
  get(key: K): V | undefined {
    this.#owner.assertOpen();
    const value = this.#state.read(keyString(this.#encodeKey(key)));
    return value === undefined ? undefined : this.#decodeValue(value);
  }

  /** Like `get`, and records the same read. */
  has(key: K): boolean {
    this.#owner.assertOpen();
    return this.#state.read(keyString(this.#encodeKey(key))) !== undefined;
  }

  /** A blind write: it never makes the transaction conflict. */
  set(key: K, value: V): this {
    this.#owner.assertOpen();
    this.#assertWritable();
    const keyBuffer = this.#encodeKey(key);
    const valueBuffer = this.#encodeValue(value);
    this.#state.write(keyString(keyBuffer), { key: keyBuffer, value: valueBuffer });
    return this;
  }

  /**
   * Deletes `key` if this transaction sees it, and returns whether it did. Deciding that
   * reads the key, so (unlike `set`) a delete conflicts with a concurrent write of it.
   * Deleting an absent key writes nothing.
   */
  delete(key: K): boolean {
    this.#owner.assertOpen();
    this.#assertWritable();
    const keyBuffer = this.#encodeKey(key);
    const index = keyString(keyBuffer);
    if (this.#state.read(index) === undefined) return false;
    this.#state.write(index, { key: keyBuffer, value: null });
    return true;
  }

  /** Number of keys this transaction sees. Walks the map, and conflicts like iteration. */
  get size(): number {
    this.#owner.assertOpen();
    let count = 0;
    const entries = this.#state.entries();
    while (entries.next().done !== true) count += 1;
    return count;
  }

  /**
   * Keys and values in key byte order: the snapshot merged with this transaction's writes
   * made before iteration began. Commit conflicts if anyone else wrote this map since the
   * transaction began.
   */
  *entries(): Generator<[K, V]> {
    this.#owner.assertOpen();
    for (const [key, value] of this.#state.entries()) {
      const entry: [K, V] = [this.#decodeKey(keyBytes(key)), this.#decodeValue(value)];
      yield entry;
      this.#owner.assertOpen();
    }
  }

  *keys(): Generator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): Generator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(callback: (value: V, key: K, map: this) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }

  [Symbol.iterator](): Generator<[K, V]> {
    return this.entries();
  }

  #assertWritable(): void {
    if (this.#state.reserved && !this.#owner.privileged) {
      throw new KvError('ReservedMap', `map ${this.#state.name} is reserved to governance and the framework; begin the transaction with { privileged: true }`);
    }
  }

  #encodeKey(key: K): Buffer {
    let bytes: Uint8Array;
    try {
      bytes = this.#keyCodec.encode(key);
    } catch (error) {
      if (error instanceof KvError && error.code === 'InvalidValue') throw new KvError('InvalidKey', error.message, { cause: error });
      throw error;
    }
    if (bytes.length > kvKeyBytesMax) throw new KvError('InvalidKey', `key of ${bytes.length} bytes is over the ${kvKeyBytesMax}-byte maximum`);
    return toBuffer(bytes);
  }

  #decodeKey(bytes: Buffer): K {
    try {
      return this.#keyCodec.decode(bytes);
    } catch (error) {
      if (error instanceof KvError && error.code === 'InvalidValue') throw new KvError('InvalidKey', error.message, { cause: error });
      throw error;
    }
  }

  #encodeValue(value: V): Buffer {
    const bytes = this.#valueCodec.encode(value);
    if (bytes.length > kvValueBytesMax) throw new KvError('InvalidValue', `value of ${bytes.length} bytes is over the ${kvValueBytesMax}-byte maximum`);
    return toBuffer(bytes);
  }

  #decodeValue(bytes: Buffer): V {
    return this.#valueCodec.decode(bytes);
  }
}
