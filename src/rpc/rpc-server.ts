// The node's HTTP front door: HTTP/2 and HTTP/1.1 over TLS 1.3, where clients may (and
// most endpoints require them to) present a certificate. This file is the thin shell
// around Dispatcher (STYLE.md §1): it reads bodies within the limit, hands requests over,
// writes replies, reports each to `onRequestDone`, and closes gracefully. Nothing a client sends may crash the
// process: every connection, stream and request has its errors caught here. On the
// primary, requests that backups forwarded come in through `serveForwarded`.
import assert from 'node:assert/strict';
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session, type SecureServerOptions } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import { pino, type Logger } from 'pino';
import { closeGraceMs, connectionIdleTimeoutMs, requestBodyBytesMax, requestHeaderBytesMax, sessionConcurrentStreamsMax } from '../limits.js';
import { ApiError } from './api-error.js';
import { Dispatcher, UNMATCHED_ROUTE, type Dispatched } from './dispatcher.js';
import type { Endpoint, TransactionHost } from './endpoint.js';
import type { Forwarder } from './forwarding.js';
import { encodeForwardedReply } from './forwarding-codec.js';
import type { RequestDone } from './metrics.js';
import { readBody } from './read-body.js';
import { errorReply, type Reply } from './reply.js';

export type { RequestDone } from './metrics.js';

export interface RpcServerOptions {
  readonly host: TransactionHost;
  readonly tls: {
    /** PEM private key of the node. */
    readonly key: string;
    /** PEM: the node certificate, followed by the service certificate that endorses it. */
    readonly cert: string;
  };
  readonly endpoints: readonly Endpoint[];
  readonly limits?: {
    readonly requestBodyBytesMax?: number;
    /** How long a backup waits for the primary's reply to a forwarded request (default forwardTimeoutMs). */
    readonly forwardTimeoutMs?: number;
  };
  /** How this node reaches the primary, on a service of several nodes (forwarding.ts). */
  readonly forwarder?: Forwarder;
  /** Where handler failures are logged; default: nowhere. */
  readonly logger?: Logger;
  /** Called once per answered request, after the reply was handed to the connection (e.g. RpcMetrics.onRequestDone). */
  readonly onRequestDone?: (done: RequestDone) => void;
}

type Request = Http2ServerRequest | IncomingMessage;
type Response = Http2ServerResponse | ServerResponse;

function ignore(): void {}

/** Header list size as HTTP/2 counts it (RFC 9113 §6.5.2): name and value octets, plus 32 per field. */
function headerListBytes(rawHeaders: readonly string[]): number {
  let bytes = 0;
  for (const nameOrValue of rawHeaders) bytes += Buffer.byteLength(nameOrValue) + 16;
  return bytes;
}

