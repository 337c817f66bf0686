// No usable answer came back: the node could not be reached, its certificate is not
// one the service certificate vouches for, the connection dropped, time ran out, or
// the answer was unreadable (code BAD_RESPONSE). The message says which in words
// (OpenSSL's codes alone rarely tell a user what to fix); `code` keeps the underlying
// code for programs.
export class CocoTransportError extends Error {
  override readonly name = 'CocoTransportError';

  constructor(
    /** The underlying code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ECONNREFUSED`, `TIMEOUT`. */
    readonly code: string,
    readonly url: string,
    readonly method: string,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${path} to ${url}: ${message}${code === 'TIMEOUT' ? '' : ` (${code})`}`, options);
  }
}

const NOT_ISSUED_BY_SERVICE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

const CLIENT_CERTIFICATE_REFUSED = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
]);

/** The underlying error's code, looking through node's "pending stream cancelled" wrapper to its cause. */
export function transportErrorCode(error: unknown): string {
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (code === 'ERR_HTTP2_STREAM_CANCEL' && cause !== undefined) return transportErrorCode(cause);
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** What went wrong, in words a user can act on. */
export function describeTransportFailure(code: string, host: string, error: unknown): string {
  if (NOT_ISSUED_BY_SERVICE.has(code)) {
    return 'the node\'s TLS certificate is not issued by the service certificate this client trusts: '
      + 'this is not a node of that service, or the client was given the wrong service certificate';
  }
  if (CLIENT_CERTIFICATE_REFUSED.has(code)) return 'the node refused this client\'s certificate (or needs one and none was given)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the node's TLS certificate does not name ${host}`;
  if (code === 'CERT_HAS_EXPIRED') return 'the node\'s TLS certificate has expired';
  if (code === 'CERT_NOT_YET_VALID') return 'the node\'s TLS certificate is not valid yet (check the clocks)';
  if (code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' || code === 'ERR_SSL_UNSUPPORTED_PROTOCOL') return 'the node does not speak TLS 1.3';
  if (code === 'ECONNREFUSED') return 'nothing is listening there';
  return (error as Error | undefined)?.message ?? String(error);
}
