// The Merkle leaf of a transaction (docs/receipts.md §Leaf):
// SHA-256(0x00 || write_set_digest || commit_evidence_digest || claims_digest),
// where write_set_digest is the SHA-256 of the whole entry. The 0x00 prefix keeps
// leaves apart from interior nodes, which are hashed with a 0x01 prefix.
import assert from 'node:assert/strict';
import { SHA256_BYTES, sha256 } from '../crypto/hash.js';
import { CLAIMS_DIGEST_AT, COMMIT_EVIDENCE_DIGEST_AT, ENTRY_HEADER_BYTES } from './entry.js';

const LEAF_PREFIX = Buffer.from([0x00]);

export interface LeafComponents {
  readonly writeSetDigest: Uint8Array;
  readonly commitEvidenceDigest: Uint8Array;
  readonly claimsDigest: Uint8Array;
}

export function leafFromComponents(components: LeafComponents): Buffer {
  assert.equal(components.writeSetDigest.length, SHA256_BYTES);
  assert.equal(components.commitEvidenceDigest.length, SHA256_BYTES);
  assert.equal(components.claimsDigest.length, SHA256_BYTES);
  return sha256(LEAF_PREFIX, components.writeSetDigest, components.commitEvidenceDigest, components.claimsDigest);
}

/**
 * Leaf components of an entry this node encoded or already checked (the header is not
 * validated again: this runs once per transaction on the primary's hot path).
 */
export function entryLeafComponents(entry: Buffer): LeafComponents {
  assert(entry.length >= ENTRY_HEADER_BYTES, 'an entry is at least its header');
  return {
    writeSetDigest: sha256(entry),
    commitEvidenceDigest: entry.subarray(COMMIT_EVIDENCE_DIGEST_AT, CLAIMS_DIGEST_AT),
    claimsDigest: entry.subarray(CLAIMS_DIGEST_AT, ENTRY_HEADER_BYTES),
  };
}

export function entryLeaf(entry: Buffer): Buffer {
  return leafFromComponents(entryLeafComponents(entry));
}
