// One request/response exchange on an HTTP/2 session. Never throws: the outcome says
// whether the node answered and, if not, whether the request can have run on the
// node, which decides whether the caller may safely send it again.
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { responseBodyBytesMax } from './client-limits.js';
import { transportErrorCode } from './coco-transport-error.js';
import type { Connection } from './reconnecting-session.js';

export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly timeoutMs: number;
}

export type ExchangeOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly headers: Record<string, string>; readonly body: Buffer }
  /**
   * refused: the node did not run it (never sent, or RFC 9113 §8.7 REFUSED_STREAM,
   * which a GOAWAY also gives streams it did not take), so any request may be resent.
   * lost: the connection died after set-up, before the whole answer; it may have run.
   * failed: anything else (connecting, TLS, timeout, an oversized answer).
   */
  | { readonly kind: 'refused' | 'lost' | 'failed'; readonly code: string; readonly error: unknown };

export function sendRequest(connection: Connection, exchange: Exchange): Promise<ExchangeOutcome> {
  return new Promise((resolve) => {
    let stream: ClientHttp2Stream;
    try {
      stream = connection.session.request(
        { ...exchange.headers, ':method': exchange.method, ':path': exchange.path },
        { endStream: exchange.body === undefined },
      );
    } catch (error) {
      // The session is closing (GOAWAY), gone, or out of stream ids: nothing was sent.
      resolve({ kind: 'refused', code: transportErrorCode(error), error });
      return;
    }

    let status: number | undefined;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (outcome: ExchangeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const cancel = (code: string, message: string): void => {
      finish({ kind: 'failed', code, error: new Error(message) });
      stream.close(constants.NGHTTP2_CANCEL);
    };

    const timer = setTimeout(() => {
      cancel('TIMEOUT', `no response within ${exchange.timeoutMs} ms`);
      // A node that never finishes the handshake must not keep collecting requests.
      if (!connection.connected) connection.session.destroy();
    }, exchange.timeoutMs);

    stream.on('response', (incoming) => {
      status = incoming[':status'];
      headers = plainHeaders(incoming);
    });
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > responseBodyBytesMax) cancel('RESPONSE_TOO_LARGE', `response body exceeds ${responseBodyBytesMax} bytes`);
      else chunks.push(chunk);
    });
    stream.on('end', () => {
      if (status === undefined) finish(failure(connection, stream, new Error('the stream ended without a response')));
      else finish({ kind: 'answered', status, headers, body: Buffer.concat(chunks) });
    });
    stream.on('error', (error) => finish(failure(connection, stream, error)));
    // A stream closed without 'end' or 'error': reset by the node, or its session destroyed.
    stream.on('close', () => finish(failure(connection, stream, new Error(`the stream closed (HTTP/2 error code ${stream.rstCode}) before the response was complete`))));
    if (exchange.body !== undefined) stream.end(exchange.body);
  });
}

function failure(connection: Connection, stream: ClientHttp2Stream, error: unknown): ExchangeOutcome {
  const code = transportErrorCode(error);
  if (stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) return { kind: 'refused', code, error };
  if (connection.connected && !connection.usable) return { kind: 'lost', code, error };
  return { kind: 'failed', code, error };
}

function plainHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (name.startsWith(':') || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
