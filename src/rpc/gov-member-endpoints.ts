// /gov/members/state-digests: how a member becomes Active (CCF's member lifecycle). It
// asks for the current state digest with a signed "state_digest" request, which records
// the digest for it, and signs that digest back in an "ack"; from then on it proposes and
// votes, and its votes count.
import { ackSigned, readStateDigest, updateStateDigestSigned } from '../gov/index.js';
import { ApiError } from './api-error.js';
import { noAuth } from './auth-policies.js';
import type { Endpoint } from './endpoint.js';
import { idParameter } from './gov-request.js';
import { memberRecord } from './gov-service-endpoints.js';
import { signedEndpoint, type GovernanceEndpointsOptions } from './gov-signed-endpoint.js';

export function memberEndpoints(options: GovernanceEndpointsOptions): Endpoint[] {
  return [
    signedEndpoint(options, '/gov/members/state-digests/update', 'Record and return the state digest the signing member must acknowledge: an empty "state_digest" request',
      (tx, request, now) => ({ state_digest: updateStateDigestSigned(tx, request, now).state_digest })),
    signedEndpoint(options, '/gov/members/state-digests/ack', 'Acknowledge the state digest: {"state_digest": hex} signed as an "ack"; an Accepted member becomes Active',
      (tx, request, now) => {
        const { memberId } = ackSigned(tx, request, now);
        return memberRecord(tx, memberId);
      }),
    {
      method: 'GET',
      path: '/gov/members/state-digests/:member_id',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'The state digest recorded for a member to acknowledge',
      handler: ({ tx, params }) => {
        const memberId = idParameter(params, 'member_id');
        const ack = readStateDigest(tx, memberId);
        if (ack === undefined) throw new ApiError('ResourceNotFound', `member ${memberId} has no state digest recorded: it has not asked for one (or is no member)`);
        return { body: { state_digest: ack.state_digest } };
      },
    },
  ];
}
