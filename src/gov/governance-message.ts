// The signing format of member governance requests: COSE Sign1 (RFC 9052) with the
// member's key, as in CCF. The protected header carries
//
//   1 (alg)                      ES256 or ES384, matching the key's curve
//   4 (kid)                      bytes of the ASCII hex SHA-256 of the member certificate's DER
//   "coco.gov.msg.type"          "proposal" | "ballot" | "withdrawal" | "ack" | "state_digest"
//   "coco.gov.msg.created_at"    unsigned integer, seconds since the Unix epoch
//   "coco.gov.msg.proposal_id"   text, the proposal's id (ballot and withdrawal only)
//
// and the payload is the request body: the proposal's JSON text; {"ballot": source};
// nothing for a withdrawal or a state_digest request; {"state_digest": hex} for an ack.
import type { KeyObject } from 'node:crypto';
import { coseSign1Sign, type CoseHeaderLabel } from '../crypto/cose-sign1.js';

export type GovernanceMessageType = 'proposal' | 'ballot' | 'withdrawal' | 'ack' | 'state_digest';

export const GOVERNANCE_MESSAGE_TYPES: readonly GovernanceMessageType[] = ['proposal', 'ballot', 'withdrawal', 'ack', 'state_digest'];

export const HEADER_MESSAGE_TYPE = 'coco.gov.msg.type';
export const HEADER_CREATED_AT = 'coco.gov.msg.created_at';
export const HEADER_PROPOSAL_ID = 'coco.gov.msg.proposal_id';

export function isGovernanceMessageType(value: unknown): value is GovernanceMessageType {
  return typeof value === 'string' && (GOVERNANCE_MESSAGE_TYPES as readonly string[]).includes(value);
}

/** Signs a governance request (for the CLI, SDKs and tests); returns the tagged COSE_Sign1 bytes. */
export function signGovernanceRequest(options: {
  readonly privateKey: KeyObject;
  /** The signer's member id: hex SHA-256 of its certificate's DER. */
  readonly memberId: string;
  readonly type: GovernanceMessageType;
  readonly createdAtSeconds: number;
  readonly proposalId?: string;
  readonly payload: Uint8Array | string;
}): Buffer {
  const headers = new Map<CoseHeaderLabel, unknown>([
    [HEADER_MESSAGE_TYPE, options.type],
    [HEADER_CREATED_AT, options.createdAtSeconds],
  ]);
  if (options.proposalId !== undefined) headers.set(HEADER_PROPOSAL_ID, options.proposalId);
  const payload = typeof options.payload === 'string' ? Buffer.from(options.payload, 'utf8') : options.payload;
  return coseSign1Sign({ privateKey: options.privateKey, kid: Buffer.from(options.memberId, 'ascii'), protectedHeaders: headers, payload });
}
