// What every /gov endpoint shares: the body of a signed governance request (COSE Sign1,
// `application/cose`), the core's refusals rendered as coded errors, and the checks of
// ids in paths. The signature itself is verified by the governance core inside the
// endpoint's transaction (src/gov/signed-request.ts), never here: the replay record it
// writes must commit with the request it records, or vanish with it.
import { isGovernanceError } from '../gov/governance-error.js';
import { ApiError } from './api-error.js';
import type { AuthPolicy, AuthResult, RpcRequest } from './endpoint.js';

export const COSE_CONTENT_TYPE = 'application/cose';

const ID = /^[0-9a-f]{64}$/;

/**
 * The auth policy of signed governance requests. It accepts every caller here, with or
 * without a TLS client certificate, because the member is the request's signer, and the
 * handler checks the signature inside its transaction, answering with the core's code
 * (`UnknownMember`, `InvalidSignature`, `ReplayedRequest`, ...). CCF's name for it.
 */
export const memberCoseSign1Auth: AuthPolicy = {
  name: 'member_cose_sign1',
  authenticate(): AuthResult {
    return { ok: true, caller: { policy: 'member_cose_sign1' } };
  },
};

/** The signed request in the body; the content type must say COSE. */
export function signedBody(request: RpcRequest): Buffer {
  const header = request.headers['content-type'];
  const contentType = (Array.isArray(header) ? header.join(', ') : header ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== COSE_CONTENT_TYPE) {
    throw new ApiError('UnsupportedMediaType',
      `a governance request is a COSE Sign1 message signed by a member, sent as content-type ${COSE_CONTENT_TYPE}, not ${contentType === '' ? 'without one' : JSON.stringify(contentType)}`);
  }
  return request.body;
}

/** Runs a call into the governance core; a GovernanceError becomes an ApiError with the same code. */
export function governed<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (isGovernanceError(error)) throw new ApiError(error.code, error.message, { cause: error });
    throw error;
  }
}

/** A path parameter that must be an id: hex SHA-256, as proposal, member, user and node ids are. */
export function idParameter(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name] ?? '';
  if (!ID.test(value)) throw new ApiError('InvalidInput', `${name} must be 64 lowercase hex characters (a SHA-256), not ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}
