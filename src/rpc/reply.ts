// What the server sends back, as bytes and headers: a handler's EndpointResponse or an
// ApiError rendered as `{"error": {"code", "message"}}`. Rendering a handler's response
// happens inside its transaction, so a response that cannot be sent (a value JSON cannot
// hold, a bad header) aborts the transaction instead of answering 500 after a commit.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { ApiError } from './api-error.js';
import type { EndpointResponse } from './endpoint.js';
import { HandlerMisuseError } from './handler-transaction.js';

export interface Reply {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export const TX_ID_HEADER = 'x-coco-tx-id';

const JSON_TYPE = 'application/json';

/** Headers the server sets itself; a handler setting them would contradict it. */
const SERVER_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'connection', TX_ID_HEADER]);

function jsonBytes(value: unknown): Buffer {
  const text = JSON.stringify(value);
  if (text === undefined) throw new HandlerMisuseError(`a handler returned a ${typeof value} body, which JSON cannot hold`);
  return Buffer.from(text, 'utf8');
}

/** Node would throw on these only when sending, after the commit: check them now. */
function checkHeader(name: string, value: string): void {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
  } catch (error) {
    throw new HandlerMisuseError(`a handler set an invalid header ${JSON.stringify(name)}: ${(error as Error).message}`);
  }
}

function handlerHeaders(response: EndpointResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    const lower = name.toLowerCase();
    if (SERVER_HEADERS.has(lower)) throw new HandlerMisuseError(`a handler may not set the ${lower} header; the server does`);
    checkHeader(lower, value);
    headers[lower] = value;
  }
  if (response.contentType !== undefined) checkHeader('content-type', response.contentType);
  return headers;
}

export function endpointReply(response: EndpointResponse): Reply {
  const status = response.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new HandlerMisuseError(`a handler returned status ${String(status)}; use 200 to 599`);
  const headers = handlerHeaders(response);
  const { body, contentType } = response;
  if (body === undefined) {
    if (contentType !== undefined) headers['content-type'] = contentType;
    return { status, headers, body: Buffer.alloc(0) };
  }
  if (body instanceof Uint8Array) {
    headers['content-type'] = contentType ?? 'application/octet-stream';
    return { status, headers, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  }
  if (typeof body === 'string' && contentType !== undefined) {
    headers['content-type'] = contentType;
    return { status, headers, body: Buffer.from(body, 'utf8') };
  }
  headers['content-type'] = contentType ?? JSON_TYPE;
  return { status, headers, body: jsonBytes(body) };
}

export function errorReply(error: ApiError): Reply {
  return {
    status: error.status,
    headers: { ...lowerCased(error.headers), 'content-type': JSON_TYPE },
    body: jsonBytes(error.toJSON()),
  };
}

export function withHeader(reply: Reply, name: string, value: string): Reply {
  // Assigned, not spread under a computed key: V8 takes a slow path for the latter, once per request.
  const headers: Record<string, string> = { ...reply.headers };
  headers[name] = value;
  return { status: reply.status, headers, body: reply.body };
}

function lowerCased(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
