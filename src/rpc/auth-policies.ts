// Who may call an endpoint. Each policy looks at the request (here, the TLS client
// certificate) and the governance maps, and names the caller or says why not. CCF's
// policy names, so its users recognise them: user_cert, member_cert, any_cert, no_auth.
// A caller's id is the hex SHA-256 of its certificate's DER, as in the governance maps.
// Policies that read the body or headers (member_cose_sign1, jwt) implement the same
// interface.
import { sha256Hex } from '../crypto/hash.js';
import { MEMBER_CERTS_MAP, USER_CERTS_MAP } from '../gov/service-maps.js';
import type { Transaction } from '../kv/transaction.js';
import type { AuthPolicy, AuthResult, RpcRequest } from './endpoint.js';

const NO_CERTIFICATE: AuthResult = Object.freeze({ ok: false, status: 401, message: 'no client certificate: present one in the TLS handshake' });

const MUTUAL_TLS = Object.freeze({ type: 'mutualTLS' });

interface CertificateIdentity {
  readonly id: string;
  readonly pem: string;
}

/**
 * The id and PEM of a client certificate, worked out once per certificate buffer: the
 * server hands every request of a connection the same buffer, and hashing and encoding
 * it again for each request was a measurable share of a small write's cost.
 */
const identities = new WeakMap<Buffer, CertificateIdentity>();

function certificateIdentity(der: Buffer): CertificateIdentity {
  let identity = identities.get(der);
  if (identity === undefined) {
    const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
    identity = { id: sha256Hex(der), pem: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n` };
    identities.set(der, identity);
  }
  return identity;
}

/** A policy accepting certificates whose id is a key of `mapName` (jsonCodec, string keys). */
function registeredCertificatePolicy(name: string, mapName: string, who: string): AuthPolicy {
  return {
    name,
    securityScheme: { ...MUTUAL_TLS, description: `TLS client certificate of a registered ${who} (${mapName})` },
    authenticate(request: RpcRequest, tx: Transaction): AuthResult {
      const der = request.peerCertificate;
      if (der === undefined) return NO_CERTIFICATE;
      const { id, pem } = certificateIdentity(der);
      if (!tx.map<string, string>(mapName).has(id)) {
        return { ok: false, status: 401, message: `the client certificate (id ${id}) is not a registered ${who}'s (${name})` };
      }
      return { ok: true, caller: { policy: name, id, certificate: pem } };
    },
  };
}

export const userCertAuth: AuthPolicy = registeredCertificatePolicy('user_cert', USER_CERTS_MAP, 'user');

export const memberCertAuth: AuthPolicy = registeredCertificatePolicy('member_cert', MEMBER_CERTS_MAP, 'member');

/** Any client certificate: TLS has proven the caller holds its key, nothing more. */
export const anyCertAuth: AuthPolicy = {
  name: 'any_cert',
  securityScheme: { ...MUTUAL_TLS, description: 'any TLS client certificate' },
  authenticate(request: RpcRequest): AuthResult {
    const der = request.peerCertificate;
    if (der === undefined) return NO_CERTIFICATE;
    const { id, pem } = certificateIdentity(der);
    return { ok: true, caller: { policy: 'any_cert', id, certificate: pem } };
  },
};

export const noAuth: AuthPolicy = {
  name: 'no_auth',
  authenticate(): AuthResult {
    return { ok: true, caller: { policy: 'no_auth' } };
  },
};

/**
 * Tries an endpoint's policies in order; the first that accepts wins. When none does,
 * the answer is 403 if some policy recognised the caller but refused it, else 401, and
 * the message gives each policy's reason once.
 */
export function authenticate(policies: readonly AuthPolicy[], request: RpcRequest, tx: Transaction): AuthResult {
  const reasons: string[] = [];
  let status: 401 | 403 = 401;
  for (const policy of policies) {
    const result = policy.authenticate(request, tx);
    if (result.ok) return result;
    if (result.status === 403) status = 403;
    if (!reasons.includes(result.message)) reasons.push(result.message);
  }
  return { ok: false, status, message: reasons.length > 0 ? reasons.join('; ') : 'the endpoint accepts no caller' };
}
