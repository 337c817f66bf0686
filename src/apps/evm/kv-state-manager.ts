// The EVM's view of Ethereum state, over one Coco transaction: reads come from this
// request's own changes first, then the KV maps (then, until the first block wrote it,
// the configured genesis allocation); changes stay in a lean journal (state-journal.ts)
// until `flush` writes what differs into the maps. No trie and no state root: the ledger,
// not a Merkle-Patricia trie, is what proves the state (docs/ethereum.md).
import { strict as assert } from 'node:assert';
import type { StateManagerInterface } from '@ethereumjs/common';
import { Account, KECCAK256_NULL, equalsBytes, unpadBytes, type Address } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesKey as key, keyBytes } from './byte-keys.js';
import type { CodeCache } from './code-cache.js';
import { copyAccount } from './account-codec.js';
import { storageKey, type EthMaps } from './state-maps.js';
import { StateJournal } from './state-journal.js';

const EMPTY = new Uint8Array(0);


function sameAccount(a: Account, b: Account): boolean {
  return a.nonce === b.nonce && a.balance === b.balance && equalsBytes(a.codeHash, b.codeHash);
}

export class KvStateManager implements StateManagerInterface {
  readonly originalStorageCache: { get(address: Address, slot: Uint8Array): Promise<Uint8Array>; clear(): void };
  readonly #maps: EthMaps;
  readonly #codeCache: CodeCache;
  /** The genesis allocation, while no block has written it; by address key. */
  readonly #genesis: ReadonlyMap<string, Account> | undefined;
  readonly #journal = new StateJournal();
  /** Changed accounts (null: deleted), storage (empty: zero) and new code, by key. */
  readonly #accounts = new Map<string, Account | null>();
  readonly #storage = new Map<string, Uint8Array>();
  readonly #code = new Map<string, Uint8Array>();
  /** What the maps held, as read: each key decoded once per request. */
  readonly #accountsRead = new Map<string, Account | undefined>();
  readonly #storageRead = new Map<string, Uint8Array>();
  /** Storage values as the current Ethereum transaction found them (SSTORE gas, EIP-2200). */
  readonly #originals = new Map<string, Uint8Array>();

  constructor(maps: EthMaps, codeCache: CodeCache, genesis: ReadonlyMap<string, Account> | undefined) {
    this.#maps = maps;
    this.#codeCache = codeCache;
    this.#genesis = genesis;
    this.originalStorageCache = {
      get: async (address, slot) => this.#originals.get(key(storageKey(address.bytes, slot))) ?? (await this.getStorage(address, slot)),
      clear: () => this.#originals.clear(),
    };
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const account = this.#account(key(address.bytes));
    return account === undefined ? undefined : copyAccount(account);
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    this.#journal.set(this.#accounts, key(address.bytes), account === undefined ? null : copyAccount(account));
  }

  async deleteAccount(address: Address): Promise<void> {
    this.#journal.set(this.#accounts, key(address.bytes), null);
    await this.clearStorage(address);
  }

  async modifyAccountFields(address: Address, fields: { nonce?: bigint; balance?: bigint; codeHash?: Uint8Array }): Promise<void> {
    const account = (await this.getAccount(address)) ?? new Account();
    if (fields.nonce !== undefined) account.nonce = fields.nonce;
    if (fields.balance !== undefined) account.balance = fields.balance;
    if (fields.codeHash !== undefined) account.codeHash = fields.codeHash;
    await this.putAccount(address, account);
  }

  async putCode(address: Address, code: Uint8Array): Promise<void> {
    const codeHash = code.length === 0 ? KECCAK256_NULL : keccak_256(code);
    if (code.length > 0) this.#journal.set(this.#code, key(codeHash), Uint8Array.from(code));
    await this.modifyAccountFields(address, { codeHash });
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const account = this.#account(key(address.bytes));
    if (account === undefined || equalsBytes(account.codeHash, KECCAK256_NULL)) return EMPTY;
    const hashKey = key(account.codeHash);
    let code = this.#code.get(hashKey) ?? this.#codeCache.get(hashKey);
    if (code === undefined) {
      code = this.#maps.code.get(account.codeHash);
      assert(code !== undefined, 'an account with a code hash has its code in the code map');
      this.#codeCache.set(hashKey, code);
    }
    return code;
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    const storage = storageKey(address.bytes, slot);
    const slotKey = key(storage);
    const changed = this.#storage.get(slotKey);
    if (changed !== undefined) return changed;
    let value = this.#storageRead.get(slotKey);
    if (value === undefined) {
      value = this.#maps.storage.get(storage) ?? EMPTY;
      this.#storageRead.set(slotKey, value);
    }
    return value;
  }

