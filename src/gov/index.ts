// Coco governance: the pure core. Members govern the service by proposals and ballots
// judged by a constitution, JavaScript stored in the KV and run in a sandbox. Nothing
// here does I/O or reads a clock: time (`now`) is passed in, and every function works on
// a KV transaction the caller begins and commits. docs/governance.md is the user guide.
//
// # Using it
//
//   const sandbox = await JsSandbox.load();          // once per process (async); all else is sync
//   const outcome = runTransactionSync(store, (tx) =>
//     proposeSigned(tx, sandbox, coseBytes, now), { privileged: true });
//
// Every writing function needs a privileged transaction (governance maps are reserved).
// A refused request throws GovernanceError { code, message } and must write nothing:
// runTransaction(Sync) aborts on a throw; a caller managing its own transaction must
// abort it. `suggestedHttpStatus[code]` maps each code to a status for the edge.
//
// # Signed requests (what /gov endpoints call; governance-message.ts has the format)
//
//   proposeSigned(tx, sandbox, request, now)                    → ProposalOutcome
//   ballotSigned(tx, sandbox, request, proposalId, now)         → ProposalOutcome
//   withdrawSigned(tx, request, proposalId, now)                → ProposalOutcome
//   updateStateDigestSigned(tx, request, now, memberId?)        → MemberAck { state_digest }
//   ackSigned(tx, request, now, memberId?)                      → { memberId, info }
//   verifySignedRequest(tx, request, { type, proposalId? }, now) → VerifiedRequest (and records it against replay)
//   signGovernanceRequest({ privateKey, memberId, type, createdAtSeconds, proposalId?, payload }) → COSE bytes
//
// # The lifecycle, for an already authenticated member
//
//   propose(tx, sandbox, memberId, proposalJson)                → ProposalOutcome
//   submitBallot(tx, sandbox, memberId, proposalId, ballotJs)   → ProposalOutcome
//   withdrawProposal(tx, memberId, proposalId)                  → ProposalOutcome
//   updateStateDigest(tx, memberId) / acknowledgeStateDigest(tx, memberId, digest)
//   getProposal(tx, id) / listProposals(tx) / getBallot(tx, id, memberId) / readStateDigest(tx, memberId)
//
// ProposalOutcome is { proposal_id, proposer_id, state, ballot_count, final_votes?,
// vote_failures?, failure? }; state is Open | Accepted | Withdrawn | Rejected | Failed | Dropped.
//
// # The constitution
//
//   DEFAULT_CONSTITUTION: the default actions with a strict-majority rule; write it to
//   CONSTITUTION_MAP[CONSTITUTION_KEY] at genesis. composeConstitution(resolvePart) and the
//   variants (UNANIMITY_CONSTITUTION, mOfNConstitution(m), automaticNodesConstitution(k))
//   build others. checkConstitution(sandbox, source) says whether a source loads.
//   JsSandbox.run is the general sandbox: one exported function, JSON in and out,
//   deterministic step budget, memory limit, no host access but the functions given.
export { JsSandbox, SandboxHostError, type SandboxCall, type SandboxFailureKind, type SandboxHost, type SandboxLimits, type SandboxOutcome } from './js-sandbox.js';
export { GovernanceError, isGovernanceError, suggestedHttpStatus, type GovernanceErrorCode } from './governance-error.js';
export * from './governance-limits.js';
export {
  GOVERNANCE_MESSAGE_TYPES,
  HEADER_CREATED_AT,
  HEADER_MESSAGE_TYPE,
  HEADER_PROPOSAL_ID,
  isGovernanceMessageType,
  signGovernanceRequest,
  type GovernanceMessageType,
} from './governance-message.js';
export { verifySignedRequest, type ExpectedRequest, type VerifiedRequest } from './signed-request.js';
export { ackSigned, ballotSigned, proposeSigned, updateStateDigestSigned, withdrawSigned } from './signed-operations.js';
export { propose, proposalOutcome, submitBallot, withdrawProposal, type ProposalOutcome } from './proposals.js';
export { getBallot, getProposal, listProposals, type ProposalRecord } from './proposal-queries.js';
export { acknowledgeStateDigest, readStateDigest, updateStateDigest } from './member-acks.js';
export { governanceStateDigest } from './state-digest.js';
export { isProposalId, proposalId } from './proposal-id.js';
export { PROPOSAL_STATES, isFinalState } from './proposal-state.js';
export { PROPOSALS_INFO_MAP, PROPOSALS_MAP, REQUEST_HISTORY_MAP, type ProposalFailure, type ProposalInfo, type ProposalState } from './proposal-maps.js';
export { FRAMEWORK_MAPS, GOVERNED_MAPS, GOVERNANCE_MAP_PREFIX } from './governed-maps.js';
export {
  BALLOT_EXPORTS,
  CONSTITUTION_EXPORTS,
  checkBallot,
  checkConstitution,
  type Resolution,
  type Vote,
} from './constitution-runtime.js';
export { CONSTITUTION_ACTIONS, CONSTITUTION_HELPERS, CONSTITUTION_VALIDATE_APPLY, DEFAULT_CONSTITUTION, STRICT_MAJORITY_RESOLVE, composeConstitution } from './default-constitution.js';
export {
  UNANIMITY_CONSTITUTION,
  UNANIMITY_RESOLVE,
  automaticNodesConstitution,
  automaticNodesResolve,
  mOfNConstitution,
  mOfNResolve,
} from './constitution-variants.js';
export * from './service-maps.js';
