// COSE_Sign1 (RFC 9052 §4.2–4.4): one signer's signature over a payload and a
// protected header. Members sign governance requests with it; the protected header
// carries the message type and signing time so a ballot cannot be replayed elsewhere.
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { Decoder, Encoder, Tag } from 'cbor-x';
import { keyCurve, signBytes, verifyBytes, type Curve } from './keys.js';

export type CoseHeaderLabel = number | string;
export type CoseHeaderMap = Map<CoseHeaderLabel, unknown>;

/** RFC 9052 §3.1 common header labels. */
export const COSE_HEADER_ALG = 1;
export const COSE_HEADER_KID = 4;

/** RFC 9053 §2.1: ECDSA algorithm ids, each bound to one curve in Coco. */
export const COSE_ALG_ES256 = -7;
export const COSE_ALG_ES384 = -35;
const ALG_OF_CURVE: Readonly<Record<Curve, number>> = { p384: COSE_ALG_ES384, p256: COSE_ALG_ES256 };

/** RFC 9052 §2: the CBOR tag of COSE_Sign1. */
export const COSE_SIGN1_TAG = 18;

export interface CoseSign1 {
  readonly protectedHeaders: CoseHeaderMap;
  /** The protected header exactly as received: signatures cover these bytes. */
  readonly protectedBytes: Buffer;
  readonly unprotectedHeaders: CoseHeaderMap;
  /** null when the payload is detached (not supported by coseSign1Verify). */
  readonly payload: Buffer | null;
  readonly signature: Buffer;
}

/** A COSE message that is malformed: reject the request it came with. */
export class CoseError extends Error {
  override readonly name = 'CoseError';
}

// Maps stay CBOR maps with integer keys, byte arrays stay bstr (not tag 64).
const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false, copyBuffers: true });
const EMPTY = Buffer.alloc(0);

/** Signs payload; returns the tagged COSE_Sign1 bytes. alg comes from the key's curve. */
export function coseSign1Sign(options: {
  readonly privateKey: KeyObject;
  readonly payload: Uint8Array;
  readonly protectedHeaders?: ReadonlyMap<CoseHeaderLabel, unknown>;
  readonly kid?: Uint8Array;
  readonly unprotectedHeaders?: ReadonlyMap<CoseHeaderLabel, unknown>;
  readonly externalAad?: Uint8Array;
}): Buffer {
  const alg = ALG_OF_CURVE[keyCurve(options.privateKey)];
  const protectedHeaders: CoseHeaderMap = new Map([[COSE_HEADER_ALG, alg]]);
  if (options.kid !== undefined) protectedHeaders.set(COSE_HEADER_KID, Buffer.from(options.kid));
  for (const [label, value] of options.protectedHeaders ?? []) {
    assert(!protectedHeaders.has(label), `protected header label ${String(label)} is set by coseSign1Sign`);
    protectedHeaders.set(label, value);
  }
  const unprotectedHeaders: CoseHeaderMap = new Map(options.unprotectedHeaders ?? []);
  for (const label of unprotectedHeaders.keys()) {
    // RFC 9052 §3: a label must not appear in both buckets.
    assert(!protectedHeaders.has(label), `header label ${String(label)} is both protected and unprotected`);
  }
  const protectedBytes = encoder.encode(cborHeaders(protectedHeaders));
  const payload = Buffer.from(options.payload);
  const toBeSigned = sigStructure(protectedBytes, options.externalAad ?? EMPTY, payload);
  const signature = signBytes(options.privateKey, toBeSigned);
  return encoder.encode(new Tag([protectedBytes, cborHeaders(unprotectedHeaders), payload, signature], COSE_SIGN1_TAG));
}

/** Parses a COSE_Sign1, tagged or not; throws CoseError on anything malformed. */
export function coseSign1Decode(bytes: Uint8Array): CoseSign1 {
  let value = decodeCbor(bytes, 'COSE_Sign1');
  if (value instanceof Tag) {
    if (value.tag !== COSE_SIGN1_TAG) throw new CoseError(`CBOR tag ${value.tag} is not COSE_Sign1 (${COSE_SIGN1_TAG})`);
    value = value.value;
  }
  if (!Array.isArray(value) || value.length !== 4) throw new CoseError('COSE_Sign1 must be an array of 4 items');
  const [protectedBytes, unprotected, payload, signature] = value as unknown[];
  if (!Buffer.isBuffer(protectedBytes)) throw new CoseError('COSE_Sign1 protected header must be a byte string');
  const protectedHeaders = decodeProtectedHeaders(protectedBytes);
  if (!(unprotected instanceof Map)) throw new CoseError('COSE_Sign1 unprotected header must be a map');
  const unprotectedHeaders = checkHeaders(unprotected, 'unprotected');
  if (payload !== null && !Buffer.isBuffer(payload)) throw new CoseError('COSE_Sign1 payload must be a byte string or nil');
  if (!Buffer.isBuffer(signature)) throw new CoseError('COSE_Sign1 signature must be a byte string');
  for (const label of unprotectedHeaders.keys()) {
    if (protectedHeaders.has(label)) throw new CoseError(`header label ${String(label)} is both protected and unprotected`);
  }
  algorithmOf(protectedHeaders, unprotectedHeaders);
  return { protectedHeaders, protectedBytes, unprotectedHeaders, payload, signature };
}

