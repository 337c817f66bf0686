// What an endpoint is (STYLE.md §8): method, path, read-only or read-write, who may
// call it, the shape of what goes in and out, and a handler over a KV transaction.
// Apps and the node declare endpoints; the RPC server routes, authenticates,
// validates, runs handlers in transactions and renders results and errors.
import type { Store } from '../kv/store.js';
import type { Transaction } from '../kv/transaction.js';
import type { WriteSet } from '../kv/write-set.js';
import type { TxId } from '../ledger/tx-id.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON Schema (draft 2020-12) object; also emitted as-is into the OpenAPI document. */
export type JsonSchema = Record<string, unknown>;

/** Who called, as an auth policy established it. */
export interface Caller {
  /** The policy that accepted the caller. */
  readonly policy: string;
  /** Member or user id: hex SHA-256 of the certificate's DER; absent for no_auth. */
  readonly id?: string;
  /** The caller's certificate, PEM, when one was presented. */
  readonly certificate?: string;
}

/** The request as the server received it; the body is already size-checked. */
export interface RpcRequest {
  readonly method: HttpMethod;
  /** Path without the query string, e.g. `/app/log/private`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  /** DER of the client's TLS certificate, if it presented one. */
  readonly peerCertificate?: Buffer;
}

export type AuthResult = { readonly ok: true; readonly caller: Caller } | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

/**
 * An authentication policy. It sees the request and a read-only view of the store (to
 * look up members and users). An endpoint lists policies; the first that accepts wins.
 * `member_cose_sign1` and `jwt` will be added the same way.
 */
export interface AuthPolicy {
  readonly name: string;
  /**
   * The OpenAPI 3.1 security scheme object this policy stands for (e.g.
   * `{ type: 'mutualTLS' }`); absent for a policy that asks nothing of the caller.
   */
  readonly securityScheme?: Readonly<Record<string, unknown>>;
  authenticate(request: RpcRequest, tx: Transaction): AuthResult;
}

export interface EndpointContext<Body = unknown> {
  readonly request: RpcRequest;
  /** Path parameters, from `:name` segments of the endpoint's path. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed, schema-checked JSON body (undefined when the endpoint takes none). */
  readonly body: Body;
  readonly caller: Caller;
  /** The transaction the handler runs in: read-only endpoints may not write. */
  readonly tx: Transaction;
}

export interface EndpointResponse {
  /** Default 200. */
  readonly status?: number;
  /** JSON-serialised unless it is a Buffer or a string with a contentType. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Endpoint<Body = unknown> {
  readonly method: HttpMethod;
  /** Absolute path, segments may be `:name` parameters: `/app/log/:id`. */
  readonly path: string;
  /** Read-only endpoints run on any node and never write; read-write ones commit. */
  readonly mode: 'readonly' | 'readwrite';
  /** Framework endpoints only: the handler may write the reserved maps (public:coco.gov.*, public:coco.internal.*). */
  readonly privileged?: boolean;
  readonly auth: readonly AuthPolicy[];
  readonly summary: string;
  /** Schema of the JSON body; endpoints without one take no body. */
  readonly requestSchema?: JsonSchema;
  /** Schema of the query parameters, as an object of strings. */
  readonly querySchema?: JsonSchema;
  readonly responseSchema?: JsonSchema;
  handler(context: EndpointContext<Body>): EndpointResponse | Promise<EndpointResponse>;
}

export { formatTxId, parseTxId, type TxId } from '../ledger/tx-id.js';

/**
 * What the node gives the RPC server: the store, and what happens around commits.
 * The server never sees consensus or the ledger.
 */
export interface TransactionHost {
  readonly store: Store;
  /**
   * Called synchronously right after a handler's transaction committed (so commits
   * reach the ledger in order); returns the transaction's id.
   */
  committed(writeSet: WriteSet): TxId;
  /** The id of the transaction that produced `version` (for read-only responses). */
  txIdAt(version: number): TxId;
  /** Why this node cannot run write transactions now (e.g. shutting down), or undefined. */
  writesRefused(): string | undefined;
}
