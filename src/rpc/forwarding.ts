// Forwarding (DESIGN.md, "One transaction, end to end", step 3): a backup sends requests
// for write endpoints to the primary over the node-to-node channel and relays the
// primary's reply, transaction id included. As in CCF, once a connection has had a
// request forwarded, all its later requests are forwarded too, reads included, so that a
// client reads its own writes (session consistency). Dispatcher decides what to forward;
// this file sends one request and turns every way that can fail into a 503 that says
// whether the request may have run.
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
   * rejection means the primary may have run it.
   */
  send(to: string, payload: Uint8Array): Promise<Uint8Array>;
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

type Outcome = { readonly kind: 'replied'; readonly payload: Uint8Array } | { readonly kind: 'failed'; readonly error: unknown } | { readonly kind: 'timed-out' };

function unavailable(message: string): Reply {
  return errorReply(new ApiError('ServiceUnavailable', message));
}

/** Forwards one request; resolves with the primary's reply, or with a 503 that says why not. */
export async function forwardToPrimary(forwarding: Forwarding): Promise<Reply> {
  const { forwarder, primary, mode, route, timeoutMs, logger } = forwarding;
  const payload = encodeForwardedRequest(forwarding.request);
  let timer: NodeJS.Timeout | undefined;
  // Neither promise rejects: a send that fails after the timeout has nobody to tell.
  const outcome = await Promise.race([
    (async () => forwarder.send(primary, payload))().then(
      (reply): Outcome => ({ kind: 'replied', payload: reply }),
      (error: unknown): Outcome => ({ kind: 'failed', error }),
    ),
    new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ kind: 'timed-out' }), timeoutMs))),
  ]);
  clearTimeout(timer);
  const unknownOutcome = mode === 'readonly'
    ? 'nothing was written (the request only reads); try again'
    : 'the request may have been written there; check before sending it again';
  switch (outcome.kind) {
    case 'timed-out':
      logger.warn({ primary, route, timeoutMs }, 'the primary did not answer a forwarded request in time');
      return unavailable(`no reply from the primary (node ${primary}) within ${timeoutMs} ms: ${unknownOutcome}`);
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
