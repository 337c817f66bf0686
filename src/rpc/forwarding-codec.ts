// A forwarded request and its reply as bytes on the node-to-node channel (CBOR, cbor-x):
//
//   request: ["coco.rpc.forwarded-request", 1, method, target, [[name, value], ...], body, certificate | null]
//   reply:   ["coco.rpc.forwarded-reply", 1, status, [[name, value], ...], body]
//
// The request carries the client's TLS certificate (DER) so that the primary
// authenticates the original caller with the endpoint's own policies, and its end-to-end
// headers (content-type, and whatever a policy or handler reads). Hop-by-hop headers and
// HTTP/2 pseudo-headers stay behind: they describe the client's connection, not the
// request. Decoding is strict: whatever the encoder would not write is refused with
// ForwardedMessageError, never a crash.
import assert from 'node:assert/strict';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { Decoder, Encoder } from 'cbor-x';
import { requestHeaderBytesMax } from '../limits.js';
import type { HttpMethod, RpcRequest } from './endpoint.js';
import type { Reply } from './reply.js';

const REQUEST_MAGIC = 'coco.rpc.forwarded-request';
const REPLY_MAGIC = 'coco.rpc.forwarded-reply';
const FORMAT_VERSION = 1;

/** Only routed requests are forwarded, so only the methods endpoints take. */
const METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Request headers about the client's connection, not the request (RFC 9110 §7.6.1, RFC 9113 §8.2.2). */
const CONNECTION_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings', 'content-length']);

/** Reply headers the relaying server sets itself (as reply.ts keeps them from handlers). */
const RELAY_HEADERS: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection']);

const options = { useRecords: false, structuredClone: false, mapsAsObjects: false, tagUint8Array: false } as const;
const encoder = new Encoder(options);
const decoder = new Decoder(options);

/** A forwarded payload or reply that is not what a Coco node writes: a bug or a version skew. */
export class ForwardedMessageError extends Error {
  override readonly name = 'ForwardedMessageError';
}

export interface ForwardedRequest {
  readonly method: string;
  /** Path and query string. */
  readonly target: string;
  readonly headers: RpcRequest['headers'];
  readonly body: Buffer;
  /** DER of the client's TLS certificate, if it presented one. */
  readonly peerCertificate?: Buffer;
}

export interface DecodedForwardedRequest extends ForwardedRequest {
  readonly headers: Readonly<Record<string, string | string[]>>;
}

/** Header list size as HTTP/2 counts it (RFC 9113 §6.5.2), as the receiving server did. */
function headerBytes(name: string, value: string | readonly string[]): number {
  const values = typeof value === 'string' ? [value] : value;
  return values.reduce((bytes, one) => bytes + Buffer.byteLength(name) + Buffer.byteLength(one) + 32, 0);
}

function encodeBytes(message: readonly unknown[]): Buffer {
  // The encoder returns a view of its reused scratch space: copy it out.
  return Buffer.from(encoder.encode(message));
}

