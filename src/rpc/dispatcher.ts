// The server's core, free of sockets: one received request in, one reply out. In order:
// route (404/405), authenticate (401/403), read and check the body and query (400/415),
// then run the handler in a transaction. Every failure becomes a coded error reply;
// a failure that is not an ApiError is a bug, logged here and answered with a bare 500
// (stack traces stay in the log).
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { ApiError } from './api-error.js';
import { authenticate } from './auth-policies.js';
import type { Caller, Endpoint, HttpMethod, RpcRequest, TransactionHost } from './endpoint.js';
import { runReadOnly, runReadWrite, type Attempt } from './endpoint-transaction.js';
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
}

export interface Dispatched {
  readonly reply: Reply;
  /** The endpoint's path template, or 'unmatched' (for metrics: bounded, unlike paths). */
  readonly route: string;
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

  /** Compiles every schema now: a bad schema or a clashing path throws here, at start. */
  constructor(options: { readonly host: TransactionHost; readonly endpoints: readonly Endpoint[]; readonly logger: Logger }) {
    this.#host = options.host;
    this.#logger = options.logger;
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

  async dispatch(received: ReceivedRequest): Promise<Dispatched> {
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
      const body = this.#checkedBody(compiled, request);
      const query = compiled.validateQuery?.(queryObject(request.query));
      if (query !== undefined) throw new ApiError('InvalidInput', query);
      const attempt: Attempt = async (tx) => endpointReply(await compiled.endpoint.handler({ request, params: match.params, query: request.query, body, caller, tx }));
      const reply = compiled.endpoint.mode === 'readonly' ? await runReadOnly(this.#host, attempt) : await runReadWrite(this.#host, attempt);
      return { reply, route };
    } catch (error) {
      if (error instanceof ApiError) return { reply: errorReply(error), route };
      // No request body in the log: it may hold private data.
      this.#logger.error({ err: error, method: compiled.method, route }, 'request failed; nothing was written');
      return { reply: errorReply(INTERNAL_ERROR), route };
    }
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