  async putStorage(address: Address, slot: Uint8Array, value: Uint8Array): Promise<void> {
    assert(value.length <= 32, 'a storage value is at most 32 bytes');
    const slotKey = key(storageKey(address.bytes, slot));
    if (!this.#originals.has(slotKey)) this.#originals.set(slotKey, await this.getStorage(address, slot));
    this.#journal.set(this.#storage, slotKey, unpadBytes(Uint8Array.from(value)));
  }

  /**
   * Forgets this request's storage changes of `address` (a contract created, or destroyed
   * in the transaction that created it). Storage in the maps needs no clearing: since
   * EIP-6780 only a contract created in the same transaction can be destroyed, so every
   * slot it has is among this request's changes.
   */
  async clearStorage(address: Address): Promise<void> {
    const prefix = key(address.bytes);
    for (const slotKey of [...this.#storage.keys()]) if (slotKey.startsWith(prefix)) this.#journal.delete(this.#storage, slotKey);
  }

  async checkpoint(): Promise<void> {
    this.#journal.checkpoint();
  }

  async commit(): Promise<void> {
    this.#journal.commit();
  }

  async revert(): Promise<void> {
    this.#journal.revert();
  }

  getStateRoot(): Promise<Uint8Array> {
    throw new Error('Coco keeps no state root: the ledger proves the state (docs/ethereum.md)');
  }

  setStateRoot(): Promise<void> {
    throw new Error('Coco keeps no state root');
  }

  hasStateRoot(): Promise<boolean> {
    throw new Error('Coco keeps no state root');
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    throw new Error('a KvStateManager belongs to one request and is not copied');
  }

  /**
   * Writes the changes into the maps (with the genesis allocation first, when it is
   * still pending) and reports whether anything was written. Only values that differ
   * from what the maps hold are written, so untouched keys stay out of the write set.
   */
  flush(): boolean {
    assert(this.#journal.settled, 'flush between transactions, not inside one');
    let wrote = false;
    // Genesis first, whole: below, an account equal to its genesis value is skipped.
    for (const [addressKey, account] of this.#genesis ?? []) {
      this.#maps.accounts.set(keyBytes(addressKey), account);
      wrote = true;
    }
    const liveCode = new Set<string>();
    for (const [addressKey, account] of this.#accounts) {
      const stored = this.#stored(addressKey);
      if (account === null) {
        if (stored !== undefined) wrote = this.#maps.accounts.delete(keyBytes(addressKey)) || wrote;
        continue;
      }
      liveCode.add(key(account.codeHash));
      if (stored !== undefined && sameAccount(stored, account)) continue;
      this.#maps.accounts.set(keyBytes(addressKey), account);
      wrote = true;
    }
    for (const [slotKey, value] of this.#storage) {
      const stored = this.#storageRead.get(slotKey) ?? this.#maps.storage.get(keyBytes(slotKey)) ?? EMPTY;
      if (equalsBytes(stored, value)) continue;
      if (value.length === 0) this.#maps.storage.delete(keyBytes(slotKey));
      else this.#maps.storage.set(keyBytes(slotKey), value);
      wrote = true;
    }
    for (const [hashKey, code] of this.#code) {
      if (!liveCode.has(hashKey)) continue;
      this.#maps.code.set(keyBytes(hashKey), code);
      this.#codeCache.set(hashKey, code);
      wrote = true;
    }
    return wrote;
  }

  /** The current account at `addressKey` (not a copy: do not change it). */
  #account(addressKey: string): Account | undefined {
    const changed = this.#accounts.get(addressKey);
    if (changed !== undefined) return changed ?? undefined;
    return this.#stored(addressKey);
  }

  /** The account as the maps (or the pending genesis) hold it. */
  #stored(addressKey: string): Account | undefined {
    if (this.#accountsRead.has(addressKey)) return this.#accountsRead.get(addressKey);
    const account = this.#maps.accounts.get(keyBytes(addressKey)) ?? this.#genesis?.get(addressKey);
    this.#accountsRead.set(addressKey, account);
    return account;
  }
}
