// Each governance operation as a signed request: verify it (signed-request.ts), parse
// its payload strictly, and run the operation as the member who signed it. These are
// what the /gov endpoints call, inside one privileged transaction each; a GovernanceError
// means: abort the transaction and answer with the error's code.
import type { Transaction } from '../kv/transaction.js';
import { GovernanceError } from './governance-error.js';
import type { JsSandbox } from './js-sandbox.js';
import { acknowledgeStateDigest, updateStateDigest } from './member-acks.js';
import { propose, submitBallot, withdrawProposal, type ProposalOutcome } from './proposals.js';
import type { MemberAck, MemberInfo } from './service-maps.js';
import { verifySignedRequest } from './signed-request.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function text(payload: Buffer, what: string): string {
  try {
    return utf8.decode(payload);
  } catch {
    throw new GovernanceError('MalformedRequest', `the ${what} is not UTF-8`);
  }
}

/** The payload as a JSON object with exactly one string field `field`. */
function stringField(payload: Buffer, what: string, field: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text(payload, what));
  } catch (error) {
    if (error instanceof GovernanceError) throw error;
    throw new GovernanceError('MalformedRequest', `the ${what} is not JSON (it must be {"${field}": string}): ${(error as Error).message}`);
  }
  const record = body as Record<string, unknown> | null;
  if (typeof record !== 'object' || record === null || Array.isArray(record) || Object.keys(record).length !== 1 || typeof record[field] !== 'string') {
    throw new GovernanceError('MalformedRequest', `the ${what} must be a JSON object {"${field}": string}`);
  }
  return record[field] as string;
}

function requireEmpty(payload: Buffer, what: string): void {
  if (payload.length !== 0) throw new GovernanceError('MalformedRequest', `a ${what} carries no payload`);
}

function requireSigner(memberId: string, expectedMemberId: string | undefined): void {
  if (expectedMemberId !== undefined && memberId !== expectedMemberId) {
    throw new GovernanceError('MalformedRequest', `the request is signed by member ${memberId}, but addressed to member ${expectedMemberId.slice(0, 80)}`);
  }
}

/** POST /gov/proposals: the payload is the proposal's JSON text. */
export function proposeSigned(tx: Transaction, sandbox: JsSandbox, request: Uint8Array, now: Date): ProposalOutcome {
  const verified = verifySignedRequest(tx, request, { type: 'proposal' }, now);
  return propose(tx, sandbox, verified.memberId, text(verified.payload, 'proposal'));
}

/** POST /gov/proposals/{proposalId}/ballots: the payload is {"ballot": source}. */
export function ballotSigned(tx: Transaction, sandbox: JsSandbox, request: Uint8Array, proposalId: string, now: Date): ProposalOutcome {
  const verified = verifySignedRequest(tx, request, { type: 'ballot', proposalId }, now);
  return submitBallot(tx, sandbox, verified.memberId, proposalId, stringField(verified.payload, 'ballot', 'ballot'));
}

/** POST /gov/proposals/{proposalId}:withdraw: no payload. */
export function withdrawSigned(tx: Transaction, request: Uint8Array, proposalId: string, now: Date): ProposalOutcome {
  const verified = verifySignedRequest(tx, request, { type: 'withdrawal', proposalId }, now);
  requireEmpty(verified.payload, 'withdrawal');
  return withdrawProposal(tx, verified.memberId, proposalId);
}

/** POST /gov/members/state-digests/{memberId}:update: no payload; returns the digest to sign. */
export function updateStateDigestSigned(tx: Transaction, request: Uint8Array, now: Date, expectedMemberId?: string): MemberAck {
  const verified = verifySignedRequest(tx, request, { type: 'state_digest' }, now);
  requireSigner(verified.memberId, expectedMemberId);
  requireEmpty(verified.payload, 'state digest request');
  return updateStateDigest(tx, verified.memberId);
}

/** POST /gov/members/state-digests/{memberId}:ack: the payload is {"state_digest": hex}. */
export function ackSigned(tx: Transaction, request: Uint8Array, now: Date, expectedMemberId?: string): { readonly memberId: string; readonly info: MemberInfo } {
  const verified = verifySignedRequest(tx, request, { type: 'ack' }, now);
  requireSigner(verified.memberId, expectedMemberId);
  const info = acknowledgeStateDigest(tx, verified.memberId, stringField(verified.payload, 'ack', 'state_digest'));
  return { memberId: verified.memberId, info };
}
