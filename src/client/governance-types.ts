// What the /gov endpoints take and answer, as the SDK sees them (docs/governance.md
// documents each action; docs/http-api.md the endpoints). Kept apart from the client so
// that code building proposals needs no connection.

/** A proposal's life: Open until resolved; every other state is final. */
export const PROPOSAL_STATES = ['Open', 'Accepted', 'Withdrawn', 'Rejected', 'Failed', 'Dropped'] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

export function isProposalState(value: unknown): value is ProposalState {
  return typeof value === 'string' && (PROPOSAL_STATES as readonly string[]).includes(value);
}

/** One change a proposal asks for: an action of the constitution and its arguments. */
export interface ProposalAction {
  readonly name: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A proposal: the actions it applies, together, if accepted. */
export interface Proposal {
  readonly actions: readonly ProposalAction[];
}

export interface ProposalFailure {
  readonly reason: string;
}

/** What the service says about a proposal after each request, and in listings. */
export interface ProposalOutcome {
  readonly proposal_id: string;
  /** The member id of the proposer. */
  readonly proposer_id: string;
  readonly state: ProposalState;
  readonly ballot_count: number;
  /** Member id → vote, as the voting rule last saw them, kept once the proposal closes. */
  readonly final_votes?: Readonly<Record<string, boolean>>;
  /** Ballots that failed when run (member id → why); they did not count. */
  readonly vote_failures?: Readonly<Record<string, ProposalFailure>>;
  /** Why a Failed proposal failed. */
  readonly failure?: ProposalFailure;
}

/** One proposal as GET /gov/proposals/{id} answers: its outcome and its text. */
export interface ProposalRecord extends ProposalOutcome {
  /** The proposal's JSON text, as submitted. */
  readonly proposal?: string;
}

/** A ballot: accept, reject, or a JavaScript module exporting `vote(proposal, proposerId)`. */
export type Ballot = 'accept' | 'reject' | { readonly source: string };

/** The ballot sources behind the accept and reject shorthands. */
export const ACCEPT_BALLOT = 'export function vote (proposal, proposerId) { return true }';
export const REJECT_BALLOT = 'export function vote (proposal, proposerId) { return false }';

export function ballotSource(ballot: Ballot): string {
  if (ballot === 'accept') return ACCEPT_BALLOT;
  if (ballot === 'reject') return REJECT_BALLOT;
  if (typeof ballot !== 'object' || ballot === null || typeof ballot.source !== 'string' || ballot.source.trim() === '') {
    throw new TypeError('a ballot is "accept", "reject" or { source }: a JavaScript module exporting vote(proposal, proposerId)');
  }
  return ballot.source;
}

/** Proposal, member, user and node ids: lowercase hex SHA-256. */
const ID_PATTERN = /^[0-9a-f]{64}$/;

export function isGovernanceId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
