// A proposal's id: hex SHA-256 of the proposal bytes, the seqno its transaction read at,
// and a counter. Two proposals with the same bytes read at the same seqno would share an
// id; the second then sees the first's record and takes the next counter value (within
// one transaction), or conflicts at commit and re-runs at a later seqno (across two).
import assert from 'node:assert/strict';
import { u64be } from '../crypto/bytes.js';
import { sha256Hex } from '../crypto/hash.js';

export function proposalId(proposal: Uint8Array, readVersion: number, counter: number): string {
  assert(Number.isSafeInteger(readVersion) && readVersion >= 0, `read version ${readVersion}`);
  assert(Number.isSafeInteger(counter) && counter >= 0, `counter ${counter}`);
  return sha256Hex(proposal, u64be(readVersion), u64be(counter));
}

export function isProposalId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}
