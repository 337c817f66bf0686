// The requests one node has sent (or queued) to one peer and not had answered: each
// with a timeout, matched to its answer by request id. A request given up on (timed out,
// or withdrawn by its caller) says whether it had been handed to a connection.
import assert from 'node:assert/strict';
import { ChannelError } from './channel-error.js';

interface Pending {
  readonly resolve: (payload: Uint8Array) => void;
  readonly reject: (error: ChannelError) => void;
  readonly timer: NodeJS.Timeout;
  /** Takes the request out of the caller's queue when it is given up on. */
  readonly onAbandoned: (requestId: number) => void;
  /** Handed to a connection: lost, not retried, if that connection closes. */
  written: boolean;
}

export class PendingRequests {
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Registers a request and gives its id. After timeoutMs it is abandoned (rejected, and
   * `onAbandoned(id)` runs, so the caller can take it out of its queue).
   */
  add(timeoutMs: number, timeoutMessage: string, onAbandoned: (requestId: number) => void): { requestId: number; answer: Promise<Uint8Array> } {
    while (this.#pending.has(this.#nextId)) this.#nextId = (this.#nextId + 1) >>> 0;
    const requestId = this.#nextId;
    this.#nextId = (this.#nextId + 1) >>> 0;
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => this.abandon(requestId, timeoutMessage), timeoutMs);
      // A pending request alone should not keep the process alive.
      timer.unref();
      this.#pending.set(requestId, { resolve, reject, timer, onAbandoned, written: false });
    });
    return { requestId, answer };
  }

  /**
   * Gives up on a pending request (its timeout passed, or its caller withdrew it): rejects
   * it with `message`, sent or not as it was, and lets the caller unqueue it. A request
   * no longer pending is left alone.
   */
  abandon(requestId: number, message: string): void {
    const pending = this.#take(requestId);
    if (pending === undefined) return;
    // Still queued, never handed to a connection: it surely did not reach the peer.
    pending.reject(new ChannelError(message, { sent: pending.written }));
    pending.onAbandoned(requestId);
  }

  markWritten(requestId: number): void {
    const pending = this.#pending.get(requestId);
    assert(pending !== undefined, `request ${requestId} was written but is not pending`);
    pending.written = true;
  }

  /** Answers a request; an answer to one no longer pending (it timed out) is ignored. */
  resolve(requestId: number, payload: Uint8Array): void {
    const pending = this.#take(requestId);
    pending?.resolve(payload);
  }

  reject(requestId: number, error: ChannelError): void {
    const pending = this.#take(requestId);
    pending?.reject(error);
  }

  /** Rejects the requests already written: their connection is gone. */
  rejectWritten(error: ChannelError): void {
    for (const [requestId, pending] of this.#pending) if (pending.written) this.reject(requestId, error);
  }

  rejectAll(error: ChannelError): void {
    for (const requestId of [...this.#pending.keys()]) this.reject(requestId, error);
  }

  #take(requestId: number): Pending | undefined {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(requestId);
    return pending;
  }
}
