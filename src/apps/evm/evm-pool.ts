// EVM instances for the requests in flight. An instance holds the state of the call it
// runs (its journal of warm addresses, transient storage, the current block), so two
// requests must never share one; building one costs a few milliseconds, so idle ones
// are kept. Each run points an instance at the request's state manager and block source.
import type { Common } from '@ethereumjs/common';
import { createEVM, type EVM, type EVMMockBlockchainInterface } from '@ethereumjs/evm';
import { evmPoolIdleMax } from './evm-limits.js';
import type { KvStateManager } from './kv-state-manager.js';

export class EvmPool {
  readonly #common: Common;
  readonly #idle: EVM[] = [];

  constructor(common: Common) {
    this.#common = common;
  }

  async run<T>(stateManager: KvStateManager, blockchain: EVMMockBlockchainInterface, work: (evm: EVM) => Promise<T>): Promise<T> {
    const evm = this.#idle.pop() ?? (await createEVM({ common: this.#common, stateManager, blockchain }));
    evm.stateManager = stateManager;
    // The journal keeps its own reference (private in the typings, public in the code).
    (evm.journal as unknown as { stateManager: KvStateManager }).stateManager = stateManager;
    evm.blockchain = blockchain;
    evm.journal.cleanJournal();
    // An instance whose run threw may hold half a call's state: it is dropped, not reused.
    const result = await work(evm);
    if (this.#idle.length < evmPoolIdleMax) this.#idle.push(evm);
    return result;
  }
}
