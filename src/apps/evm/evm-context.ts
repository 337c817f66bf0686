// What the app keeps across requests (the chain rules, EVM instances, code cache, write
// turns) and what one request works with: its KV transaction's maps, its caller, and,
// made when first needed, the head, a state manager and the caller's visibility.
import type { Common } from '@ethereumjs/common';
import type { Transaction } from '../../kv/index.js';
import { blockSource, evmBlock, readHead } from './blocks.js';
import type { CodeCache } from './code-cache.js';
import type { EvmSettings } from './evm-config.js';
import type { EvmPool } from './evm-pool.js';
import { KvStateManager } from './kv-state-manager.js';
import type { MessageEnvironment } from './message-runner.js';
import type { SignedTransaction } from './raw-transaction.js';
import type { JsonRpcError } from './rpc-error.js';
import { ethMaps, type EthMaps, type HeadRecord } from './state-maps.js';
import { Visibility } from './visibility.js';
import type { WriteTurns } from './write-turns.js';

/** The number of the last block this node wrote, as far as it knows; shared by its requests (stale-marker.ts). */
export interface LastBlock {
  number: number;
}

export interface EvmContext {
  readonly settings: EvmSettings;
  readonly common: Common;
  readonly pool: EvmPool;
  readonly codeCache: CodeCache;
  readonly turns: WriteTurns;
  readonly lastBlock: LastBlock;
  /** Each request's decoded transactions (or why not), kept for its re-runs. */
  readonly decoded: WeakMap<object, readonly (SignedTransaction | JsonRpcError)[]>;
  /** Milliseconds since the epoch: block timestamps (only the primary runs blocks). */
  readonly now: () => number;
}

export class RequestScope {
  readonly maps: EthMaps;
  #head: HeadRecord | undefined;
  #next: { readonly number: number; readonly timestamp: number } | undefined;
  #visibility: Visibility | undefined;

  constructor(
    readonly context: EvmContext,
    tx: Transaction,
    /** The Coco user id of the caller. */
    readonly caller: string,
  ) {
    this.maps = ethMaps(tx);
  }

  get head(): HeadRecord {
    this.#head ??= readHead(this.maps, this.context.settings.genesisBlock);
    return this.#head;
  }

  /**
   * The block a transaction of this request would run in: after the head, timestamped
   * now but never earlier than the head (the primary's clock may step back, or a new
   * primary's run behind).
   */
  get next(): { readonly number: number; readonly timestamp: number } {
    this.#next ??= { number: this.head.number + 1, timestamp: Math.max(Math.floor(this.context.now() / 1000), this.head.timestamp) };
    return this.#next;
  }

  /** True until the first block writes the genesis allocation into the maps. */
  get genesisPending(): boolean {
    return this.maps.head.get(0) === undefined;
  }

  get visibility(): Visibility {
    this.#visibility ??= new Visibility(this.maps, this.caller);
    return this.#visibility;
  }

  newStateManager(): KvStateManager {
    return new KvStateManager(this.maps, this.context.codeCache, this.genesisPending ? this.context.settings.genesis : undefined);
  }

  /** Runs `work` with an EVM over `state`, in the next block (what a call or transaction would see). */
  withEvm<T>(state: KvStateManager, work: (environment: MessageEnvironment) => Promise<T>): Promise<T> {
    const { settings, pool } = this.context;
    const block = evmBlock(this.next.number, this.next.timestamp, settings.baseFeePerGas);
    return pool.run(state, blockSource(this.maps, settings.genesisBlock), (evm) => work({ evm, state, block }));
  }
}
