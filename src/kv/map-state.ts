// One map's committed state: its keys' histories, indexed by the latin1 string of the key
// bytes (a reversible, one-char-per-byte form: Map lookups by string are fast, and string
// order is byte order), and the last version that wrote it, which is what a transaction
// that iterated the map must not have missed.
import { strict as assert } from 'node:assert';
import { VersionedValue } from './versioned-value.js';

/** The string a key's bytes are indexed by. Reversible: see `keyBytes`. */
export function keyString(bytes: Buffer): string {
  return bytes.toString('latin1');
}

export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

export class MapState {
  readonly entries = new Map<string, VersionedValue>();
  /** The newest version that wrote any key here (an upper bound after a rollback). */
  lastWriteVersion = 0;
  // Keys sorted by byte order, built when first iterated after a key was added or removed.
  // Never mutated once built, so an iteration in progress keeps a stable view.
  #sortedKeys: readonly string[] | null = null;

  constructor(readonly name: string) {}

  write(key: string, value: Buffer | null, version: number): void {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, new VersionedValue(version, value));
      this.#sortedKeys = null;
    } else {
      entry.push(version, value);
    }
    this.lastWriteVersion = version;
  }

  /** Undoes the write of `key` at `version` (the newest one). */
  undo(key: string, version: number): void {
    const entry = this.entries.get(key);
    assert(entry !== undefined, `rollback of ${this.name}: key written at ${version} is missing`);
    if (!entry.pop(version)) this.remove(key);
  }

  /** Compacts one key's history to `version`; a key deleted at or before it disappears. */
  compactKey(key: string, version: number): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    entry.compact(version);
    if (entry.value === null && entry.version <= version) this.remove(key);
  }

  sortedKeys(): readonly string[] {
    // Default sort compares UTF-16 code units; a latin1 string has one unit per byte.
    this.#sortedKeys ??= [...this.entries.keys()].sort();
    return this.#sortedKeys;
  }

  private remove(key: string): void {
    this.entries.delete(key);
    this.#sortedKeys = null;
  }
}
