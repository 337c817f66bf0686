// Ethereum transactions take turns on the primary, one block at a time. Every block
// reads and writes the head, so two blocks run side by side always conflict, and under
// load (pipelined requests start together, in one snapshot) retrying them all would cost
// a full EVM run per conflict, again and again. Instead a block waits for its turn; the
// turn passes on only after the previous block committed. The server commits in the
// promise jobs that follow the handler's end, with no I/O between, so a process.nextTick
// queued at the end of the handler (itself a promise job) runs after the commit: node
// runs the next-tick queue only once the promise-job queue is empty. Handing over so, in
// the same event-loop turn, lets many blocks share one ledger flush; after a few such
// turns the hand-over waits for setImmediate, so that I/O (heartbeats, replies) gets in. A request
// may still hold a snapshot from before that commit: the handler sees it (the head is
// behind the last block written, stale-marker.ts) and makes its transaction conflict
// cheaply, so that the server re-runs it at once on a fresh snapshot, keeping the turn.
// Conflict detection still guarantees correctness; turns only keep work from being
// wasted.
import { strict as assert } from 'node:assert';
import { turnsPerEventLoopTurnMax, writesWaitingMax } from './evm-limits.js';
import { JSON_RPC_ERROR_CODES, JsonRpcError } from './rpc-error.js';

interface Waiter {
  readonly owner: object;
  readonly grant: () => void;
}

export class WriteTurns {
  /** The request whose turn it is (kept across its re-runs), if any. */
  #holder: object | undefined;
  /** The hand-over scheduled by the holder's last leave; its re-entry cancels it. */
  #handOver: object | undefined;
  readonly #waiting: Waiter[] = [];
  #waitingHead = 0;
  /** Hand-overs since the event loop last turned. */
  #chained = 0;

  /** Resolves when it is `owner`'s turn (one object per request: its re-runs after a conflict keep the turn). */
  enter(owner: object): Promise<void> {
    if (this.#holder === owner || this.#holder === undefined) {
      this.#holder = owner;
      this.#handOver = undefined;
      return Promise.resolve();
    }
    if (this.#waiting.length - this.#waitingHead >= writesWaitingMax) {
      return Promise.reject(new JsonRpcError(JSON_RPC_ERROR_CODES.limitExceeded, `${writesWaitingMax} transactions are waiting for their turn; send this one again later`));
    }
    return new Promise((grant) => this.#waiting.push({ owner, grant }));
  }

  /**
   * `owner`'s run ended; call it from the handler's last promise job. The turn passes on
   * after the commit, unless the same request comes back first (its re-run after a
   * conflict).
   */
  leave(owner: object): void {
    assert(this.#holder === owner, 'only the holder leaves its turn');
    const handOver = {};
    this.#handOver = handOver;
    const passOn = (): void => {
      if (this.#handOver === handOver) this.#passOn();
    };
    if (this.#chained < turnsPerEventLoopTurnMax) {
      this.#chained += 1;
      process.nextTick(passOn);
    } else {
      this.#chained = 0;
      setImmediate(passOn);
    }
  }

  #passOn(): void {
    this.#handOver = undefined;
    const next = this.#waiting[this.#waitingHead];
    if (next === undefined) {
      this.#holder = undefined;
      this.#chained = 0;
      return;
    }
    this.#waiting[this.#waitingHead] = undefined as unknown as Waiter;
    this.#waitingHead += 1;
    if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#waitingHead);
      this.#waitingHead = 0;
    }
    this.#holder = next.owner;
    next.grant();
  }
}
