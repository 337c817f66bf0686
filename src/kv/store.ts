// The replicated key-value store: named maps under optimistic, serialisable transactions.
// The primary runs transactions (`begin`, commit); followers `apply` the write sets they
// produced; both end in identical states. Versions are ledger seqnos: every committed
// write transaction takes the next one. History is kept for rollback (an uncommitted
// suffix undone on a view change) until `compact` says the ledger committed it.
import { sha256Hex } from '../crypto/hash.js';
import { keyBytes } from './map-state.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { StoreState } from './store-state.js';
import { Transaction, type TransactionOptions } from './transaction.js';
import { assertCanonicalWriteSet, type WriteSet } from './write-set.js';

/** The latest state, canonically ordered and in hex, for comparing stores in tests and simulation. */
export interface StateDump {
  readonly version: number;
  /** Maps with at least one key, sorted by name; entries as [keyHex, valueHex], sorted by key bytes. */
  readonly maps: ReadonlyArray<{ readonly name: string; readonly entries: ReadonlyArray<readonly [string, string]> }>;
}

export class Store {
  #state = new StoreState();

  /** The last committed or applied version (seqno); 0 for an empty store. */
  get version(): number {
    return this.#state.version;
  }

  /** No rollback to below this version, and transactions reading below it conflict. */
  get compactedVersion(): number {
    return this.#state.compactedVersion;
  }

  /** A transaction reading the state at the current version; later commits are invisible to it. */
  begin(options?: TransactionOptions): Transaction {
    return new Transaction(this.#state, options);
  }

  /**
   * The follower path: applies a write set made by another store's commit. Its version
   * must be exactly `version + 1`. The store keeps the write set's buffers (no copy):
   * do not change them afterwards.
   */
  apply(writeSet: WriteSet): void {
    assertCanonicalWriteSet(writeSet);
    this.#state.apply(writeSet);
  }

  /**
   * Undoes every version above `version` (at least `compactedVersion`). Open transactions
   * whose snapshot included an undone version will conflict.
   */
  rollback(version: number): void {
    this.#state.rollback(version);
  }

  /**
   * Forgets history at or below `version` (at most the current version): older values
   * and the write sets kept for rollback. Call it as the ledger commits.
   */
  compact(version: number): void {
    this.#state.compact(version);
  }

  /** The whole latest state as deterministic CBOR bytes; see snapshot.ts for the format. */
  serialiseSnapshot(): Buffer {
    return encodeSnapshot(this.#state);
  }

  /** A store at the snapshot's version, compacted there. Throws KvError `InvalidSnapshot` on malformed bytes. */
  static fromSnapshot(bytes: Uint8Array): Store {
    const store = new Store();
    store.#state = decodeSnapshot(bytes);
    return store;
  }

  /** Hex SHA-256 of the snapshot bytes: equal for equal states at equal versions. */
  stateDigest(): string {
    return sha256Hex(this.serialiseSnapshot());
  }

  dumpState(): StateDump {
    const maps: Array<{ name: string; entries: Array<[string, string]> }> = [];
    for (const name of [...this.#state.maps.keys()].sort()) {
      const map = this.#state.maps.get(name);
      const entries: Array<[string, string]> = [];
      for (const key of map?.sortedKeys() ?? []) {
        const value = map?.entries.get(key)?.value;
        if (value !== null && value !== undefined) entries.push([keyBytes(key).toString('hex'), value.toString('hex')]);
      }
      if (entries.length > 0) maps.push({ name, entries });
    }
    return { version: this.version, maps };
  }

  /** Write sets held for rollback (those above `compactedVersion`). */
  get rollbackLogLength(): number {
    return this.#state.logLength;
  }
}
