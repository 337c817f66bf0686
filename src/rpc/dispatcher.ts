// The server's core, free of sockets: one received request in, one reply out. In order:
// route (404/405), authenticate (401/403), forward to the primary if this node is a
// backup and the request must run there (forwarding.ts), read and check the body and
// query (400/415), then run the handler in a transaction. Every failure becomes a coded
// error reply; a failure that is not an ApiError is a bug, logged here and answered with
// a bare 500 (stack traces stay in the log). A request a backup forwarded comes in
// through dispatchForwarded and takes the same path, from routing on, here on the primary.
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { requestBodyBytesMax } from '../limits.js';
import { ApiError } from './api-error.js';
import { authenticate } from './auth-policies.js';
import type { Caller, Endpoint, HttpMethod, RpcRequest, TransactionHost } from './endpoint.js';
import { runReadOnly, runReadWrite, type Attempt } from './endpoint-transaction.js';
import { forwardTimeoutMs, forwardToPrimary, type Forwarder } from './forwarding.js';
import { decodeForwardedRequest, encodeForwardedReply, ForwardedMessageError } from './forwarding-codec.js';
import { parseJsonBody } from './json-body.js';
import { endpointReply, errorReply, type Reply } from './reply.js';
import { Router } from './router.js';
import { queryObject, SchemaValidator, type Validate } from './schema-validator.js';

/** A request as read off the wire, its body complete and within the limit. */
export interface ReceivedRequest {
  readonly method: string;
  /** The request target: path and query string. */
  readonly target: string;
  readonly headers: RpcRequest['headers'];
  readonly body: Buffer;
  readonly peerCertificate?: Buffer;
  /**
   * The connection it came on (HTTP/2 session or HTTP/1.1 socket): once one of its
   * requests was forwarded, all are (session consistency). Without one, only writes are.
   */
  readonly connection?: object;
}

export interface Dispatched {
  readonly reply: Reply;
  /** The endpoint's path template, or 'unmatched' (for metrics: bounded, unlike paths). */
  readonly route: string;
  /** The node the request was forwarded to, when it was. */
  readonly forwardedTo?: string;
}

/** What the primary answers a forwarded request with. */
export interface ForwardedDispatched extends Dispatched {
  /** The forwarded request's method ('' when it could not be decoded), for metrics. */
  readonly method: string;
  /** The reply, encoded for the channel back to the backup. */
  readonly payload: Buffer;
}

export interface DispatcherOptions {
  readonly host: TransactionHost;
  readonly endpoints: readonly Endpoint[];
  readonly logger: Logger;
  /** How this node reaches the primary; absent on a node that runs everything itself. */
  readonly forwarder?: Forwarder;
  readonly limits?: {
    /** The body limit the server reads with, checked again on forwarded requests. */
    readonly requestBodyBytesMax?: number;
    readonly forwardTimeoutMs?: number;
  };
}

export const UNMATCHED_ROUTE = 'unmatched';

interface CompiledEndpoint {
  readonly method: HttpMethod;
  readonly path: string;
  readonly endpoint: Endpoint;
  readonly validateBody: Validate | undefined;
  readonly validateQuery: Validate | undefined;
}

const INTERNAL_ERROR = new ApiError('InternalError', 'internal error: the request failed and nothing was written; the node log has the details');

export class Dispatcher {
  readonly #host: TransactionHost;
  readonly #logger: Logger;
  readonly #router: Router<CompiledEndpoint>;
  readonly #forwarder: Forwarder | undefined;
  readonly #bodyBytesMax: number;
  readonly #forwardTimeoutMs: number;
  /** Connections that had a request forwarded; weak, so closed ones are forgotten. */
  readonly #forwardingConnections = new WeakSet<object>();