export class RpcServer {
  readonly #dispatcher: Dispatcher;
  readonly #server: http2.Http2SecureServer;
  readonly #logger: Logger;
  readonly #bodyBytesMax: number;
  readonly #onRequestDone: ((done: RequestDone) => void) | undefined;
  /** Raw connections, TLS connections and HTTP/2 sessions, so close() can end them. */
  readonly #connections = new Set<Socket>();
  readonly #tlsConnections = new Set<TLSSocket>();
  readonly #sessions = new Set<Http2Session>();
  /** The client certificate of each connection: asked of TLS once, not per request. */
  readonly #peerCertificates = new WeakMap<object, Buffer | null>();
  #inFlight = 0;
  #onDrained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: RpcServerOptions) {
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#bodyBytesMax = options.limits?.requestBodyBytesMax ?? requestBodyBytesMax;
    this.#dispatcher = new Dispatcher({
      host: options.host,
      endpoints: options.endpoints,
      logger: this.#logger,
      ...(options.forwarder === undefined ? {} : { forwarder: options.forwarder }),
      limits: { requestBodyBytesMax: this.#bodyBytesMax, ...(options.limits?.forwardTimeoutMs === undefined ? {} : { forwardTimeoutMs: options.limits.forwardTimeoutMs }) },
    });
    this.#onRequestDone = options.onRequestDone;
    const serverOptions: SecureServerOptions = {
      allowHTTP1: true,
      minVersion: 'TLSv1.3',
      // Ask every client for a certificate but let each endpoint's auth policy decide:
      // callers are known by certificate fingerprint, not by who issued the certificate.
      requestCert: true,
      rejectUnauthorized: false,
      key: options.tls.key,
      cert: options.tls.cert,
      settings: { maxConcurrentStreams: sessionConcurrentStreamsMax, maxHeaderListSize: requestHeaderBytesMax },
    };
    this.#server = http2.createSecureServer(serverOptions);
    this.#server.on('request', (request: Request, response: Response) => this.#onRequest(request, response));
    this.#server.on('connection', (socket: Socket) => this.#track(socket));
    this.#server.on('secureConnection', (socket: TLSSocket) => this.#trackTls(socket));
    this.#server.on('session', (session: Http2Session) => this.#trackSession(session));
    // Bad clients are routine: note them quietly; node has already closed what failed.
    this.#server.on('tlsClientError', (error: Error) => this.#logger.debug({ err: error }, 'TLS handshake failed'));
    this.#server.on('sessionError', (error: Error) => this.#logger.debug({ err: error }, 'HTTP/2 session failed'));
    this.#server.on('error', (error: Error) => this.#logger.error({ err: error }, 'RPC server error'));
  }

  /** Starts listening; port 0 takes a free port. Returns the address actually bound. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address() as AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /**
   * Stops accepting connections and requests, lets requests already received finish
   * (HTTP/2 clients get GOAWAY; HTTP/1.1 replies say `connection: close`), then closes
   * every connection.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Node also closes idle HTTP/1.1 connections here.
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const session of this.#sessions) session.close();
    // The grace period also bounds the wait for requests in flight: a client that stalls
    // mid-body would otherwise hold shutdown forever (and with no timer left, node would
    // exit with close() unsettled). Cutting its connection ends its request.
    const stragglers = setTimeout(() => {
      for (const socket of this.#connections) socket.destroy();
    }, closeGraceMs);
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#onDrained = resolve));
    // HTTP/2 sessions close themselves once their streams end; HTTP/1.1 ones are told to.
    for (const socket of this.#tlsConnections) if (socket.alpnProtocol !== 'h2') socket.end();
    await closed;
    clearTimeout(stragglers);
  }

  #track(socket: Socket): void {
    this.#connections.add(socket);
    socket.once('close', () => this.#connections.delete(socket));
    // Counts raw bytes either way, so it also ends stalled TLS handshakes.
    socket.setTimeout(connectionIdleTimeoutMs, () => socket.destroy());
  }

  #trackTls(socket: TLSSocket): void {
    this.#tlsConnections.add(socket);
    socket.once('close', () => this.#tlsConnections.delete(socket));
  }

  #trackSession(session: Http2Session): void {
    this.#sessions.add(session);
    session.once('close', () => this.#sessions.delete(session));
    if (this.#closing !== undefined) session.close();
  }

  /**
   * Runs a request a backup forwarded to this node (the node-to-node channel calls this
   * on the primary) and resolves with the encoded reply for the backup. Never rejects:
   * a malformed payload, or one reaching a node that is not primary, gets an error reply.
   */
  async serveForwarded(payload: Uint8Array): Promise<Uint8Array> {
    if (this.#closing !== undefined) {
      return encodeForwardedReply(errorReply(new ApiError('ServiceUnavailable', 'this node is shutting down: the forwarded request did not run; try again')));
    }
    const started = performance.now();
    // In flight like a client's request: close() waits for its handler.
    this.#inFlight += 1;
    try {
      const dispatched = await this.#dispatcher.dispatchForwarded(payload);
      this.#onRequestDone?.({ method: dispatched.method, route: dispatched.route, status: dispatched.reply.status, durationMs: performance.now() - started, forwarded: 'received' });
      return dispatched.payload;
    } finally {
      this.#leave();
    }
  }

  #onRequest(request: Request, response: Response): void {
    const started = performance.now();
    // Errors of a request or its response concern that request alone (a reset, a
    // vanished client); without these listeners node would throw them at the process.
    request.on('error', ignore);
    response.on('error', ignore);
    // In flight until the handler is done, even if the client left: close() must not
    // return while a handler may still commit.
    this.#inFlight += 1;
    this.#serve(request, response, started)
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, 'answering a request failed');
        if (!response.writableEnded) response.destroy();
      })
      .finally(() => this.#leave());
  }

  #leave(): void {
    assert(this.#inFlight > 0, 'a request left that never came in');
    this.#inFlight -= 1;
    if (this.#inFlight === 0) this.#onDrained?.();
  }

  async #serve(request: Request, response: Response, started: number): Promise<void> {
    let dispatched: Dispatched;
    // HTTP/1.1's parser enforces its own 16 KiB; node's HTTP/2 only advertises the limit.
    const headersTooLarge = headerListBytes(request.rawHeaders) > requestHeaderBytesMax;
    const read = headersTooLarge ? undefined : await readBody(request, request.headers['content-length'], this.#bodyBytesMax);
    if (read?.kind === 'aborted') return;
    const stopReading = read === undefined || read.kind === 'too-large';
    if (read === undefined) {
      dispatched = { reply: errorReply(new ApiError('RequestHeadersTooLarge', `the request headers are over the ${requestHeaderBytesMax}-byte limit`)), route: UNMATCHED_ROUTE };
    } else if (read.kind === 'too-large') {
      dispatched = { reply: errorReply(new ApiError('RequestTooLarge', `the body is over the ${this.#bodyBytesMax}-byte limit`)), route: UNMATCHED_ROUTE };
    } else {
      dispatched = await this.#dispatcher.dispatch({
        method: request.method ?? '',
        target: request.url ?? '',
        headers: request.headers,
        body: read.body,
        ...this.#peerCertificate(request),
        // The connection's identity for session consistency: one HTTP/2 session, or one HTTP/1.1 socket.
        connection: 'stream' in request ? request.stream.session : request.socket,
      });
    }
    this.#send(request, response, dispatched.reply, stopReading);
    if (this.#onRequestDone === undefined) return;
    const done: RequestDone = {
      method: request.method ?? '',
      route: dispatched.route,
      status: dispatched.reply.status,
      durationMs: performance.now() - started,
      ...(dispatched.forwardedTo === undefined ? {} : { forwarded: 'sent' as const }),
    };
    this.#onRequestDone(done);
  }

  #peerCertificate(request: Request): { peerCertificate?: Buffer } {
    const socket = ('stream' in request ? request.stream.session?.socket : request.socket) as TLSSocket | undefined;
    if (socket === undefined) return {};
    let der = this.#peerCertificates.get(socket);
    if (der === undefined) {
      // An empty object, without `raw`, when the client presented no certificate.
      der = (socket.getPeerCertificate(false) as { raw?: Buffer }).raw ?? null;
      this.#peerCertificates.set(socket, der);
    }
    return der === null ? {} : { peerCertificate: der };
  }

  /**
   * Writes the reply. `stopReading`: the request body was not read to its end, so stop
   * the client sending it, by closing an HTTP/1.1 connection after the reply or by
   * resetting an HTTP/2 stream (NO_ERROR, RFC 9113 §8.1) after it.
   */
  #send(request: Request, response: Response, reply: Reply, stopReading: boolean): void {
    if (response.headersSent || response.destroyed) return;
    const headers: Record<string, string> = { ...reply.headers, 'content-length': String(reply.body.length) };
    const http1 = request.httpVersionMajor === 1;
    if (http1 && (stopReading || this.#closing !== undefined)) headers.connection = 'close';
    response.writeHead(reply.status, headers);
    response.end(reply.body);
    // With NO_ERROR, node sends the RST_STREAM only once the reply has been written.
    if (!http1 && stopReading && 'stream' in request) request.stream.close(http2.constants.NGHTTP2_NO_ERROR);
  }
}
