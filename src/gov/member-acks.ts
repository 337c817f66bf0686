// How a member becomes Active (CCF's member lifecycle): a member starts Accepted, asks
// for the current state digest (which is recorded for it), signs it, and sends it back
// as an ack; the ack must match the recorded digest. Only Active members propose and
// vote, and only their votes count. A refused request throws GovernanceError.
import assert from 'node:assert/strict';
import type { Transaction } from '../kv/transaction.js';
import { GovernanceError } from './governance-error.js';
import { memberInfo } from './governance-records.js';
import { MEMBER_ACKS_MAP, MEMBER_INFO_MAP, type MemberAck, type MemberInfo } from './service-maps.js';
import { governanceStateDigest } from './state-digest.js';

function requireMember(tx: Transaction, memberId: string): MemberInfo {
  const info = memberInfo(tx, memberId);
  if (info === undefined) throw new GovernanceError('UnknownMember', `${memberId} is not a member of this service`);
  return info;
}

/** Records (and returns) the current state digest as the one `memberId` must acknowledge. */
export function updateStateDigest(tx: Transaction, memberId: string): MemberAck {
  assert(tx.privileged, 'governance writes reserved maps: begin the transaction with { privileged: true }');
  requireMember(tx, memberId);
  const ack: MemberAck = { state_digest: governanceStateDigest(tx) };
  tx.map<string, MemberAck>(MEMBER_ACKS_MAP).set(memberId, ack);
  return ack;
}

/** The digest recorded for `memberId`, if it asked for one. */
export function readStateDigest(tx: Transaction, memberId: string): MemberAck | undefined {
  return tx.map<string, MemberAck>(MEMBER_ACKS_MAP).get(memberId);
}

/** Makes `memberId` Active if `stateDigest` is the digest recorded for it. Returns its info. */
export function acknowledgeStateDigest(tx: Transaction, memberId: string, stateDigest: string): MemberInfo {
  assert(tx.privileged, 'governance writes reserved maps: begin the transaction with { privileged: true }');
  const info = requireMember(tx, memberId);
  const ack = readStateDigest(tx, memberId);
  if (ack === undefined) throw new GovernanceError('StateDigestNotRequested', `member ${memberId} has no state digest to acknowledge; request one first`);
  if (ack.state_digest !== stateDigest) {
    throw new GovernanceError('StateDigestMismatch', `the acknowledged digest ${stateDigest.slice(0, 80)} is not member ${memberId}'s current state digest ${ack.state_digest}`);
  }
  if (info.status === 'Active') return info;
  const active: MemberInfo = { ...info, status: 'Active' };
  tx.map<string, MemberInfo>(MEMBER_INFO_MAP).set(memberId, active);
  return active;
}