  /** Compiles every schema now: a bad schema or a clashing path throws here, at start. */
  constructor(options: DispatcherOptions) {
    this.#host = options.host;
    this.#logger = options.logger;
    this.#forwarder = options.forwarder;
    this.#bodyBytesMax = options.limits?.requestBodyBytesMax ?? requestBodyBytesMax;
    this.#forwardTimeoutMs = options.limits?.forwardTimeoutMs ?? forwardTimeoutMs;
    assert(Number.isSafeInteger(this.#bodyBytesMax) && this.#bodyBytesMax >= 0, 'requestBodyBytesMax is a byte count');
    assert(Number.isSafeInteger(this.#forwardTimeoutMs) && this.#forwardTimeoutMs > 0, 'forwardTimeoutMs is a positive number of milliseconds');
    const validator = new SchemaValidator();
    this.#router = new Router(options.endpoints.map((endpoint): CompiledEndpoint => {
      assert(endpoint.auth.length > 0, `${endpoint.method} ${endpoint.path} lists no auth policy; use noAuth for a public endpoint`);
      return {
        method: endpoint.method,
        path: endpoint.path,
        endpoint,
        validateBody: endpoint.requestSchema === undefined ? undefined : validator.compile(endpoint.requestSchema, 'body'),
        validateQuery: endpoint.querySchema === undefined ? undefined : validator.compile(endpoint.querySchema, 'query'),
      };
    }));
  }

  /** A request a client sent to this node. */
  dispatch(received: ReceivedRequest): Promise<Dispatched> {
    return this.#dispatch(received, true);
  }

  /**
   * A request a backup forwarded here, encoded (the node-to-node channel hands it over).
   * Runs only on the primary and is never forwarded again, so a request cannot loop
   * between nodes that disagree on who is primary. Never rejects: a malformed payload
   * gets an error reply.
   */
  async dispatchForwarded(payload: Uint8Array): Promise<ForwardedDispatched> {
    let received: ReceivedRequest;
    try {
      received = decodeForwardedRequest(payload);
    } catch (error) {
      if (!(error instanceof ForwardedMessageError)) throw error;
      this.#logger.warn({ err: error }, 'a forwarded request cannot be read');
      return encoded('', unmatched(new ApiError('MalformedRequest', `the forwarded request cannot be read: ${error.message}`)));
    }
    const primary = this.#forwarder?.primaryId();
    if (primary !== undefined) {
      return encoded(received.method, unmatched(new ApiError('ServiceUnavailable', `this node is not the primary (node ${primary} is, as far as it knows): the forwarded request did not run; try again`)));
    }
    if (received.body.length > this.#bodyBytesMax) {
      return encoded(received.method, unmatched(new ApiError('RequestTooLarge', `the body is over the ${this.#bodyBytesMax}-byte limit`)));
    }
    return encoded(received.method, await this.#dispatch(received, false));
  }

  async #dispatch(received: ReceivedRequest, mayForward: boolean): Promise<Dispatched> {
    const queryAt = received.target.indexOf('?');
    const path = queryAt === -1 ? received.target : received.target.slice(0, queryAt);
    const match = this.#router.match(received.method, path);
    switch (match.kind) {
      case 'not-found':
        return unmatched(new ApiError('NotFound', `no endpoint at ${path}`));
      case 'malformed':
        return unmatched(new ApiError('MalformedRequest', match.message));
      case 'method-not-allowed':
        return unmatched(new ApiError('MethodNotAllowed', `${path} does not take ${received.method}; it takes ${match.allowed.join(', ')}`, {
          headers: { allow: match.allowed.join(', ') },
        }));
      case 'found':
        break;
    }
    const compiled = match.route;
    const route = compiled.path;
    const request: RpcRequest = {
      method: compiled.method,
      path,
      query: new URLSearchParams(queryAt === -1 ? '' : received.target.slice(queryAt + 1)),
      headers: received.headers,
      body: received.body,
      ...(received.peerCertificate === undefined ? {} : { peerCertificate: received.peerCertificate }),
    };
    try {
      const caller = this.#authenticate(compiled.endpoint, request);
      const target = mayForward ? this.#forwardTarget(compiled.endpoint, received.connection) : undefined;
      if (target !== undefined) {
        const reply = await forwardToPrimary({
          ...target,
          request: received,
          mode: compiled.endpoint.mode,
          route,
          timeoutMs: this.#forwardTimeoutMs,
          logger: this.#logger,
        });
        return { reply, route, forwardedTo: target.primary };
      }
      const body = this.#checkedBody(compiled, request);
      const query = compiled.validateQuery?.(queryObject(request.query));
      if (query !== undefined) throw new ApiError('InvalidInput', query);
      const attempt: Attempt = async (tx) => endpointReply(await compiled.endpoint.handler({ request, params: match.params, query: request.query, body, caller, tx }));
      const reply = compiled.endpoint.mode === 'readonly' ? await runReadOnly(this.#host, attempt) : await runReadWrite(this.#host, attempt, { privileged: compiled.endpoint.privileged === true });
      return { reply, route };
    } catch (error) {
      if (error instanceof ApiError) return { reply: errorReply(error), route };
      // No request body in the log: it may hold private data.
      this.#logger.error({ err: error, method: compiled.method, route }, 'request failed; nothing was written');
      return { reply: errorReply(INTERNAL_ERROR), route };
    }
  }

  /**
   * The node to forward to, or undefined to run here. Writes go to the primary; reads
   * too once their connection forwarded, so that they see what it wrote. The connection
   * is marked before sending: a write that timed out may still have run there.
   */
  #forwardTarget(endpoint: Endpoint, connection: object | undefined): { readonly forwarder: Forwarder; readonly primary: string } | undefined {
    const forwarder = this.#forwarder;
    if (forwarder === undefined) return undefined;
    const sticky = connection !== undefined && this.#forwardingConnections.has(connection);
    if (endpoint.mode === 'readonly' && !sticky) return undefined;
    const primary = forwarder.primaryId();
    if (primary === undefined) return undefined;
    if (connection !== undefined) this.#forwardingConnections.add(connection);
    return { forwarder, primary };
  }

  /** Policies read the governance maps in a snapshot of their own, then let it go. */
  #authenticate(endpoint: Endpoint, request: RpcRequest): Caller {
    const tx = this.#host.store.begin();
    try {
      const result = authenticate(endpoint.auth, request, tx);
      if (result.ok) return result.caller;
      throw new ApiError(result.status === 403 ? 'Forbidden' : 'Unauthenticated', result.message);
    } finally {
      if (tx.status === 'open') tx.abort();
    }
  }

  #checkedBody(compiled: CompiledEndpoint, request: RpcRequest): unknown {
    if (compiled.validateBody === undefined) return undefined;
    const contentType = request.headers['content-type'];
    const body = parseJsonBody(request.body, Array.isArray(contentType) ? contentType.join(', ') : contentType);
    const problem = compiled.validateBody(body);
    if (problem !== undefined) throw new ApiError('InvalidInput', problem);
    return body;
  }
}

function unmatched(error: ApiError): Dispatched {
  return { reply: errorReply(error), route: UNMATCHED_ROUTE };
}

function encoded(method: string, dispatched: Dispatched): ForwardedDispatched {
  assert(dispatched.forwardedTo === undefined, 'a forwarded request is never forwarded again');
  return { ...dispatched, method, payload: encodeForwardedReply(dispatched.reply) };
}
