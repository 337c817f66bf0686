// The KV as governance code sees it (`coco.kv` in the sandbox): get, has, set, delete,
// keys and entries on the public:coco.gov.* maps only, keys and values as JSON. validate,
// resolve and ballots read; only apply writes, and never the framework maps (proposals,
// ballots, request history).
//
// apply's writes go to an overlay, not to the transaction: its reads see them, but they
// reach the transaction only by `flush`, after apply has returned. So an apply that
// throws halfway, or runs out of steps or memory, leaves nothing behind, and the lifecycle
// can still record the proposal as Failed in the same transaction.
import assert from 'node:assert/strict';
import { mapNameProblem } from '../kv/map-name.js';
import type { Transaction } from '../kv/transaction.js';
import { applyWriteBytesMax, applyWritesMax } from './governance-limits.js';
import { FRAMEWORK_MAPS, isGovernanceMap } from './governed-maps.js';
import { SandboxHostError } from './js-sandbox.js';

export type SandboxKvMode = 'read' | 'write';

/** Keys governance maps use: ids (strings) and small integers (the single-record maps). */
export type GovernanceKey = string | number;

interface OverlayEntry {
  readonly key: GovernanceKey;
  /** undefined: deleted. */
  readonly value: unknown;
}

const keyMaxChars = 1024;

export class SandboxKv {
  readonly #tx: Transaction;
  readonly #mode: SandboxKvMode;
  /** Map name → (key JSON text → entry). */
  readonly #overlay = new Map<string, Map<string, OverlayEntry>>();
  #writes = 0;
  #writeBytes = 0;

  constructor(tx: Transaction, mode: SandboxKvMode) {
    assert(mode === 'read' || tx.privileged, 'apply writes governance maps: its transaction must be privileged');
    this.#tx = tx;
    this.#mode = mode;
  }

  get(map: unknown, key: unknown): unknown {
    const name = checkMap(map);
    const text = keyText(key);
    const own = this.#overlay.get(name)?.get(text);
    if (own !== undefined) return own.value;
    return this.#tx.map<GovernanceKey, unknown>(name).get(key as GovernanceKey);
  }

  has(map: unknown, key: unknown): boolean {
    return this.get(map, key) !== undefined;
  }

  set(map: unknown, key: unknown, value: unknown): void {
    const name = this.#checkWritable(map);
    const text = keyText(key);
    if (value === undefined) throw new SandboxHostError('coco.kv.set needs a value; use coco.kv.delete to remove a key');
    this.#count(text.length + JSON.stringify(value).length);
    this.#overlayOf(name).set(text, { key: key as GovernanceKey, value });
  }

  delete(map: unknown, key: unknown): boolean {
    const name = this.#checkWritable(map);
    const text = keyText(key);
    if (this.get(name, key) === undefined) return false;
    this.#count(text.length);
    this.#overlayOf(name).set(text, { key: key as GovernanceKey, value: undefined });
    return true;
  }

  keys(map: unknown): GovernanceKey[] {
    return this.entries(map).map(([key]) => key);
  }

  /** Every key and value in key byte order (the store's order), this bridge's writes included. */
  entries(map: unknown): Array<[GovernanceKey, unknown]> {
    const name = checkMap(map);
    const merged = new Map<string, OverlayEntry>();
    for (const [key, value] of this.#tx.map<GovernanceKey, unknown>(name).entries()) merged.set(JSON.stringify(key), { key, value });
    for (const [text, entry] of this.#overlay.get(name) ?? []) merged.set(text, entry);
    return [...merged]
      .filter(([, entry]) => entry.value !== undefined)
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([, entry]) => [entry.key, entry.value]);
  }

  /** The maps this bridge wrote (sets or deletes), sorted. */
  writtenMaps(): string[] {
    return [...this.#overlay.keys()].sort();
  }

  /** The value written to (map, key), if this bridge wrote it: `{ value }` (undefined value = deleted). */
  written(map: string, key: GovernanceKey): { readonly value: unknown } | undefined {
    const entry = this.#overlay.get(map)?.get(JSON.stringify(key));
    return entry === undefined ? undefined : { value: entry.value };
  }

  /** Moves the writes into the transaction. Call once, after apply succeeded. */
  flush(): void {
    assert.equal(this.#mode, 'write', 'only a writing bridge has writes to flush');
    for (const [name, entries] of this.#overlay) {
      const map = this.#tx.map<GovernanceKey, unknown>(name);
      for (const entry of entries.values()) {
        if (entry.value === undefined) map.delete(entry.key);
        else map.set(entry.key, entry.value);
      }
    }
    this.#overlay.clear();
  }

  #checkWritable(map: unknown): string {
    const name = checkMap(map);
    if (this.#mode !== 'write') throw new SandboxHostError(`coco.kv may only be written by apply(); ${name} is read-only here`);
    if (FRAMEWORK_MAPS.has(name)) throw new SandboxHostError(`${name} is kept by the governance framework; the constitution may read it but not write it`);
    return name;
  }

  #count(bytes: number): void {
    this.#writes += 1;
    this.#writeBytes += bytes;
    if (this.#writes > applyWritesMax) throw new SandboxHostError(`apply() may write at most ${applyWritesMax} keys`);
    if (this.#writeBytes > applyWriteBytesMax) throw new SandboxHostError(`apply() may write at most ${applyWriteBytesMax} bytes`);
  }

  #overlayOf(name: string): Map<string, OverlayEntry> {
    let entries = this.#overlay.get(name);
    if (entries === undefined) {
      entries = new Map();
      this.#overlay.set(name, entries);
    }
    return entries;
  }
}

function checkMap(map: unknown): string {
  if (typeof map !== 'string') throw new SandboxHostError('a map name must be a string');
  if (!isGovernanceMap(map)) throw new SandboxHostError(`governance code may use only the public:coco.gov.* maps, not ${JSON.stringify(map.slice(0, 80))}`);
  const problem = mapNameProblem(map);
  if (problem !== undefined) throw new SandboxHostError(problem);
  return map;
}

/** The key's JSON text, which is also its encoding in the store (jsonCodec). */
function keyText(key: unknown): string {
  const valid = (typeof key === 'string' && key.length <= keyMaxChars) || (Number.isSafeInteger(key) && (key as number) >= 0);
  if (!valid) throw new SandboxHostError(`a governance map key is a string of at most ${keyMaxChars} characters or a non-negative integer, not ${JSON.stringify(key)?.slice(0, 80)}`);
  return JSON.stringify(key);
}
