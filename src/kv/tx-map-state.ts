// What one transaction did to one map: the keys it read from its snapshot (which commit
// checks for later writes), whether it depended on the whole map (iteration, size), and
// its own writes, which its reads see and which become its write set. Keys are the
// latin1 strings of their bytes, as in MapState.
import type { StoreState } from './store-state.js';
import type { MapState } from './map-state.js';
import { isReservedMap } from './map-name.js';
import type { WriteSetWrite } from './write-set.js';

export class TxMapState {
  /** Keys read from the snapshot (found or not). Created on the first such read. */
  reads: Set<string> | null = null;
  /** True once the transaction depended on the map's whole key set. */
  iterated = false;
  /** This transaction's writes, by key; the newest write of a key wins. */
  writes: Map<string, WriteSetWrite> | null = null;
  /** The key of the newest write: with one write, commit finds it without iterating. */
  lastWrittenKey = '';
  /** The handle with the default (JSON) codecs, made once per transaction and map. */
  jsonHandle: unknown = undefined;
  #map: MapState | undefined;
  #reserved: boolean | undefined;

  constructor(
    readonly name: string,
    readonly store: StoreState,
    readonly readVersion: number,
  ) {
    this.#map = store.maps.get(name);
  }

  get reserved(): boolean {
    this.#reserved ??= isReservedMap(this.name);
    return this.#reserved;
  }

  /** The committed map, once it exists (it appears on its first write). */
  committed(): MapState | undefined {
    this.#map ??= this.store.maps.get(this.name);
    return this.#map;
  }

  /** The value this transaction sees for `key`: its own write, else its snapshot's (a recorded read). */
  read(key: string): Buffer | undefined {
    const own = this.writes?.get(key);
    if (own !== undefined) return own.value ?? undefined;
    (this.reads ??= new Set()).add(key);
    return this.committed()?.entries.get(key)?.valueAt(this.readVersion);
  }

  write(key: string, write: WriteSetWrite): void {
    (this.writes ??= new Map()).set(key, write);
    this.lastWrittenKey = key;
  }

  /**
   * Every live key and value this transaction sees, in key byte order: the snapshot merged
   * with its own writes as they were when iteration began.
   */
  *entries(): Generator<[key: string, value: Buffer]> {
    this.iterated = true;
    const snapshotKeys = this.committed()?.sortedKeys() ?? [];
    const own = this.writes === null ? [] : [...this.writes].sort(([a], [b]) => (a < b ? -1 : 1));
    let snapshotIndex = 0;
    let ownIndex = 0;
    while (snapshotIndex < snapshotKeys.length || ownIndex < own.length) {
      const snapshotKey = snapshotKeys[snapshotIndex];
      const ownEntry = own[ownIndex];
      if (ownEntry !== undefined && (snapshotKey === undefined || ownEntry[0] <= snapshotKey)) {
        if (ownEntry[0] === snapshotKey) snapshotIndex += 1;
        ownIndex += 1;
        const value = ownEntry[1].value;
        if (value !== null) yield [ownEntry[0], value];
      } else if (snapshotKey !== undefined) {
        snapshotIndex += 1;
        const value = this.committed()?.entries.get(snapshotKey)?.valueAt(this.readVersion);
        if (value !== undefined) yield [snapshotKey, value];
      }
    }
  }
}
