// The node-to-node wire format. A frame is a 4-byte big-endian length of what follows,
// a kind byte, for the request kinds a 4-byte big-endian request id, then the payload:
//
//   message   len | 1 | payload            one-way, dialler to acceptor
//   request   len | 2 | id | payload       dialler to acceptor
//   response  len | 3 | id | payload       acceptor to dialler, on the request's connection
//   error     len | 4 | id | UTF-8 text    acceptor to dialler: the request failed
//   accept    len | 5                      acceptor to dialler, once, when it trusts the dialler
import assert from 'node:assert/strict';

export type Frame =
  | { readonly kind: 'message'; readonly payload: Uint8Array }
  | { readonly kind: 'request'; readonly requestId: number; readonly payload: Uint8Array }
  | { readonly kind: 'response'; readonly requestId: number; readonly payload: Uint8Array }
  | { readonly kind: 'error'; readonly requestId: number; readonly message: string }
  | { readonly kind: 'accept' };

export type FrameKind = Frame['kind'];

/** Bytes of the length prefix, which does not count itself. */
export const FRAME_LENGTH_BYTES = 4;
const KIND_BYTES = 1;
const REQUEST_ID_BYTES = 4;

const CODES: Readonly<Record<FrameKind, number>> = { message: 1, request: 2, response: 3, error: 4, accept: 5 };
const KINDS: ReadonlyMap<number, FrameKind> = new Map(Object.entries(CODES).map(([kind, code]) => [code, kind as FrameKind]));

function hasRequestId(kind: FrameKind): boolean {
  return kind === 'request' || kind === 'response' || kind === 'error';
}

function payloadOf(frame: Frame): Uint8Array {
  switch (frame.kind) {
    case 'accept':
      return new Uint8Array(0);
    case 'error':
      return Buffer.from(frame.message);
    default:
      return frame.payload;
  }
}

/** Bytes a frame takes on the wire with a payload of `payloadBytes`. */
export function frameBytes(kind: FrameKind, payloadBytes: number): number {
  return FRAME_LENGTH_BYTES + KIND_BYTES + (hasRequestId(kind) ? REQUEST_ID_BYTES : 0) + payloadBytes;
}

export function encodeFrame(frame: Frame): Buffer {
  const payload = payloadOf(frame);
  const bytes = Buffer.allocUnsafe(frameBytes(frame.kind, payload.length));
  let offset = bytes.writeUInt32BE(bytes.length - FRAME_LENGTH_BYTES, 0);
  offset = bytes.writeUInt8(CODES[frame.kind], offset);
  if ('requestId' in frame) {
    assert(Number.isInteger(frame.requestId) && frame.requestId >= 0 && frame.requestId <= 0xffff_ffff, `request id out of range: ${frame.requestId}`);
    offset = bytes.writeUInt32BE(frame.requestId, offset);
  }
  bytes.set(payload, offset);
  return bytes;
}

/** Reads one frame's body (what follows its length prefix); a string says why it is malformed. */
export function decodeFrameBody(body: Buffer): Frame | string {
  if (body.length < KIND_BYTES) return 'an empty frame';
  const code = body.readUInt8(0);
  const kind = KINDS.get(code);
  if (kind === undefined) return `an unknown frame kind ${code}`;
  if (kind === 'message') return { kind, payload: body.subarray(KIND_BYTES) };
  if (kind === 'accept') return body.length === KIND_BYTES ? { kind } : 'an accept frame with a payload';
  if (body.length < KIND_BYTES + REQUEST_ID_BYTES) return `a ${kind} frame without a request id`;
  const requestId = body.readUInt32BE(KIND_BYTES);
  const payload = body.subarray(KIND_BYTES + REQUEST_ID_BYTES);
  return kind === 'error' ? { kind, requestId, message: payload.toString('utf8') } : { kind, requestId, payload };
}
