// The proposal lifecycle as pure functions over a privileged KV transaction: propose,
// ballot, withdraw. Each checks its request, writes the records, and resolves the
// proposal (proposal-resolution.ts). A refused request throws GovernanceError and must
// write nothing: run these inside runTransaction, or abort the transaction on a throw.
// The caller has already authenticated `memberId` (signed-requests.ts does, for signed
// requests).
import assert from 'node:assert/strict';
import type { Transaction } from '../kv/transaction.js';
import { checkBallot, checkConstitution, runBallot, runValidate } from './constitution-runtime.js';
import { GovernanceError } from './governance-error.js';
import { ballotBytesMax, openProposalsMax, proposalBytesMax } from './governance-limits.js';
import {
  allProposalInfos,
  constitutionSource,
  proposalText,
  requireActiveMember,
  requireProposal,
  writeProposalInfo,
} from './governance-records.js';
import type { JsSandbox } from './js-sandbox.js';
import { proposalId as makeProposalId } from './proposal-id.js';
import { PROPOSALS_MAP, type ProposalInfo, type ProposalState } from './proposal-maps.js';
import { resolveProposal } from './proposal-resolution.js';
import { assertTransition } from './proposal-state.js';

/** What a proposal request answers (CCF's shape, in snake_case like the records). */
export interface ProposalOutcome {
  readonly proposal_id: string;
  readonly proposer_id: string;
  readonly state: ProposalState;
  readonly ballot_count: number;
  readonly final_votes?: Readonly<Record<string, boolean>>;
  readonly vote_failures?: ProposalInfo['vote_failures'];
  readonly failure?: ProposalInfo['failure'];
}

export function proposalOutcome(proposalId: string, info: ProposalInfo): ProposalOutcome {
  return {
    proposal_id: proposalId,
    proposer_id: info.proposer_id,
    state: info.state,
    ballot_count: Object.keys(info.ballots).length,
    ...(info.final_votes === undefined ? {} : { final_votes: info.final_votes }),
    ...(info.vote_failures === undefined ? {} : { vote_failures: info.vote_failures }),
    ...(info.failure === undefined ? {} : { failure: info.failure }),
  };
}

/**
 * Makes a proposal: the constitution's validate() must accept it. It is stored Open and
 * resolved at once, so a rule that needs no ballots (an automatic policy) accepts it here.
 */
export function propose(tx: Transaction, sandbox: JsSandbox, proposerId: string, proposal: string): ProposalOutcome {
  assert(tx.privileged, 'governance writes reserved maps: begin the transaction with { privileged: true }');
  requireActiveMember(tx, proposerId);
  const bytes = Buffer.from(proposal, 'utf8');
  if (bytes.length > proposalBytesMax) throw new GovernanceError('TooLarge', `the proposal is ${bytes.length} bytes, over the ${proposalBytesMax}-byte maximum`);
  const constitution = loadableConstitution(tx, sandbox);
  const open = allProposalInfos(tx).filter(([, info]) => info.state === 'Open').length;
  if (open >= openProposalsMax) throw new GovernanceError('TooManyOpenProposals', `${open} proposals are Open, the most allowed; vote on or withdraw some first`);

  const validation = runValidate(sandbox, tx, constitution, proposal);
  if (!validation.ok) throw new GovernanceError('ConstitutionFailed', `the constitution's validate() failed: ${validation.message}`);
  if (!validation.value.valid) throw new GovernanceError('ProposalInvalid', `the proposal is invalid: ${validation.value.description}`);

  let counter = 0;
  let id = makeProposalId(bytes, tx.readVersion, counter);
  while (proposalText(tx, id) !== undefined) id = makeProposalId(bytes, tx.readVersion, ++counter);
  tx.map<string, string>(PROPOSALS_MAP).set(id, proposal);
  writeProposalInfo(tx, id, { proposer_id: proposerId, state: 'Open', ballots: {} });
  return proposalOutcome(id, resolveProposal(tx, sandbox, id, constitution));
}

/**
 * Records a member's ballot and resolves the proposal. One ballot per member, never
 * replaced. The ballot must load and, run once now, return a boolean: a broken ballot is
 * refused here, where its author sees why, rather than recorded as a failure.
 */
export function submitBallot(tx: Transaction, sandbox: JsSandbox, memberId: string, proposalId: string, ballot: string): ProposalOutcome {
  assert(tx.privileged, 'governance writes reserved maps: begin the transaction with { privileged: true }');
  requireActiveMember(tx, memberId);
  const info = requireOpenProposal(tx, proposalId);
  if (Object.hasOwn(info.ballots, memberId)) {
    throw new GovernanceError('BallotAlreadySubmitted', `member ${memberId} has a ballot on proposal ${proposalId} already; a ballot cannot be changed`);
  }
  const bytes = Buffer.byteLength(ballot, 'utf8');
  if (bytes > ballotBytesMax) throw new GovernanceError('TooLarge', `the ballot is ${bytes} bytes, over the ${ballotBytesMax}-byte maximum`);
  const loads = checkBallot(sandbox, ballot);
  if (!loads.ok) throw new GovernanceError('BallotInvalid', `the ballot does not load: ${loads.message}`);
  const firstRun = runBallot(sandbox, tx, ballot, proposalText(tx, proposalId) as string, info.proposer_id);
  if (!firstRun.ok) throw new GovernanceError('BallotInvalid', `the ballot failed: ${firstRun.message}`);

  const constitution = loadableConstitution(tx, sandbox);
  writeProposalInfo(tx, proposalId, { ...info, ballots: { ...info.ballots, [memberId]: ballot } });
  return proposalOutcome(proposalId, resolveProposal(tx, sandbox, proposalId, constitution));
}

/** The proposer takes back its Open proposal. */
export function withdrawProposal(tx: Transaction, memberId: string, proposalId: string): ProposalOutcome {
  assert(tx.privileged, 'governance writes reserved maps: begin the transaction with { privileged: true }');
  requireActiveMember(tx, memberId);
  const existing = requireProposal(tx, proposalId);
  if (existing.proposer_id !== memberId) throw new GovernanceError('NotProposer', `only the proposer, ${existing.proposer_id}, may withdraw proposal ${proposalId}`);
  const info = requireOpenProposal(tx, proposalId);
  assertTransition(info.state, 'Withdrawn');
  const withdrawn: ProposalInfo = { ...info, state: 'Withdrawn' };
  writeProposalInfo(tx, proposalId, withdrawn);
  return proposalOutcome(proposalId, withdrawn);
}

function requireOpenProposal(tx: Transaction, proposalId: string): ProposalInfo {
  const info = requireProposal(tx, proposalId);
  if (info.state !== 'Open') throw new GovernanceError('ProposalNotOpen', `proposal ${proposalId} is ${info.state}, no longer Open`);
  return info;
}

/** The stored constitution, if it loads; throws ConstitutionUnavailable otherwise. */
function loadableConstitution(tx: Transaction, sandbox: JsSandbox): string {
  const source = constitutionSource(tx);
  if (source === undefined) throw new GovernanceError('ConstitutionUnavailable', 'the service has no constitution');
  const loads = checkConstitution(sandbox, source);
  if (!loads.ok) throw new GovernanceError('ConstitutionUnavailable', `the service's constitution does not load: ${loads.message}`);
  return source;
}
