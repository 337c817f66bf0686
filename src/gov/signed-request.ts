// Verifying a member's signed governance request (governance-message.ts has the format).
// Checks, in order: the COSE Sign1 is well-formed; kid names a member; the signature
// verifies with that member's certificate key; the message type is the operation's; the
// creation time is neither stale nor in the future (against `now`, which the caller
// passes in: the core has no clock); a ballot or withdrawal names the proposal it is
// addressed to; and the request is no replay (request-history.ts), which records it.
// Each refusal is a GovernanceError with its own code; the record is written only into
// `tx`, so a refused operation that aborts its transaction leaves no trace.
import { certificatePublicKey } from '../crypto/certificate.js';
import { COSE_HEADER_KID, CoseError, coseSign1Decode, coseSign1Verify, type CoseSign1 } from '../crypto/cose-sign1.js';
import { u64be } from '../crypto/bytes.js';
import { sha256Hex } from '../crypto/hash.js';
import type { Transaction } from '../kv/transaction.js';
import { GovernanceError } from './governance-error.js';
import { requestAgeSecondsMax, requestClockSkewSecondsMax, signedRequestBytesMax } from './governance-limits.js';
import {
  HEADER_CREATED_AT,
  HEADER_MESSAGE_TYPE,
  HEADER_PROPOSAL_ID,
  type GovernanceMessageType,
} from './governance-message.js';
import { recordRequest } from './request-history.js';
import { MEMBER_CERTS_MAP } from './service-maps.js';

export interface VerifiedRequest {
  readonly memberId: string;
  readonly type: GovernanceMessageType;
  readonly createdAtSeconds: number;
  readonly proposalId?: string;
  readonly payload: Buffer;
}

export interface ExpectedRequest {
  readonly type: GovernanceMessageType;
  /** For ballots and withdrawals: the proposal the request is addressed to (from the URL). */
  readonly proposalId?: string;
}

const MEMBER_ID = /^[0-9a-f]{64}$/;

function malformed(message: string): GovernanceError {
  return new GovernanceError('MalformedRequest', message);
}

export function verifySignedRequest(tx: Transaction, request: Uint8Array, expected: ExpectedRequest, now: Date): VerifiedRequest {
  if (request.length > signedRequestBytesMax) throw new GovernanceError('TooLarge', `the signed request is ${request.length} bytes, over the ${signedRequestBytesMax}-byte maximum`);
  let message: CoseSign1;
  try {
    message = coseSign1Decode(request);
  } catch (error) {
    if (error instanceof CoseError) throw malformed(`the request is not a valid COSE Sign1 message: ${error.message}`);
    throw error;
  }
  if (message.payload === null) throw malformed('the request has a detached payload; governance requests carry theirs');

  const memberId = kidOf(message);
  const certificate = tx.map<string, string>(MEMBER_CERTS_MAP).get(memberId);
  if (certificate === undefined) throw new GovernanceError('UnknownMember', `the request is signed by ${memberId}, which is not a member of this service`);
  let verified: boolean;
  try {
    verified = coseSign1Verify(message, certificatePublicKey(certificate));
  } catch {
    verified = false;
  }
  if (!verified) throw new GovernanceError('InvalidSignature', `the request's signature does not verify with member ${memberId}'s certificate`);

  const type = message.protectedHeaders.get(HEADER_MESSAGE_TYPE);
  if (typeof type !== 'string') throw malformed(`the protected header has no ${HEADER_MESSAGE_TYPE} text`);
  if (type !== expected.type) {
    throw new GovernanceError('WrongMessageType', `the request is signed as a ${JSON.stringify(type.slice(0, 40))} message, but this operation takes a ${JSON.stringify(expected.type)} message`);
  }

  const createdAt = message.protectedHeaders.get(HEADER_CREATED_AT);
  if (!Number.isSafeInteger(createdAt) || (createdAt as number) < 0) throw malformed(`the protected header's ${HEADER_CREATED_AT} must be a non-negative integer (seconds since the epoch)`);
  const createdAtSeconds = createdAt as number;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (!Number.isSafeInteger(nowSeconds)) throw new TypeError('now must be a valid Date');
  if (nowSeconds - createdAtSeconds > requestAgeSecondsMax) {
    throw new GovernanceError('StaleRequest', `the request was created at ${createdAtSeconds}, ${nowSeconds - createdAtSeconds} s ago, more than the ${requestAgeSecondsMax} s allowed; sign it again`);
  }
  if (createdAtSeconds - nowSeconds > requestClockSkewSecondsMax) {
    throw new GovernanceError('FutureRequest', `the request was created at ${createdAtSeconds}, ${createdAtSeconds - nowSeconds} s in the future, more than the ${requestClockSkewSecondsMax} s of clock skew allowed; check the signer's clock`);
  }

  const proposalId = message.protectedHeaders.get(HEADER_PROPOSAL_ID);
  const addressed = expected.type === 'ballot' || expected.type === 'withdrawal';
  if (addressed) {
    if (typeof proposalId !== 'string') throw malformed(`a ${expected.type} must carry ${HEADER_PROPOSAL_ID} in its protected header`);
    if (expected.proposalId !== undefined && proposalId !== expected.proposalId) {
      throw new GovernanceError('ProposalIdMismatch', `the request is signed for proposal ${proposalId.slice(0, 80)}, not ${expected.proposalId}`);
    }
  } else if (proposalId !== undefined) {
    throw malformed(`a ${expected.type} message carries no ${HEADER_PROPOSAL_ID}`);
  }

  // The signed content: a re-encoded envelope or a malleated signature of it is the same request.
  const digest = sha256Hex(u64be(message.protectedBytes.length), message.protectedBytes, message.payload);
  recordRequest(tx, memberId, createdAtSeconds, digest, nowSeconds);
  return { memberId, type: expected.type, createdAtSeconds, ...(addressed ? { proposalId: proposalId as string } : {}), payload: message.payload };
}

function kidOf(message: CoseSign1): string {
  const kid = message.protectedHeaders.get(COSE_HEADER_KID);
  if (kid === undefined) throw malformed('the protected header has no kid (the member id)');
  if (!Buffer.isBuffer(kid)) throw malformed('kid must be a byte string: the ASCII hex SHA-256 of the member certificate');
  const memberId = kid.toString('latin1');
  if (!MEMBER_ID.test(memberId)) throw malformed('kid must be the ASCII hex SHA-256 of the member certificate (64 lowercase hex characters)');
  return memberId;
}
