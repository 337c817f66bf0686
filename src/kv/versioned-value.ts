// The history of one key: its newest value inline (the only one most reads need) and
// older versions, oldest first, in two parallel arrays created on the second write. The
// store keeps an older version only while an open transaction might read it or a
// rollback might restore it, i.e. until compaction passes it.
import { strict as assert } from 'node:assert';

export class VersionedValue {
  /** Versions before `version`, ascending; null while there are none (the common case). */
  #olderVersions: number[] | null = null;
  #olderValues: Array<Buffer | null> | null = null;

  constructor(
    /** The newest version that wrote this key. */
    public version: number,
    /** The newest value; null is a deletion, kept so reads at older versions still see the value before it. */
    public value: Buffer | null,
  ) {}

  /** The value a reader at `readVersion` sees; undefined if absent or deleted then. */
  valueAt(readVersion: number): Buffer | undefined {
    if (this.version <= readVersion) return this.value ?? undefined;
    const versions = this.#olderVersions;
    if (versions === null) return undefined;
    for (let index = versions.length - 1; index >= 0; index -= 1) {
      if ((versions[index] as number) <= readVersion) return this.#olderValues?.[index] ?? undefined;
    }
    return undefined;
  }

  push(version: number, value: Buffer | null): void {
    assert(version > this.version, `key written at ${version} after ${this.version}`);
    if (this.#olderVersions === null || this.#olderValues === null) {
      this.#olderVersions = [this.version];
      this.#olderValues = [this.value];
    } else {
      this.#olderVersions.push(this.version);
      this.#olderValues.push(this.value);
    }
    this.version = version;
    this.value = value;
  }

  /** Undoes the newest write, which must be at `version`. Returns false when no version is left. */
  pop(version: number): boolean {
    assert.equal(this.version, version, 'rollback undoes the newest write of a key');
    const versions = this.#olderVersions;
    const values = this.#olderValues;
    if (versions === null || values === null || versions.length === 0) return false;
    this.version = versions.pop() as number;
    this.value = values.pop() as Buffer | null;
    if (versions.length === 0) this.#olderVersions = this.#olderValues = null;
    return true;
  }

  /** Drops versions no reader at or after `version` can see: all but the newest at or below it. */
  compact(version: number): void {
    const versions = this.#olderVersions;
    const values = this.#olderValues;
    if (versions === null || values === null) return;
    if (this.version <= version) {
      this.#olderVersions = this.#olderValues = null;
      return;
    }
    let keepFrom = versions.length - 1;
    while (keepFrom >= 0 && (versions[keepFrom] as number) > version) keepFrom -= 1;
    if (keepFrom > 0) {
      versions.splice(0, keepFrom);
      values.splice(0, keepFrom);
    }
  }

  /** Number of versions held, for tests of compaction. */
  get versionCount(): number {
    return 1 + (this.#olderVersions?.length ?? 0);
  }
}
