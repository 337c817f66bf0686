// Read-only views of proposals and ballots, for GET /gov/proposals... endpoints. They
// only read, so any transaction will do (begin one and abort it).
import type { Transaction } from '../kv/transaction.js';
import { allProposalInfos, proposalInfo, proposalText } from './governance-records.js';
import { proposalOutcome, type ProposalOutcome } from './proposals.js';

export interface ProposalRecord extends ProposalOutcome {
  /** The proposal's JSON text, as submitted. */
  readonly proposal: string;
}

export function getProposal(tx: Transaction, proposalId: string): ProposalRecord | undefined {
  const info = proposalInfo(tx, proposalId);
  const text = proposalText(tx, proposalId);
  if (info === undefined || text === undefined) return undefined;
  return { ...proposalOutcome(proposalId, info), proposal: text };
}

/** Every proposal, in id order, without ballot sources. */
export function listProposals(tx: Transaction): ProposalOutcome[] {
  return allProposalInfos(tx).map(([id, info]) => proposalOutcome(id, info));
}

/** A member's ballot source on a proposal, if it has one. */
export function getBallot(tx: Transaction, proposalId: string, memberId: string): string | undefined {
  const ballots = proposalInfo(tx, proposalId)?.ballots;
  return ballots !== undefined && Object.hasOwn(ballots, memberId) ? ballots[memberId] : undefined;
}
