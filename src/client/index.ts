// The Coco client SDK's public API: one import for talking to a network, checking
// what it proves, and governing it as a member.
export { CocoClient, type ConnectOptions, type CommitWaitOptions, type HttpMethod, type RequestOptions } from './coco-client.js';
export type { CocoResponse } from './coco-response.js';
export { ok, isSuccess } from './ok.js';
export { CocoHttpError } from './coco-http-error.js';
export { CocoTransportError } from './coco-transport-error.js';
export { NotCommittedError } from './not-committed-error.js';
export { InvalidReceiptError } from './invalid-receipt-error.js';
export { TX_STATUSES, isTxStatus, type TxStatus } from './tx-status.js';
export { GovernanceClient, COSE_CONTENT_TYPE, type GovernanceConnectOptions, type MemberStatus, type ServiceView } from './governance-client.js';
export { MemberSigner, type GovernanceMessageType, type SignOptions } from './member-signer.js';
export {
  ACCEPT_BALLOT,
  PROPOSAL_STATES,
  REJECT_BALLOT,
  ballotSource,
  isGovernanceId,
  isProposalState,
  type Ballot,
  type Proposal,
  type ProposalAction,
  type ProposalFailure,
  type ProposalOutcome,
  type ProposalRecord,
  type ProposalState,
} from './governance-types.js';
export { TX_ID_HEADER } from './decode-response.js';
export { formatTxId, parseTxId, type TxId } from '../ledger/tx-id.js';
export { verifyReceipt, type Receipt, type ReceiptCheck } from '../ledger/receipt.js';
