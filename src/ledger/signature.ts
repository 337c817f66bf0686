// Signature transactions: every so often the primary signs the Merkle root of all
// transactions before it. The record is written to a reserved public map, so it is
// replicated and stored like any transaction, and carries all a verifier needs:
// the signing node's id, its service-endorsed certificate, the root and the signature.
import type { KeyObject } from 'node:crypto';
import { u64be } from '../crypto/bytes.js';
import { publicKeyFingerprint, signBytes, verifyBytes } from '../crypto/keys.js';
import { certificatePublicKey } from '../crypto/x509.js';
import { jsonCodec } from '../kv/codec.js';
import type { WriteSetMap } from '../kv/write-set.js';

export const SIGNATURES_MAP = 'public:coco.internal.signatures';
/** The signatures map holds one key: the latest signature. */
export const SIGNATURE_KEY = 0;

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
  let publicKey: KeyObject;
  try {
    publicKey = certificatePublicKey(record.cert);
  } catch (error) {
    return { ok: false, reason: `signing node certificate unreadable: ${(error as Error).message}` };
  }
  if (publicKeyFingerprint(publicKey) !== record.node_id) {
    return { ok: false, reason: `node id ${record.node_id} is not the certificate's key fingerprint` };
  }
  const message = signedRootMessage(Buffer.from(record.root, 'hex'), record.view, record.seqno);
  if (!verifyBytes(publicKey, message, Buffer.from(record.signature, 'base64'))) {
    return { ok: false, reason: `signature by node ${record.node_id.slice(0, 16)}… does not verify` };
  }
  return { ok: true };
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;

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
    signature: text('signature', /^[A-Za-z0-9+/]+={0,2}$/),
    cert: text('cert', /^-----BEGIN CERTIFICATE-----/),
  };
}

/** Finds and parses the signature record among an entry's public writes. */
export function findSignatureRecord(publicMaps: readonly WriteSetMap[]): SignatureRecord | undefined {
  const map = publicMaps.find((m) => m.name === SIGNATURES_MAP);
  const write = map?.writes[0];
  if (write?.value == null) return undefined;
  return parseSignatureRecord(jsonCodec.decode(write.value));
}
