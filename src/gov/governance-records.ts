// Typed reads and writes of the governance records the lifecycle keeps and checks:
// members (status), the constitution, proposals and their info. One place for the map
// names and casts, so the lifecycle files read as the process they implement.
import assert from 'node:assert/strict';
import type { Transaction } from '../kv/transaction.js';
import { GovernanceError } from './governance-error.js';
import { PROPOSALS_INFO_MAP, PROPOSALS_MAP, type ProposalInfo } from './proposal-maps.js';
import { CONSTITUTION_KEY, CONSTITUTION_MAP, MEMBER_INFO_MAP, type MemberInfo } from './service-maps.js';

export function memberInfo(tx: Transaction, memberId: string): MemberInfo | undefined {
  return tx.map<string, MemberInfo>(MEMBER_INFO_MAP).get(memberId);
}

/** Throws MemberNotActive (or UnknownMember) unless `memberId` is an Active member. */
export function requireActiveMember(tx: Transaction, memberId: string): MemberInfo {
  const info = memberInfo(tx, memberId);
  if (info === undefined) throw new GovernanceError('UnknownMember', `${memberId} is not a member of this service`);
  if (info.status !== 'Active') {
    throw new GovernanceError('MemberNotActive', `member ${memberId} is ${info.status}, not Active: acknowledge the state digest first`);
  }
  return info;
}

/** The constitution's source, or undefined when none is recorded. */
export function constitutionSource(tx: Transaction): string | undefined {
  const source = tx.map<number, unknown>(CONSTITUTION_MAP).get(CONSTITUTION_KEY);
  return typeof source === 'string' ? source : undefined;
}

export function proposalText(tx: Transaction, proposalId: string): string | undefined {
  const text = tx.map<string, unknown>(PROPOSALS_MAP).get(proposalId);
  assert(text === undefined || typeof text === 'string', `proposal ${proposalId} is stored as a string`);
  return text;
}

export function proposalInfo(tx: Transaction, proposalId: string): ProposalInfo | undefined {
  return tx.map<string, ProposalInfo>(PROPOSALS_INFO_MAP).get(proposalId);
}

/** The info of a proposal that must exist; throws ProposalNotFound. */
export function requireProposal(tx: Transaction, proposalId: string): ProposalInfo {
  const info = proposalInfo(tx, proposalId);
  if (info === undefined) throw new GovernanceError('ProposalNotFound', `there is no proposal ${proposalId}`);
  return info;
}

export function writeProposalInfo(tx: Transaction, proposalId: string, info: ProposalInfo): void {
  assert(proposalText(tx, proposalId) !== undefined, `proposal ${proposalId} has info but no proposal`);
  tx.map<string, ProposalInfo>(PROPOSALS_INFO_MAP).set(proposalId, info);
}

/** Every proposal id and info, in id order. */
export function allProposalInfos(tx: Transaction): Array<[string, ProposalInfo]> {
  return [...tx.map<string, ProposalInfo>(PROPOSALS_INFO_MAP).entries()];
}