function decodeArray(bytes: Uint8Array, magic: string, length: number): unknown[] {
  if (!(bytes instanceof Uint8Array)) throw new ForwardedMessageError('expected bytes');
  let decoded: unknown;
  try {
    // cbor-x caches a `dataView` property on the buffer it reads: give it a view of our own.
    decoded = decoder.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new ForwardedMessageError(`malformed CBOR (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (!Array.isArray(decoded) || decoded.length !== length) throw new ForwardedMessageError(`expected a ${length}-element array`);
  if (decoded[0] !== magic) throw new ForwardedMessageError(`expected ${magic}`);
  if (decoded[1] !== FORMAT_VERSION) throw new ForwardedMessageError(`unsupported format ${String(decoded[1])}`);
  return decoded as unknown[];
}

function decodeBytes(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array)) throw new ForwardedMessageError(`${what} is not a byte string`);
  // A copy: the channel may reuse the payload's memory.
  return Buffer.from(value);
}

/** Node's own checks, which its HTTP stack would apply when sending. */
function passes(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

function isValidName(name: string): boolean {
  return name === name.toLowerCase() && passes(() => validateHeaderName(name));
}

function isValidValue(name: string, value: unknown): value is string {
  return typeof value === 'string' && passes(() => validateHeaderValue(name, value));
}

/**
 * A request header the backup forwards. The encoder leaves out what the decoder would
 * refuse, so every request a backup accepted can be forwarded.
 */
function isForwardedHeader(name: string, value: unknown): value is string | string[] {
  if (name.startsWith(':') || CONNECTION_HEADERS.has(name) || !isValidName(name)) return false;
  // Node gives repeated request headers such as set-cookie as arrays.
  if (Array.isArray(value)) return value.length > 0 && value.every((one) => isValidValue(name, one));
  return isValidValue(name, value);
}

function isRelayedHeader(name: string, value: unknown): value is string {
  return !RELAY_HEADERS.has(name) && isValidName(name) && isValidValue(name, value);
}

/** Decodes `[[name, value], ...]`, names unique, each pair as `accept` says. */
function decodeHeaders<V extends string | string[]>(value: unknown, accept: (name: string, value: unknown) => value is V): Record<string, V> {
  if (!Array.isArray(value)) throw new ForwardedMessageError('headers is not an array');
  const headers = new Map<string, V>();
  let bytes = 0;
  for (const pair of value as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new ForwardedMessageError('a header is not a [name, value] pair');
    const [name, headerValue] = pair as unknown[];
    if (typeof name !== 'string') throw new ForwardedMessageError('a header name is not a string');
    if (!accept(name, headerValue)) throw new ForwardedMessageError(`header ${JSON.stringify(name)} is not valid here`);
    if (headers.has(name)) throw new ForwardedMessageError(`header ${name} is repeated`);
    bytes += headerBytes(name, headerValue);
    headers.set(name, headerValue);
  }
  if (bytes > requestHeaderBytesMax) throw new ForwardedMessageError(`headers are over the ${requestHeaderBytesMax}-byte limit`);
  // fromEntries defines own properties: a `__proto__` header stays a header.
  return Object.fromEntries(headers);
}

export function encodeForwardedRequest(request: ForwardedRequest): Buffer {
  assert(METHODS.has(request.method), `only routed requests are forwarded, not ${request.method}`);
  assert(request.target.startsWith('/'), 'a forwarded target is a path');
  assert(request.peerCertificate === undefined || request.peerCertificate.length > 0, 'a certificate is never empty');
  const headers: Array<[string, string | string[]]> = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (isForwardedHeader(name, value)) headers.push([name, value]);
  }
  return encodeBytes([REQUEST_MAGIC, FORMAT_VERSION, request.method, request.target, headers, request.body, request.peerCertificate ?? null]);
}

export function decodeForwardedRequest(bytes: Uint8Array): DecodedForwardedRequest {
  const [, , method, target, headers, body, certificate] = decodeArray(bytes, REQUEST_MAGIC, 7);
  if (typeof method !== 'string' || !METHODS.has(method)) throw new ForwardedMessageError('bad method');
  if (typeof target !== 'string' || !target.startsWith('/') || Buffer.byteLength(target) > requestHeaderBytesMax) throw new ForwardedMessageError('bad target');
  const decoded = { method, target, headers: decodeHeaders(headers, isForwardedHeader), body: decodeBytes(body, 'body') };
  if (certificate === null) return decoded;
  const peerCertificate = decodeBytes(certificate, 'certificate');
  if (peerCertificate.length === 0) throw new ForwardedMessageError('empty certificate');
  return { ...decoded, peerCertificate };
}

export function encodeForwardedReply(reply: Reply): Buffer {
  assert(Number.isInteger(reply.status) && reply.status >= 200 && reply.status <= 599, `reply status ${reply.status}`);
  return encodeBytes([REPLY_MAGIC, FORMAT_VERSION, reply.status, Object.entries(reply.headers), reply.body]);
}

export function decodeForwardedReply(bytes: Uint8Array): Reply {
  const [, , status, headers, body] = decodeArray(bytes, REPLY_MAGIC, 5);
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) throw new ForwardedMessageError('bad status');
  return { status, headers: decodeHeaders(headers, isRelayedHeader), body: decodeBytes(body, 'body') };
}