/**
 * Checks the signature with publicKey. False for a bad signature, a wrong key, an alg
 * that does not match the key's curve, a detached payload, or malformed bytes.
 */
export function coseSign1Verify(message: CoseSign1 | Uint8Array, publicKey: KeyObject, externalAad: Uint8Array = EMPTY): boolean {
  let decoded: CoseSign1;
  let alg: number;
  try {
    decoded = message instanceof Uint8Array ? coseSign1Decode(message) : message;
    alg = algorithmOf(decoded.protectedHeaders, decoded.unprotectedHeaders);
    if (alg !== ALG_OF_CURVE[keyCurve(publicKey)]) return false;
  } catch {
    return false;
  }
  if (decoded.payload === null) return false;
  // RFC 9052 §4.4: with no protected attributes, Sig_structure holds a zero-length bstr
  // even if the message sent an empty map (cose-wg example sign1-pass-01).
  const bodyProtected = decoded.protectedHeaders.size === 0 ? EMPTY : decoded.protectedBytes;
  return verifyBytes(publicKey, sigStructure(bodyProtected, externalAad, decoded.payload), decoded.signature);
}

/** RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload]. */
function sigStructure(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Buffer {
  return encoder.encode(['Signature1', Buffer.from(protectedBytes), Buffer.from(externalAad), Buffer.from(payload)]);
}

function decodeCbor(bytes: Uint8Array, what: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new CoseError(`${what} must be bytes`);
  if (bytes.length === 0) throw new CoseError(`${what} is empty`);
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new CoseError(`${what} is not valid CBOR: ${(error as Error).message}`);
  }
}

function decodeProtectedHeaders(protectedBytes: Buffer): CoseHeaderMap {
  // RFC 9052 §3: an empty protected header may be sent as a zero-length bstr.
  if (protectedBytes.length === 0) return new Map();
  const headers = decodeCbor(protectedBytes, 'COSE_Sign1 protected header');
  if (!(headers instanceof Map)) throw new CoseError('COSE_Sign1 protected header must be a bstr-wrapped map');
  const declared = declaredMapSize(protectedBytes);
  // cbor-x keeps the last of duplicate labels; a signer's other parser might keep the first.
  if (declared !== undefined && declared !== headers.size) throw new CoseError('COSE_Sign1 protected header has duplicate labels');
  return checkHeaders(headers, 'protected');
}

/** The entry count in a definite-length CBOR map head (RFC 8949 §3), if it says one. */
function declaredMapSize(bytes: Buffer): number | undefined {
  const info = (bytes[0] as number) & 0x1f;
  if (info < 24) return info;
  if (info === 24) return bytes.readUInt8(1);
  if (info === 25) return bytes.readUInt16BE(1);
  if (info === 26) return bytes.readUInt32BE(1);
  return undefined;
}

function checkHeaders(headers: Map<unknown, unknown>, bucket: string): CoseHeaderMap {
  const checked: CoseHeaderMap = new Map();
  for (const [label, value] of headers) {
    if (!(typeof label === 'string' || Number.isInteger(label))) {
      throw new CoseError(`${bucket} header label ${String(label)} is neither an integer nor a text string`);
    }
    checked.set(label as CoseHeaderLabel, fromCborInteger(value));
  }
  return checked;
}

function algorithmOf(protectedHeaders: CoseHeaderMap, unprotectedHeaders: CoseHeaderMap): number {
  const alg = protectedHeaders.get(COSE_HEADER_ALG) ?? unprotectedHeaders.get(COSE_HEADER_ALG);
  if (alg === undefined) throw new CoseError('COSE_Sign1 has no alg header');
  if (alg !== COSE_ALG_ES256 && alg !== COSE_ALG_ES384) {
    throw new CoseError(`COSE_Sign1 alg ${String(alg)} is not supported (ES256 -7 or ES384 -35)`);
  }
  return alg;
}

/** cbor-x writes integers beyond 32 bits as floats unless given a bigint. */
function cborHeaders(headers: ReadonlyMap<CoseHeaderLabel, unknown>): Map<CoseHeaderLabel, unknown> {
  const out = new Map<CoseHeaderLabel, unknown>();
  for (const [label, value] of headers) {
    const wide = typeof value === 'number' && Number.isSafeInteger(value) && (value > 0xffff_ffff || value < -0x1_0000_0000);
    out.set(label, wide ? BigInt(value) : value);
  }
  return out;
}

/** cbor-x reads 64-bit integers as bigint; safe ones become numbers again. */
function fromCborInteger(value: unknown): unknown {
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(value);
  }
  return value;
}
