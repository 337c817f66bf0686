// A ledger entry: one transaction as it is replicated and stored. A fixed header,
// the public domain in the clear, then the private domain sealed with AES-256-GCM
// under the ledger secret, the header and public domain as its authenticated data.
// docs/ledger-format.md §Entry gives the exact layout.
import assert from 'node:assert/strict';
import { readU64, writeU64 } from '../crypto/bytes.js';
import { SHA256_BYTES } from '../crypto/hash.js';
import { isPrivateMap } from '../kv/map-name.js';
import type { WriteSet, WriteSetMap } from '../kv/write-set.js';
import { decodeDomain, encodedDomainBytes, writeDomain } from './domain-codec.js';
import { EntryFormatError } from './entry-format-error.js';
import { privateDomainIv, type LedgerSecret } from './ledger-secret.js';

export const ENTRY_FORMAT_VERSION = 1;
export const ENTRY_HEADER_BYTES = 92;
/** Where the header's two digests sit, for reading the Merkle leaf components. */
export const COMMIT_EVIDENCE_DIGEST_AT = 28;
export const CLAIMS_DIGEST_AT = 60;
const GCM_TAG_BYTES = 16;
const ZERO_DIGEST = Buffer.alloc(SHA256_BYTES);

let scratchBuffer = Buffer.allocUnsafe(64 * 1024);

/** A reused buffer for the private domain's plaintext: it never leaves encodeEntry. */
function scratch(bytes: number): Buffer {
  if (scratchBuffer.length < bytes) scratchBuffer = Buffer.allocUnsafe(Math.max(bytes, 2 * scratchBuffer.length));
  return scratchBuffer.subarray(0, bytes);
}

export type EntryKind = 'transaction' | 'signature';
const KIND_CODES: Record<EntryKind, number> = { transaction: 0, signature: 1 };

export interface EntryHeader {
  readonly kind: EntryKind;
  readonly view: number;
  readonly seqno: number;
  readonly publicBytes: number;
  /** Sealed private domain, GCM tag included; 0 when the transaction wrote no private map. */
  readonly privateBytes: number;
  readonly commitEvidenceDigest: Buffer;
  /** Application claims bound into the Merkle leaf; zeros when there are none. */
  readonly claimsDigest: Buffer;
}

export interface EntryInput {
  readonly kind: EntryKind;
  readonly view: number;
  readonly writeSet: WriteSet;
  readonly secret: LedgerSecret;
  readonly claimsDigest?: Uint8Array;
}

export function encodeEntry(input: EntryInput): Buffer {
  const { view, writeSet, secret } = input;
  const seqno = writeSet.version;
  assert(Number.isSafeInteger(view) && view >= 0 && view <= 0xffff_ffff, `view out of range: ${view}`);
  assert(Number.isSafeInteger(seqno) && seqno >= 1, `seqno out of range: ${seqno}`);
  const claimsDigest = input.claimsDigest ?? ZERO_DIGEST;
  assert.equal(claimsDigest.length, SHA256_BYTES, 'a claims digest is 32 bytes');

  const publicMaps: WriteSetMap[] = [];
  const privateMaps: WriteSetMap[] = [];
  for (const map of writeSet.maps) (isPrivateMap(map.name) ? privateMaps : publicMaps).push(map);
  const publicBytes = encodedDomainBytes(publicMaps);
  const privatePlainBytes = privateMaps.length === 0 ? 0 : encodedDomainBytes(privateMaps);
  const privateBytes = privatePlainBytes === 0 ? 0 : privatePlainBytes + GCM_TAG_BYTES;

  const entry = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + publicBytes + privateBytes);
  entry.writeUInt8(ENTRY_FORMAT_VERSION, 0);
  entry.writeUInt8(KIND_CODES[input.kind], 1);
  entry.writeUInt16BE(0, 2);
  writeU64(entry, view, 4);
  writeU64(entry, seqno, 12);
  entry.writeUInt32BE(publicBytes, 20);
  entry.writeUInt32BE(privateBytes, 24);
  secret.commitEvidenceDigest(view, seqno).copy(entry, COMMIT_EVIDENCE_DIGEST_AT);
  entry.set(claimsDigest, CLAIMS_DIGEST_AT);
  const publicEnd = writeDomain(publicMaps, entry, ENTRY_HEADER_BYTES);
  assert.equal(publicEnd, ENTRY_HEADER_BYTES + publicBytes);

  if (privateBytes > 0) {
    const plain = scratch(privatePlainBytes);
    writeDomain(privateMaps, plain, 0);
    const end = secret.encryptionKey.sealInto(privateDomainIv(view, seqno), plain, entry.subarray(0, publicEnd), entry, publicEnd);
    assert.equal(end, entry.length, 'GCM output is plaintext plus tag');
  }
  return entry;
}

