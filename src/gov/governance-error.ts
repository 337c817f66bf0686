// The one error governance throws at callers for a refused request, with a closed list of
// codes (STYLE.md §7). It is thrown, not returned, because a refused request must write
// nothing: thrown out of runTransaction (or any handler that aborts on error), it discards
// every write the request made, including its replay record. Broken invariants are
// assertions instead: they mean a bug, not a bad request.

export type GovernanceErrorCode =
  /** The signed request is not well-formed COSE Sign1, or a header or payload has the wrong shape. */
  | 'MalformedRequest'
  /** The request's kid names no member of the service. */
  | 'UnknownMember'
  /** The signature does not verify with the member's certificate key. */
  | 'InvalidSignature'
  /** The protected header's message type is not the one this operation takes. */
  | 'WrongMessageType'
  /** created_at is older than the freshness window, or not after requests already forgotten. */
  | 'StaleRequest'
  /** created_at is further in the future than the allowed clock skew. */
  | 'FutureRequest'
  /** The same signed request (protected header and payload) was seen already. */
  | 'ReplayedRequest'
  /** The signed proposal id is not the proposal the request is addressed to. */
  | 'ProposalIdMismatch'
  /** The member exists but is not Active (it has not acknowledged the state digest). */
  | 'MemberNotActive'
  /** Only the proposer may withdraw a proposal. */
  | 'NotProposer'
  | 'ProposalNotFound'
  /** The proposal is no longer Open: no ballots or withdrawal. */
  | 'ProposalNotOpen'
  /** The member has a ballot on this proposal already; ballots cannot be changed. */
  | 'BallotAlreadySubmitted'
  /** The ballot does not load, does not export vote(), or failed when first run. */
  | 'BallotInvalid'
  /** The constitution's validate() refused the proposal. */
  | 'ProposalInvalid'
  /** A proposal, ballot or request over its size limit. */
  | 'TooLarge'
  /** openProposalsMax proposals are Open already. */
  | 'TooManyOpenProposals'
  /** The stored constitution does not load or lacks validate/resolve/apply. */
  | 'ConstitutionUnavailable'
  /** The constitution's validate() threw, ran out of steps or memory, or returned garbage. */
  | 'ConstitutionFailed'
  /** An ack names a state digest, but the member never asked for one. */
  | 'StateDigestNotRequested'
  /** An ack's state digest is not the member's current one. */
  | 'StateDigestMismatch';

export class GovernanceError extends Error {
  override readonly name = 'GovernanceError';

  constructor(
    readonly code: GovernanceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True when `error` is a GovernanceError, optionally with the given code. */
export function isGovernanceError(error: unknown, code?: GovernanceErrorCode): error is GovernanceError {
  return error instanceof GovernanceError && (code === undefined || error.code === code);
}

/**
 * The HTTP status each code suggests, for the edge to use (the core knows no HTTP; this
 * is data, so the mapping is written once, next to the codes it maps).
 */
export const suggestedHttpStatus: Readonly<Record<GovernanceErrorCode, number>> = {
  MalformedRequest: 400,
  UnknownMember: 401,
  InvalidSignature: 401,
  WrongMessageType: 400,
  StaleRequest: 401,
  FutureRequest: 401,
  ReplayedRequest: 401,
  ProposalIdMismatch: 400,
  MemberNotActive: 403,
  NotProposer: 403,
  ProposalNotFound: 404,
  ProposalNotOpen: 409,
  BallotAlreadySubmitted: 409,
  BallotInvalid: 400,
  ProposalInvalid: 400,
  TooLarge: 413,
  TooManyOpenProposals: 429,
  ConstitutionUnavailable: 500,
  ConstitutionFailed: 500,
  StateDigestNotRequested: 400,
  StateDigestMismatch: 400,
};
