// The accepting side of one connection from an authenticated, trusted peer: it tells
// the peer it is accepted, hands each message to onMessage in order, runs each request
// and writes the answer back on this connection. A frame only an acceptor may send, or
// a malformed or oversized one, drops this connection and nothing else.
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { nodeChannelErrorMessageBytesMax } from '../../limits.js';
import { encodeFrame, frameBytes } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';

export interface IncomingContext {
  readonly frameBytesMax: number;
  readonly requestsInFlightMax: number;
  readonly onMessage: (from: string, payload: Uint8Array) => void;
  readonly onRequest: (from: string, payload: Uint8Array) => Promise<Uint8Array>;
  readonly logger: Logger;
}

/** Serves a connection the channel has already authenticated as node `from`. */
export function serveIncoming(socket: TLSSocket, from: string, context: IncomingContext): void {
  const decoder = new FrameDecoder(context.frameBytesMax);
  let inFlight = 0;

  const breakProtocol = (reason: string): void => {
    context.logger.warn({ peer: from, reason }, 'dropped a connection from a peer that broke the protocol');
    socket.destroy();
  };

  const reply = (frame: Buffer): void => {
    // The requester is gone with its connection and has rejected the request itself.
    if (socket.writable) socket.write(frame);
  };

  const answer = async (requestId: number, payload: Uint8Array): Promise<void> => {
    let frame: Buffer;
    try {
      const response = await context.onRequest(from, payload);
      frame = frameBytes('response', response.length) > context.frameBytesMax
        ? errorFrame(requestId, `the ${response.length}-byte response is over the ${context.frameBytesMax}-byte frame limit`)
        : encodeFrame({ kind: 'response', requestId, payload: response });
    } catch (error) {
      frame = errorFrame(requestId, error instanceof Error ? error.message : String(error));
    }
    inFlight -= 1;
    reply(frame);
  };

  socket.on('data', (chunk: Buffer) => {
    const decoded = decoder.push(chunk);
    for (const frame of decoded.frames) {
      // onMessage may have removed the peer, which drops this connection.
      if (socket.destroyed) return;
      if (frame.kind === 'message') {
        context.onMessage(from, frame.payload);
      } else if (frame.kind === 'request') {
        if (inFlight >= context.requestsInFlightMax) {
          reply(errorFrame(frame.requestId, `${inFlight} requests from this node are unanswered already, the limit`));
        } else {
          inFlight += 1;
          void answer(frame.requestId, frame.payload);
        }
      } else {
        breakProtocol(`a ${frame.kind} frame, which only the accepting node sends`);
        return;
      }
    }
    if (decoded.error !== undefined) breakProtocol(decoded.error);
  });
  socket.write(encodeFrame({ kind: 'accept' }));
}

function errorFrame(requestId: number, message: string): Buffer {
  const bytes = Buffer.from(message);
  const text = bytes.length > nodeChannelErrorMessageBytesMax ? bytes.subarray(0, nodeChannelErrorMessageBytesMax).toString() : message;
  return encodeFrame({ kind: 'error', requestId, message: text });
}
