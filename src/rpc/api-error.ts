// Every error the HTTP API can answer with, declared once (STYLE.md §7, like Fastify's
// createError and CCF's error codes): a code, the status it implies, and how it renders,
// `{"error": {"code", "message"}}`. Handlers throw ApiError to answer with an error; the
// server then writes nothing. Governance refusals keep the governance core's own codes
// (src/gov/governance-error.ts: `MemberNotActive`, `ProposalNotOpen`, ...) and the status
// it suggests for each, so a member sees the same code whatever layer refused.
import { suggestedHttpStatus } from '../gov/governance-error.js';

/** The closed list of error codes and their HTTP status. Add a code here, never ad hoc. */
export const API_ERROR_STATUS = {
  ...suggestedHttpStatus,
  /** The transaction is known but not committed yet: ask again (202, so clients poll, as with CCF's receipts). */
  TransactionPending: 202,
  /** The body or query does not match the endpoint's schema, or a handler refused a value. */
  InvalidInput: 400,
  /** The request cannot be read: body not JSON or not UTF-8, bad percent-encoding in the path. */
  MalformedRequest: 400,
  /** No client certificate, or one that no auth policy of the endpoint accepts. */
  Unauthenticated: 401,
  /** The caller is known but may not do this. */
  Forbidden: 403,
  /** No endpoint has this path. */
  NotFound: 404,
  /** The endpoint exists but what the request names does not (e.g. no message with that id). */
  ResourceNotFound: 404,
  /** The node knows no transaction with this id (yet): it may be later than this node has seen. */
  TransactionNotFound: 404,
  /** No transaction has or will have this id: it was rolled back, or its view never made it. */
  TransactionInvalid: 404,
  /** The path exists for other methods; the `Allow` header lists them. */
  MethodNotAllowed: 405,
  /** The request contradicts what is recorded (e.g. a node joining twice with one key). */
  Conflict: 409,
  /** The body is over `requestBodyBytesMax`. */
  RequestTooLarge: 413,
  /** The request headers are over `requestHeaderBytesMax`. */
  RequestHeadersTooLarge: 431,
  /** The endpoint takes JSON and the request says its body is something else. */
  UnsupportedMediaType: 415,
  /** The handler failed: nothing was written. Details are in the node's log, not here. */
  InternalError: 500,
  /** The node cannot serve this now (e.g. it is shutting down); try again or another node. */
  ServiceUnavailable: 503,
  /** The transaction conflicted with concurrent ones on every attempt; nothing was written. */
  TransactionConflict: 503,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

export interface ApiErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  /** Extra response headers, e.g. `Allow` on MethodNotAllowed. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options?: { readonly headers?: Readonly<Record<string, string>>; readonly cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = API_ERROR_STATUS[code];
    this.headers = options?.headers ?? {};
  }

  toJSON(): ApiErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
