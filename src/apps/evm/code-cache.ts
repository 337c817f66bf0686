// Contract code by code hash, kept across requests. Code is content-addressed: the bytes
// for a hash never change, so serving them from memory instead of the code map cannot
// read anything stale, and a transaction that reads code cannot conflict on it.
import { codeCacheEntriesMax } from './evm-limits.js';

export class CodeCache {
  readonly #entries = new Map<string, Uint8Array>();

  get(hashKey: string): Uint8Array | undefined {
    const code = this.#entries.get(hashKey);
    if (code !== undefined) {
      // Most recently used last, so eviction drops the least recently used.
      this.#entries.delete(hashKey);
      this.#entries.set(hashKey, code);
    }
    return code;
  }

  set(hashKey: string, code: Uint8Array): void {
    this.#entries.set(hashKey, code);
    if (this.#entries.size > codeCacheEntriesMax) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
