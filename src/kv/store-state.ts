// The versioned state behind a Store (multi-version concurrency control): every map's key
// histories, the current and compacted versions, and the log of write sets kept only so
// that rollback can undo them. Transactions read it at their snapshot version; commits
// and follower applies advance it one version at a time.
import { strict as assert } from 'node:assert';
import { MapState, keyString } from './map-state.js';
import type { WriteSet } from './write-set.js';

export class StoreState {
  /** The last committed or applied version (seqno); 0 for an empty store. */
  version = 0;
  /** History at or below this version is gone: no rollback to below it, no reads below it. */
  compactedVersion = 0;
  readonly maps = new Map<string, MapState>();
  /** Write sets of versions compactedVersion+1 .. version, in order, for rollback. */
  #log: WriteSet[] = [];
  /**
   * The target of every rollback so far, in order. A transaction remembers how many it
   * had seen when it began; one since then to below its read version means its snapshot
   * was (partly) undone, even if the store has since grown past it again.
   */
  readonly rollbackTargets: number[] = [];

  constructor(version = 0) {
    assert(Number.isSafeInteger(version) && version >= 0, `store version ${version}`);
    this.version = version;
    this.compactedVersion = version;
  }

  mapState(name: string): MapState {
    let map = this.maps.get(name);
    if (map === undefined) {
      map = new MapState(name);
      this.maps.set(name, map);
    }
    return map;
  }

  /** Records that `writeSet`, whose writes are already in the maps, is the next version. */
  appendLog(writeSet: WriteSet): void {
    assert.equal(writeSet.version, this.version + 1, 'versions advance one at a time');
    this.#log.push(writeSet);
    this.version = writeSet.version;
  }

  /** Applies a write set produced elsewhere (the follower path). */
  apply(writeSet: WriteSet): void {
    assert.equal(writeSet.version, this.version + 1, `write set ${writeSet.version} applied at version ${this.version}`);
    for (const map of writeSet.maps) {
      const state = this.mapState(map.name);
      for (const write of map.writes) state.write(keyString(write.key), write.value, writeSet.version);
    }
    this.appendLog(writeSet);
  }

  rollback(target: number): void {
    assert(Number.isSafeInteger(target) && target >= this.compactedVersion && target <= this.version,
      `rollback to ${target} outside compacted ${this.compactedVersion} .. current ${this.version}`);
    if (target === this.version) return;
    const touched = new Set<MapState>();
    while (this.version > target) {
      const writeSet = this.#log.pop();
      assert(writeSet !== undefined && writeSet.version === this.version, 'the log holds every version above the compacted one');
      for (const map of writeSet.maps) {
        const state = this.maps.get(map.name);
        assert(state !== undefined, `rollback of ${writeSet.version}: map ${map.name} is missing`);
        touched.add(state);
        for (const write of map.writes) state.undo(keyString(write.key), writeSet.version);
      }
      this.version -= 1;
    }
    for (const state of touched) state.lastWriteVersion = this.#lastWriteVersion(state.name);
    this.rollbackTargets.push(target);
  }

  compact(target: number): void {
    assert(Number.isSafeInteger(target) && target <= this.version, `compaction to ${target} above current version ${this.version}`);
    if (target <= this.compactedVersion) return;
    const dropped = this.#log.splice(0, target - this.compactedVersion);
    for (const writeSet of dropped) {
      for (const map of writeSet.maps) {
        const state = this.maps.get(map.name);
        assert(state !== undefined, `compaction of ${writeSet.version}: map ${map.name} is missing`);
        for (const write of map.writes) state.compactKey(keyString(write.key), target);
      }
    }
    this.compactedVersion = target;
  }

  /** Number of write sets kept for rollback. */
  get logLength(): number {
    return this.#log.length;
  }

  // The newest logged version that wrote `name`; below the log, the compacted version is an
  // upper bound, which is enough: transactions reading below it fail to commit anyway.
  #lastWriteVersion(name: string): number {
    for (let index = this.#log.length - 1; index >= 0; index -= 1) {
      const writeSet = this.#log[index] as WriteSet;
      if (writeSet.maps.some((map) => map.name === name)) return writeSet.version;
    }
    return this.compactedVersion;
  }
}
