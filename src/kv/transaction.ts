// An optimistic, serialisable transaction over a Store. It reads a snapshot fixed at the
// version it began at, buffers its writes, and at commit checks that nothing it read has
// been written since (backward validation, as in CCF's KV): if so its writes become the
// next version, else it conflicts and the caller re-runs it. Blind writes never conflict;
// read-only transactions need no check at all.
import { strict as assert } from 'node:assert';
import type { Codec } from './codec.js';
import { jsonCodec } from './codec.js';
import type { CommitResult } from './commit-result.js';
import { KvError } from './kv-error.js';
import { checkMapName } from './map-name.js';
import type { StoreState } from './store-state.js';
import { TxMap } from './tx-map.js';
import { TxMapState } from './tx-map-state.js';
import type { WriteSet, WriteSetMap, WriteSetWrite } from './write-set.js';

export interface TransactionOptions {
  /** Allows writes to the reserved `coco.gov.*` and `coco.internal.*` maps. */
  readonly privileged?: boolean;
}

/** 'committed' includes read-only commits; 'conflicted' wrote nothing. All but 'open' are final. */
export type TransactionStatus = 'open' | 'committed' | 'conflicted' | 'aborted';

const CONFLICT: CommitResult = Object.freeze({ status: 'conflict' });

export class Transaction {
  /** The version whose state this transaction reads. */
  readonly readVersion: number;
  readonly privileged: boolean;
  #status: TransactionStatus = 'open';
  readonly #store: StoreState;
  readonly #rollbacksSeen: number;
  // Most transactions touch one map: keep it in a field and make the Map only for a second.
  #first: TxMapState | null = null;
  #others: Map<string, TxMapState> | null = null;

  /** Use `Store.begin`. */
  constructor(store: StoreState, options: TransactionOptions = {}) {
    this.#store = store;
    this.readVersion = store.version;
    this.#rollbacksSeen = store.rollbackTargets.length;
    this.privileged = options.privileged === true;
  }

  get status(): TransactionStatus {
    return this.#status;
  }

  assertOpen(): void {
    if (this.#status !== 'open') throw new KvError('TransactionClosed', `the transaction has ended (${this.#status}); begin a new one`);
  }

  /**
   * A handle on map `name` (created on its first write). Throws KvError `InvalidMapName`
   * for a bad name. Keys and values go through the given codecs (JSON by default).
   */
  map<K = unknown, V = unknown>(name: string, keyCodec: Codec<K> = jsonCodec as Codec<K>, valueCodec: Codec<V> = jsonCodec as Codec<V>): TxMap<K, V> {
    this.assertOpen();
    const state = this.#mapState(name);
    if (keyCodec !== jsonCodec || valueCodec !== jsonCodec) return new TxMap(this, state, keyCodec, valueCodec);
    state.jsonHandle ??= new TxMap(this, state, jsonCodec, jsonCodec);
    return state.jsonHandle as TxMap<K, V>;
  }

  commit(): CommitResult {
    this.assertOpen();
    const store = this.#store;
    this.#status = 'conflicted';
    if (this.#snapshotLost()) return CONFLICT;
    const written = this.#writtenMaps();
    // Nothing can conflict when no version was committed since this one began.
    if (written.length > 0 && store.version !== this.readVersion && this.#readsChanged()) return CONFLICT;
    this.#status = 'committed';
    if (written.length === 0) return { status: 'read-only', version: this.readVersion };

    const version = store.version + 1;
    const maps: WriteSetMap[] = [];
    for (const txMap of written) maps.push({ name: txMap.name, writes: this.#applyWrites(txMap, version) });
    const writeSet: WriteSet = { version, maps };
    store.appendLog(writeSet);
    return { status: 'committed', version, writeSet };
  }

  /** Discards the transaction's writes. */
  abort(): void {
    this.assertOpen();
    this.#status = 'aborted';
  }

  #mapState(name: string): TxMapState {
    if (this.#first?.name === name) return this.#first;
    const existing = this.#others?.get(name);
    if (existing !== undefined) return existing;
    // A name the store already holds was checked when it was first written.
    if (!this.#store.maps.has(name)) checkMapName(name);
    const state = new TxMapState(name, this.#store, this.readVersion);
    if (this.#first === null) this.#first = state;
    else (this.#others ??= new Map()).set(name, state);
    return state;
  }

  // A snapshot below the compacted version may have lost history its reads needed; one
  // that a rollback undid (even partly) read writes that no longer exist.
  #snapshotLost(): boolean {
    const store = this.#store;
    if (this.readVersion < store.compactedVersion) return true;
    for (let index = this.#rollbacksSeen; index < store.rollbackTargets.length; index += 1) {
      if ((store.rollbackTargets[index] as number) < this.readVersion) return true;
    }
    return false;
  }

  /** Maps this transaction wrote, sorted by name. */
  #writtenMaps(): TxMapState[] {
    if (this.#others === null) return (this.#first?.writes?.size ?? 0) > 0 ? [this.#first as TxMapState] : [];
    const written: TxMapState[] = [];
    if (this.#first !== null && (this.#first.writes?.size ?? 0) > 0) written.push(this.#first);
    for (const state of this.#others.values()) if ((state.writes?.size ?? 0) > 0) written.push(state);
    written.sort((a, b) => (a.name < b.name ? -1 : 1));
    return written;
  }

  #readsChanged(): boolean {
    for (const txMap of this.#allMaps()) {
      const committed = txMap.committed();
      if (committed === undefined) continue;
      if (txMap.iterated && committed.lastWriteVersion > this.readVersion) return true;
      if (txMap.reads === null) continue;
      for (const key of txMap.reads) {
        const entry = committed.entries.get(key);
        if (entry !== undefined && entry.version > this.readVersion) return true;
      }
    }
    return false;
  }

  *#allMaps(): Generator<TxMapState> {
    if (this.#first !== null) yield this.#first;
    if (this.#others !== null) yield* this.#others.values();
  }

  #applyWrites(txMap: TxMapState, version: number): WriteSetWrite[] {
    const pending = txMap.writes;
    assert(pending !== null && pending.size > 0);
    const committed = this.#store.mapState(txMap.name);
    if (pending.size === 1) {
      const write = pending.get(txMap.lastWrittenKey);
      assert(write !== undefined);
      committed.write(txMap.lastWrittenKey, write.value, version);
      return [write];
    }
    const keys = [...pending.keys()].sort();
    const writes: WriteSetWrite[] = [];
    for (const key of keys) {
      const write = pending.get(key) as WriteSetWrite;
      committed.write(key, write.value, version);
      writes.push(write);
    }
    return writes;
  }
}
