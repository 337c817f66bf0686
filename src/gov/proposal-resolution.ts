// Deciding an Open proposal, after it is made and after each ballot (CCF's
// resolve_proposal): every ballot is run again on the current state (a ballot may be
// conditional on it), only Active members' votes count, the constitution's resolve()
// decides, and an accepted proposal's apply() runs. A ballot that fails is recorded in
// vote_failures and does not count, so no one member can sink a proposal with a broken
// ballot; a resolve() or apply() that fails makes the proposal Failed, with the reason.
// A proposal that changes the constitution is decided under the old one; if it is
// accepted, the new one must load, and every other Open proposal becomes Dropped.
import assert from 'node:assert/strict';
import type { Transaction } from '../kv/transaction.js';
import { checkConstitution, runApply, runBallot, runResolve, type Vote } from './constitution-runtime.js';
import { allProposalInfos, memberInfo, proposalInfo, proposalText, writeProposalInfo } from './governance-records.js';
import type { JsSandbox } from './js-sandbox.js';
import type { ProposalFailure, ProposalInfo, ProposalState } from './proposal-maps.js';
import { assertTransition } from './proposal-state.js';
import { CONSTITUTION_KEY, CONSTITUTION_MAP } from './service-maps.js';

/** Resolves the Open proposal `proposalId` under `constitution`; writes and returns its new info. */
export function resolveProposal(tx: Transaction, sandbox: JsSandbox, proposalId: string, constitution: string): ProposalInfo {
  const text = proposalText(tx, proposalId);
  const info = proposalInfo(tx, proposalId);
  assert(text !== undefined && info !== undefined, `proposal ${proposalId} is recorded`);
  assert.equal(info.state, 'Open', `only an Open proposal is resolved, not ${info.state} ${proposalId}`);

  const votes: Vote[] = [];
  const voteFailures: Record<string, ProposalFailure> = {};
  for (const memberId of Object.keys(info.ballots).sort()) {
    if (memberInfo(tx, memberId)?.status !== 'Active') continue;
    const ballot = runBallot(sandbox, tx, info.ballots[memberId] as string, text, info.proposer_id);
    if (ballot.ok) votes.push({ member_id: memberId, vote: ballot.value });
    else voteFailures[memberId] = { reason: ballot.message };
  }
  const open: ProposalInfo = { proposer_id: info.proposer_id, state: 'Open', ballots: info.ballots, ...failuresField(voteFailures) };
  const decided = (state: ProposalState, failure?: ProposalFailure): ProposalInfo => {
    assertTransition('Open', state);
    const next: ProposalInfo = { ...open, state, final_votes: votesRecord(votes), ...(failure === undefined ? {} : { failure }) };
    writeProposalInfo(tx, proposalId, next);
    return next;
  };

  const resolution = runResolve(sandbox, tx, constitution, text, info.proposer_id, votes);
  if (!resolution.ok) return decided('Failed', { reason: `resolve() failed: ${resolution.message}` });
  if (resolution.value === 'Open') {
    writeProposalInfo(tx, proposalId, open);
    return open;
  }
  if (resolution.value === 'Rejected') return decided('Rejected');

  const applied = runApply(sandbox, tx, constitution, text, proposalId);
  if (!applied.ok) return decided('Failed', { reason: `apply() failed: ${applied.message}` });
  const newConstitution = applied.value.written(CONSTITUTION_MAP, CONSTITUTION_KEY);
  if (newConstitution !== undefined) {
    const source = newConstitution.value;
    if (typeof source !== 'string') return decided('Failed', { reason: 'apply() failed: it removed the constitution or set it to something other than source text' });
    const loads = checkConstitution(sandbox, source);
    if (!loads.ok) return decided('Failed', { reason: `apply() failed: the new constitution does not load, so it was not installed: ${loads.message}` });
  }
  applied.value.flush();
  const accepted = decided('Accepted');
  if (newConstitution !== undefined) dropOpenProposals(tx, proposalId);
  return accepted;
}

/** Every Open proposal but `except` becomes Dropped: it was made under a constitution that is gone. */
function dropOpenProposals(tx: Transaction, except: string): void {
  for (const [id, info] of allProposalInfos(tx)) {
    if (id === except || info.state !== 'Open') continue;
    assertTransition(info.state, 'Dropped');
    writeProposalInfo(tx, id, { ...info, state: 'Dropped' });
  }
}

function votesRecord(votes: readonly Vote[]): Record<string, boolean> {
  const record: Record<string, boolean> = {};
  for (const vote of votes) record[vote.member_id] = vote.vote;
  return record;
}

function failuresField(failures: Record<string, ProposalFailure>): { vote_failures?: Record<string, ProposalFailure> } {
  return Object.keys(failures).length === 0 ? {} : { vote_failures: failures };
}
