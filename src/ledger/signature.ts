// Signature transactions: every so often the primary signs the Merkle root of all
// transactions before it. The record is written to a reserved public map, so it is
// replicated and stored like any transaction, and carries all a verifier needs:
// the signing node's id, its service-endorsed certificate, the root and the signature.
import type { KeyObject } from 'node:crypto';
import { u64be } from '../crypto/bytes.js';
import { signBytes, verifyBytes } from '../crypto/keys.js';
import { jsonCodec } from '../kv/codec.js';
import type { DecodedEntry } from './entry.js';
import { EntryFormatError } from './entry-format-error.js';
import { nodeCertificateKey } from './node-certificates.js';

export const SIGNATURES_MAP = 'public:coco.internal.signatures';
/** The signatures map holds one key: the latest signature. */
export const SIGNATURE_KEY = 0;
const SIGNATURE_KEY_BYTES = Buffer.from(jsonCodec.encode(SIGNATURE_KEY));
const ZERO_DIGEST = Buffer.alloc(32);

export interface SignatureRecord {
  /** Hex SHA-256 of the signing node's public key (SPKI DER). */
  readonly node_id: string;
  /** Transaction id of the signature transaction itself. */
  readonly view: number;
  readonly seqno: number;
  /** Leaves covered: the transactions 1..tree_size, that is every one before this. */
  readonly tree_size: number;
  /** Hex Merkle root over those leaves. */
  readonly root: string;
  /** Base64 ECDSA signature (IEEE P1363) over signedRootMessage(root, view, seqno). */
  readonly signature: string;
  /** PEM certificate of the node, endorsed by the service key. */
  readonly cert: string;
}

export interface NodeSigner {
  readonly nodeId: string;
  readonly privateKey: KeyObject;
  readonly certificate: string;
}

const SIGNED_ROOT_DOMAIN = Buffer.from('coco.signed-root.v1\0');

/** What a node signs: a domain tag, the root, and the signature transaction's id. */
export function signedRootMessage(root: Uint8Array, view: number, seqno: number): Buffer {
  return Buffer.concat([SIGNED_ROOT_DOMAIN, root, u64be(view), u64be(seqno)]);
}

export function createSignatureRecord(signer: NodeSigner, view: number, seqno: number, root: Buffer): SignatureRecord {
  return {
    node_id: signer.nodeId,
    view,
    seqno,
    tree_size: seqno - 1,
    root: root.toString('hex'),
    signature: signBytes(signer.privateKey, signedRootMessage(root, view, seqno)).toString('base64'),
    cert: signer.certificate,
  };
}

/** Checks a record's own consistency and signature; the certificate's endorsement is checked by the caller. */
export function checkSignatureRecord(record: SignatureRecord): { ok: true } | { ok: false; reason: string } {
  if (record.tree_size !== record.seqno - 1) {
    return { ok: false, reason: `signature at seqno ${record.seqno} covers ${record.tree_size} transactions, not ${record.seqno - 1}` };
  }
  const key = nodeCertificateKey(record.cert);
  if (!key.ok) return key;
  if (key.nodeId !== record.node_id) {
    return { ok: false, reason: `node id ${record.node_id} is not the certificate's key fingerprint` };
  }
  const message = signedRootMessage(Buffer.from(record.root, 'hex'), record.view, record.seqno);
  if (!verifyBytes(key.publicKey, message, Buffer.from(record.signature, 'base64'))) {
    return { ok: false, reason: `signature by node ${record.node_id.slice(0, 16)}… does not verify` };
  }
  return { ok: true };
}

/** A SHA-256 digest in lowercase hex, as records and receipts write them. */
export const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Validates the shape of an untrusted signature record (from a ledger or a receipt). */
export function parseSignatureRecord(value: unknown): SignatureRecord {
  const fail = (what: string): never => {
    throw new TypeError(`signature record: ${what}`);
  };
  if (typeof value !== 'object' || value === null) fail('not an object');
  const record = value as Record<string, unknown>;
  const counter = (name: string): number => {
    const n = record[name];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`${name} is not a non-negative integer`);
    return n as number;
  };
  const text = (name: string, pattern?: RegExp): string => {
    const s = record[name];
    if (typeof s !== 'string' || (pattern !== undefined && !pattern.test(s))) fail(`${name} is missing or malformed`);
    return s as string;
  };
  return {
    node_id: text('node_id', HEX_DIGEST),
    view: counter('view'),
    seqno: counter('seqno'),
    tree_size: counter('tree_size'),
    root: text('root', HEX_DIGEST),
    signature: canonicalBase64(text('signature', /^[A-Za-z0-9+/]+={0,2}$/)) ?? fail('signature is not canonical base64'),
    cert: text('cert', /^-----BEGIN CERTIFICATE-----/),
  };
}

/** The text itself if it is the only base64 of its bytes (no unused bits set, right padding). */
function canonicalBase64(text: string): string | undefined {
  return Buffer.from(text, 'base64').toString('base64') === text ? text : undefined;
}

/** A record as a signing node writes it: these fields, in this order, nothing else. */
function encodeSignatureRecord(record: SignatureRecord): Uint8Array {
  const { node_id, view, seqno, tree_size, root, signature, cert } = record;
  return jsonCodec.encode({ node_id, view, seqno, tree_size, root, signature, cert });
}

/**
 * The signature record of a signature transaction's entry. Such an entry holds exactly
 * one write, key 0 of the signatures map, no private domain and no claims, so that no
 * byte of it escapes checking. Throws EntryFormatError otherwise.
 */
export function signatureRecordOf(decoded: DecodedEntry): SignatureRecord {
  const { header, publicMaps } = decoded;
  const map = publicMaps[0];
  const write = map?.writes[0];
  if (publicMaps.length !== 1 || map?.name !== SIGNATURES_MAP || map.writes.length !== 1 || write?.value == null) {
    throw new EntryFormatError(`signature transaction ${header.seqno} must write exactly one signature record`);
  }
  if (!write.key.equals(SIGNATURE_KEY_BYTES)) throw new EntryFormatError(`signature transaction ${header.seqno} writes key ${write.key.toString('hex')}, not 0`);
  if (header.privateBytes !== 0) throw new EntryFormatError(`signature transaction ${header.seqno} has a private domain`);
  if (!header.claimsDigest.equals(ZERO_DIGEST)) throw new EntryFormatError(`signature transaction ${header.seqno} has claims`);
  let record: SignatureRecord;
  try {
    record = parseSignatureRecord(jsonCodec.decode(write.value));
  } catch (error) {
    throw new EntryFormatError(`signature transaction ${header.seqno}: ${(error as Error).message}`);
  }
  // The last signature of a ledger is covered by no later root: only its exact encoding
  // keeps its bytes from changing unseen (spacing, key order, escapes, extra fields).
  if (!write.value.equals(encodeSignatureRecord(record))) {
    throw new EntryFormatError(`signature transaction ${header.seqno}: the record is not in canonical form`);
  }
  if (record.view !== header.view || record.seqno !== header.seqno) {
    throw new EntryFormatError(`signature record names ${record.view}.${record.seqno} but is stored at ${header.view}.${header.seqno}`);
  }
  return record;
}
