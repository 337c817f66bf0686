// Callers waiting for transactions to settle, that is to become Committed or Invalid
// (the two statuses that never change again). The node checks them whenever its commit
// seqno moves, since only a commit can settle a transaction (CCF's status rules, in
// replica.ts): no polling, and nothing blocks the event loop while they wait.
import assert from 'node:assert/strict';
import type { TxId } from '../ledger/tx-id.js';
import type { TxStatus } from './replica.js';

/** Waiters at once; more are answered at once with the current status. */
export const commitWaitersMax = 1_024;

interface Waiter {
  readonly txId: TxId;
  readonly resolve: (status: TxStatus) => void;
  readonly timer: NodeJS.Timeout;
}

function settled(status: TxStatus): boolean {
  return status === 'Committed' || status === 'Invalid';
}

export class CommitWaiters {
  readonly #status: (txId: TxId) => TxStatus;
  readonly #waiters = new Set<Waiter>();

  constructor(status: (txId: TxId) => TxStatus) {
    this.#status = status;
  }

  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves with `txId`'s status once it is Committed or Invalid, or with whatever it is
   * when `timeoutMs` passes (or when too many wait already, or at close): never rejects.
   */
  wait(txId: TxId, timeoutMs: number): Promise<TxStatus> {
    assert(Number.isSafeInteger(timeoutMs) && timeoutMs > 0, `a commit wait takes a positive whole number of milliseconds, got ${timeoutMs}`);
    const now = this.#status(txId);
    if (settled(now) || this.#waiters.size >= commitWaitersMax) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        txId,
        resolve,
        timer: setTimeout(() => this.#settle(waiter), timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Settles the waiters whose transaction has settled; call it after the commit seqno moved. */
  check(): void {
    for (const waiter of this.#waiters) if (settled(this.#status(waiter.txId))) this.#settle(waiter);
  }

  /** Settles every waiter with its transaction's status now (the node is stopping). */
  close(): void {
    for (const waiter of this.#waiters) this.#settle(waiter);
  }

  #settle(waiter: Waiter): void {
    if (!this.#waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.resolve(this.#status(waiter.txId));
  }
}