export function decodeEntryHeader(entry: Buffer): EntryHeader {
  if (entry.length < ENTRY_HEADER_BYTES) {
    throw new EntryFormatError(`entry of ${entry.length} bytes is shorter than its ${ENTRY_HEADER_BYTES}-byte header`);
  }
  const version = entry.readUInt8(0);
  if (version !== ENTRY_FORMAT_VERSION) throw new EntryFormatError(`unknown entry format version ${version}`);
  const kindCode = entry.readUInt8(1);
  const kind = kindCode === 0 ? 'transaction' : kindCode === 1 ? 'signature' : undefined;
  if (kind === undefined) throw new EntryFormatError(`unknown entry kind ${kindCode}`);
  if (entry.readUInt16BE(2) !== 0) throw new EntryFormatError('reserved header bytes are not zero');
  const view = readU64(entry, 4);
  const seqno = readU64(entry, 12);
  if (view < 0 || view > 0xffff_ffff) throw new EntryFormatError(`view ${entry.subarray(4, 12).toString('hex')} out of range`);
  if (seqno < 1) throw new EntryFormatError(`seqno ${entry.subarray(12, 20).toString('hex')} out of range`);
  const publicBytes = entry.readUInt32BE(20);
  const privateBytes = entry.readUInt32BE(24);
  if (ENTRY_HEADER_BYTES + publicBytes + privateBytes !== entry.length) {
    throw new EntryFormatError(
      `domain lengths (${publicBytes} public, ${privateBytes} private) do not add up to the entry's ${entry.length} bytes`,
    );
  }
  if (privateBytes !== 0 && privateBytes <= GCM_TAG_BYTES) {
    throw new EntryFormatError(`private domain of ${privateBytes} bytes is too short to be sealed`);
  }
  return {
    kind,
    view,
    seqno,
    publicBytes,
    privateBytes,
    commitEvidenceDigest: entry.subarray(COMMIT_EVIDENCE_DIGEST_AT, CLAIMS_DIGEST_AT),
    claimsDigest: entry.subarray(CLAIMS_DIGEST_AT, ENTRY_HEADER_BYTES),
  };
}

export interface DecodedEntry {
  readonly header: EntryHeader;
  readonly publicMaps: WriteSetMap[];
  /** Decrypted private maps; null when the entry has a private domain and no secret was given. */
  readonly privateMaps: WriteSetMap[] | null;
}

/**
 * Decodes an entry; with the ledger secret also opens the private domain (a wrong
 * secret or a tampered entry throws DecryptionError from the GCM check).
 */
export function decodeEntry(entry: Buffer, secret?: LedgerSecret): DecodedEntry {
  const header = decodeEntryHeader(entry);
  const publicEnd = ENTRY_HEADER_BYTES + header.publicBytes;
  const publicMaps = decodeDomain(entry.subarray(ENTRY_HEADER_BYTES, publicEnd));
  for (const map of publicMaps) {
    if (isPrivateMap(map.name)) throw new EntryFormatError(`private map ${map.name} in the public domain`);
  }
  let privateMaps: WriteSetMap[] | null = [];
  if (header.privateBytes > 0) {
    if (secret === undefined) {
      privateMaps = null;
    } else {
      const plain = secret.encryptionKey.open(
        privateDomainIv(header.view, header.seqno),
        entry.subarray(publicEnd),
        entry.subarray(0, publicEnd),
      );
      privateMaps = decodeDomain(plain);
      for (const map of privateMaps) {
        if (!isPrivateMap(map.name)) throw new EntryFormatError(`public map ${map.name} in the private domain`);
      }
    }
  }
  return { header, publicMaps, privateMaps };
}

/** The write set an entry carries, for applying on a follower; needs the secret if it has private writes. */
export function entryWriteSet(decoded: DecodedEntry): WriteSet {
  assert(decoded.privateMaps !== null, 'the private domain must be decrypted to rebuild a write set');
  // Private map names sort before public ones ("private:" < "public:"), so this keeps the KV's order.
  return { version: decoded.header.seqno, maps: [...decoded.privateMaps, ...decoded.publicMaps] };
}
