// /gov/proposals: members propose, vote and withdraw with signed requests
// (gov-signed-endpoint.ts), and anyone reads proposals and ballots.
import { ballotSigned, getBallot, getProposal, listProposals, proposeSigned, withdrawSigned } from '../gov/index.js';
import type { Transaction } from '../kv/transaction.js';
import { ApiError } from './api-error.js';
import { noAuth } from './auth-policies.js';
import type { Endpoint, JsonSchema } from './endpoint.js';
import { idParameter } from './gov-request.js';
import { signedEndpoint, type GovernanceEndpointsOptions } from './gov-signed-endpoint.js';

export const PROPOSAL_OUTCOME_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['proposal_id', 'proposer_id', 'state', 'ballot_count'],
  properties: {
    proposal_id: { type: 'string' },
    proposer_id: { type: 'string' },
    state: { enum: ['Open', 'Accepted', 'Withdrawn', 'Rejected', 'Failed', 'Dropped'] },
    ballot_count: { type: 'integer' },
    final_votes: { type: 'object', additionalProperties: { type: 'boolean' } },
    vote_failures: { type: 'object' },
    failure: { type: 'object', properties: { reason: { type: 'string' } } },
  },
};

function proposalIdParameter(params: Readonly<Record<string, string>>): string {
  return idParameter(params, 'proposal_id');
}

function readProposal(tx: Transaction, proposalId: string): NonNullable<ReturnType<typeof getProposal>> {
  const proposal = getProposal(tx, proposalId);
  // The core's code for it, as a ballot on an unknown proposal gets.
  if (proposal === undefined) throw new ApiError('ProposalNotFound', `there is no proposal ${proposalId}`);
  return proposal;
}

export function proposalEndpoints(options: GovernanceEndpointsOptions): Endpoint[] {
  const { sandbox } = options;
  return [
    signedEndpoint(options, '/gov/proposals', 'Submit a proposal: {"actions": [{"name", "args"}]} signed as a "proposal"',
      (tx, request, now) => proposeSigned(tx, sandbox, request, now), PROPOSAL_OUTCOME_SCHEMA),
    signedEndpoint(options, '/gov/proposals/:proposal_id/ballots', 'Vote: {"ballot": "export function vote(proposal, proposerId) {...}"} signed as a "ballot"',
      (tx, request, now, params) => ballotSigned(tx, sandbox, request, proposalIdParameter(params), now), PROPOSAL_OUTCOME_SCHEMA),
    signedEndpoint(options, '/gov/proposals/:proposal_id/withdraw', 'Withdraw an Open proposal (its proposer only): an empty "withdrawal"',
      (tx, request, now, params) => withdrawSigned(tx, request, proposalIdParameter(params), now), PROPOSAL_OUTCOME_SCHEMA),
    {
      method: 'GET',
      path: '/gov/proposals',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'Every proposal and its state, in id order',
      handler: ({ tx }) => ({ body: { proposals: listProposals(tx) } }),
    },
    {
      method: 'GET',
      path: '/gov/proposals/:proposal_id',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'A proposal: its state, ballot count, final votes or failure, and its text',
      responseSchema: PROPOSAL_OUTCOME_SCHEMA,
      handler: ({ tx, params }) => ({ body: readProposal(tx, proposalIdParameter(params)) }),
    },
    {
      method: 'GET',
      path: '/gov/proposals/:proposal_id/actions',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'The proposal as submitted: {"actions": [...]}',
      handler: ({ tx, params }) => ({ body: readProposal(tx, proposalIdParameter(params)).proposal, contentType: 'application/json' }),
    },
    {
      method: 'GET',
      path: '/gov/proposals/:proposal_id/ballots/:member_id',
      mode: 'readonly',
      auth: [noAuth],
      summary: "A member's ballot on a proposal: {\"ballot\": source}",
      handler: ({ tx, params }) => {
        const proposalId = proposalIdParameter(params);
        const memberId = idParameter(params, 'member_id');
        readProposal(tx, proposalId);
        const ballot = getBallot(tx, proposalId, memberId);
        if (ballot === undefined) throw new ApiError('ResourceNotFound', `member ${memberId} has no ballot on proposal ${proposalId}`);
        return { body: { ballot } };
      },
    },
  ];
}
