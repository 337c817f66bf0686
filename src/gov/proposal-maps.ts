// The maps governance keeps about its own process: proposals, their state and ballots,
// and the recent signed requests of each member (for replay detection). Only the
// governance lifecycle writes them; the constitution may read them but not write them,
// so it cannot rewrite the record of how it was used.

/** Proposal id → the proposal exactly as submitted (a JSON text, kept as a string). */
export const PROPOSALS_MAP = 'public:coco.gov.proposals';
/** Proposal id → ProposalInfo. */
export const PROPOSALS_INFO_MAP = 'public:coco.gov.proposals_info';
/** Member id → RequestHistory (request-history.ts). */
export const REQUEST_HISTORY_MAP = 'public:coco.gov.members.request_history';

export type ProposalState = 'Open' | 'Accepted' | 'Withdrawn' | 'Rejected' | 'Failed' | 'Dropped';

export interface ProposalFailure {
  readonly reason: string;
}

export interface ProposalInfo {
  readonly proposer_id: string;
  readonly state: ProposalState;
  /** Member id → ballot source (a module exporting vote(proposal, proposerId)). */
  readonly ballots: Readonly<Record<string, string>>;
  /** The votes resolve() last saw (member id → vote), kept once the proposal closes. */
  readonly final_votes?: Readonly<Record<string, boolean>>;
  /** Ballots that failed when last run (member id → why); they did not count. */
  readonly vote_failures?: Readonly<Record<string, ProposalFailure>>;
  /** Why a Failed proposal failed: resolve() or apply() threw, ran away, or returned garbage. */
  readonly failure?: ProposalFailure;
}
