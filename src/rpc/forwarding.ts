// Forwarding (DESIGN.md, "One transaction, end to end", step 3): a backup sends requests
// for write endpoints to the primary over the node-to-node channel and relays the
// primary's reply, transaction id included. As in CCF, once a connection has had a
// request forwarded, all its later requests are forwarded too, reads included, so that a
// client reads its own writes (session consistency). Dispatcher decides what to forward;
// this file sends one request and turns every way that can fail into a 503 that says
// whether the request may have run. A request waits for its primary's reply only while
// this node still takes that node as primary: once consensus names another (or none),
// the old primary is dead or deposed and its reply would come late if ever, so the
// request is withdrawn and answered at once; the client's next request goes to the new one.
import type { Logger } from 'pino';
import { ApiError } from './api-error.js';
import { decodeForwardedReply, encodeForwardedRequest, ForwardedMessageError, type ForwardedRequest } from './forwarding-codec.js';
import { errorReply, type Reply } from './reply.js';

/** What a node gives its Dispatcher to reach the primary: the node-to-node channel, seen narrowly. */
export interface Forwarder {
  /** Id of the node to forward to, or undefined to run requests here (this node is primary, or no primary is known: then writes answer 503 as today). */
  primaryId(): string | undefined;
  /**
   * Sends one encoded forwarded request to `to`, resolves with the encoded reply. Rejects
   * with NotForwardedError when the request certainly never left this node; any other
   * rejection means the primary may have run it. When `signal` aborts, the request is
   * withdrawn: the promise rejects promptly (NotForwardedError if it was still queued).
   */
  send(to: string, payload: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
  /** Calls `listener` after each change of the primary this node knows (primaryId() may then differ); returns what stops the calls. */
  watchPrimary(listener: () => void): () => void;
}

/** Thrown by Forwarder.send when nothing was sent (e.g. no channel to the primary): the request did not run. */
export class NotForwardedError extends Error {
  override readonly name = 'NotForwardedError';
}

export { forwardTimeoutMs } from '../limits.js';

export interface Forwarding {
  readonly forwarder: Forwarder;
  readonly primary: string;
  readonly request: ForwardedRequest;
  /** The endpoint's mode: a read that failed to forward surely wrote nothing. */
  readonly mode: 'readonly' | 'readwrite';
  /** For the log. */
  readonly route: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

type Outcome =
  | { readonly kind: 'replied'; readonly payload: Uint8Array }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'primary-changed'; readonly primaryNow: string | undefined };

function unavailable(message: string): Reply {
  return errorReply(new ApiError('ServiceUnavailable', message));
}

/** Forwards one request; resolves with the primary's reply, or with a 503 that says why not. */
export async function forwardToPrimary(forwarding: Forwarding): Promise<Reply> {
  const { forwarder, primary, mode, route, timeoutMs, logger } = forwarding;
  const payload = encodeForwardedRequest(forwarding.request);
  const withdrawal = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let stopWatching = (): void => {};
  // None of these promises rejects: a send that fails after the answer has nobody to tell.
  const sent = (async () => forwarder.send(primary, payload, withdrawal.signal))().then(
    (reply): Outcome => ({ kind: 'replied', payload: reply }),
    (error: unknown): Outcome => ({ kind: 'failed', error }),
  );
  const timedOut = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'timed-out' }), timeoutMs)));
  const primaryChanged = new Promise<Outcome>((resolve) => {
    const check = (): void => {
      const primaryNow = forwarder.primaryId();
      if (primaryNow !== primary) resolve({ kind: 'primary-changed', primaryNow });
    };
    stopWatching = forwarder.watchPrimary(check);
    check();
  });
  let outcome = await Promise.race([sent, timedOut, primaryChanged]);
  stopWatching();
  // Take the request back: still queued, it is never sent (and the channel then says so).
  withdrawal.abort();
  let stillQueued = false;
  if (outcome.kind === 'primary-changed') {
    const after = await Promise.race([sent, timedOut]);
    // A reply that crossed the change is as good as any.
    if (after.kind === 'replied') outcome = after;
    else stillQueued = after.kind === 'failed' && after.error instanceof NotForwardedError;
  }
  clearTimeout(timer);
  const unknownOutcome = mode === 'readonly'
    ? 'nothing was written (the request only reads); try again'
    : 'the request may have been written there; check before sending it again';
  switch (outcome.kind) {
    case 'timed-out':
      logger.warn({ primary, route, timeoutMs }, 'the primary did not answer a forwarded request in time');
      return unavailable(`no reply from the primary (node ${primary}) within ${timeoutMs} ms: ${unknownOutcome}`);
    case 'primary-changed': {
      const now = outcome.primaryNow === undefined ? 'no primary is known yet' : `node ${outcome.primaryNow} is primary now`;
      logger.warn({ primary, primaryNow: outcome.primaryNow, route, stillQueued }, 'the primary changed while a forwarded request waited for it');
      return unavailable(stillQueued
        ? `node ${primary} stopped being the primary (${now}) before the request reached it: nothing was written; try again`
        : `node ${primary} stopped being the primary (${now}) before it answered: ${unknownOutcome}`);
    }
    case 'failed':
      logger.warn({ err: outcome.error, primary, route }, 'forwarding a request to the primary failed');
      if (outcome.error instanceof NotForwardedError) {
        return unavailable(`the request could not be forwarded to the primary (node ${primary}): nothing was written; try again`);
      }
      return unavailable(`forwarding the request to the primary (node ${primary}) failed: ${unknownOutcome}`);
    case 'replied':
      try {
        return decodeForwardedReply(outcome.payload);
      } catch (error) {
        if (!(error instanceof ForwardedMessageError)) throw error;
        logger.error({ err: error, primary, route }, "the primary's reply to a forwarded request cannot be read");
        return unavailable(`the reply of the primary (node ${primary}) cannot be read: ${unknownOutcome}`);
      }
  }
}
