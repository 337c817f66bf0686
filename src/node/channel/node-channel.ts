// The node-to-node channel: mutually authenticated TLS 1.3 between the nodes of one
// service, carrying Raft messages (one-way, in order) and forwarded client requests
// (request and response). Each node dials each peer for its own outgoing traffic (a
// PeerLink per peer) and accepts the peers' connections for theirs (serveIncoming); the
// answer to a request comes back on the connection the request went out on.
// docs/node-to-node.md describes the protocol and its limits.
import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { nodeChannelCloseGraceMs, nodeChannelConnectionsMax } from '../../limits.js';
import { ChannelError } from './channel-error.js';
import { resolveNodeChannelLimits, type NodeChannelLimits } from './channel-limits.js';
import { dialSecureContext, nodeIdOfCertificate, peerNodeId, serverTlsOptions } from './channel-tls.js';
import { endSocket } from './end-socket.js';
import { formatHostPort, parseHostPort } from './host-port.js';
import { serveIncoming, type IncomingContext } from './incoming-connection.js';
import { PeerLink, type PeerLinkContext, type PeerStatus } from './peer-link.js';

export { ChannelError } from './channel-error.js';
export type { NodeChannelLimits } from './channel-limits.js';
export type { PeerStatus } from './peer-link.js';

export interface NodeChannelOptions {
  /** This node's id: hex SHA-256 of its public key SPKI DER (publicKeyFingerprint in src/crypto/keys.ts). */
  readonly nodeId: string;
  /** PEM (pkcs8) of the node key. */
  readonly privateKey: string;
  /** PEM node certificate, issued by the service key. */
  readonly certificate: string;
  /** PEM service certificate: the only CA trusted for peers. */
  readonly serviceCertificate: string;
  /** "host:port"; port 0 = pick a free one. */
  readonly listenAddress: string;
  /** Whether a peer that proved this node id (certificate issued by the service key) may talk to us now. Checked on every new connection, both directions. */
  readonly isTrustedPeer: (nodeId: string) => boolean;
  /** One-way message from an authenticated peer. Must not throw; called synchronously per frame, in order per connection. */
  readonly onMessage: (from: string, payload: Uint8Array) => void;
  /** A request from a peer (e.g. a forwarded client request); the resolved bytes go back as the response. A rejection is sent back as an error the requester sees. */
  readonly onRequest: (from: string, payload: Uint8Array) => Promise<Uint8Array>;
  readonly logger: Logger;
  /** Overrides of the limits in src/limits.ts, for tuning and tests. */
  readonly limits?: Partial<NodeChannelLimits>;
}

/** setTimeout's longest delay; a longer request timeout would fire at once. */
const TIMEOUT_MS_MAX = 2 ** 31 - 1;

export class NodeChannel {
  readonly #nodeId: string;
  readonly #isTrustedPeer: (nodeId: string) => boolean;
  readonly #logger: Logger;
  readonly #server: tls.Server;
  readonly #linkContext: PeerLinkContext;
  readonly #incomingContext: IncomingContext;
  readonly #links = new Map<string, PeerLink>();
  /** Every raw connection to our server, so close() can cut ones still in their handshake. */
  readonly #connections = new Set<Socket>();
  /** Each peer's accepted connection; a newer one from the same peer replaces it. */
  readonly #incoming = new Map<string, TLSSocket>();
  #address = '';
  #closing: Promise<void> | undefined;

  private constructor(options: NodeChannelOptions, limits: NodeChannelLimits) {
    this.#nodeId = options.nodeId;
    this.#isTrustedPeer = options.isTrustedPeer;
    this.#logger = options.logger;
    this.#linkContext = {
      limits,
      secureContext: dialSecureContext(options),
      isTrustedPeer: options.isTrustedPeer,
      logger: options.logger,
      random: Math.random,
      closeGraceMs: nodeChannelCloseGraceMs,
    };
    this.#incomingContext = {
      frameBytesMax: limits.frameBytesMax,
      requestsInFlightMax: limits.requestsInFlightMax,
      onMessage: options.onMessage,
      onRequest: options.onRequest,
      logger: options.logger,
    };
    this.#server = tls.createServer(serverTlsOptions(options, limits.connectTimeoutMs));
    this.#server.maxConnections = nodeChannelConnectionsMax;
    this.#server.on('connection', (socket: Socket) => {
      this.#connections.add(socket);
      socket.once('close', () => this.#connections.delete(socket));
    });
    this.#server.on('secureConnection', (socket: TLSSocket) => this.#accept(socket));
    this.#server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      // Node cuts a client whose certificate fails verification after the handshake, so
      // the error says only "socket hang up"; the verification error says why.
      const reason = socket.authorizationError ? String(socket.authorizationError) : error.message;
      this.#logger.warn({ remoteAddress: socket.remoteAddress, reason }, 'a TLS handshake with a would-be peer failed');
    });
    this.#server.on('error', (error: Error) => this.#logger.error({ err: error }, 'node-to-node server error'));
  }

  /** A channel listening on options.listenAddress. */
  static async open(options: NodeChannelOptions): Promise<NodeChannel> {
    assert.equal(nodeIdOfCertificate(options.certificate), options.nodeId, 'options.nodeId is not the id of options.certificate');
    const { host, port } = parseHostPort(options.listenAddress);
    const channel = new NodeChannel(options, resolveNodeChannelLimits(options.limits));
    await channel.#listen(host, port);
    return channel;
  }

  /** The bound "host:port". */
  get address(): string {
    return this.#address;
  }

  /** Adds a peer, or moves it to a new address (its connection is redialled). Ignored once closing. */
  setPeer(nodeId: string, address: string): void {
    assert.notEqual(nodeId, this.#nodeId, 'a node is not its own peer');
    if (this.#closing !== undefined) return;
    const link = this.#links.get(nodeId);
    if (link === undefined) this.#links.set(nodeId, new PeerLink(nodeId, address, this.#linkContext));
    else link.setAddress(address);
  }

  /** Drops the peer's queue and both its connections; its pending requests are rejected. */
  removePeer(nodeId: string): void {
    const link = this.#links.get(nodeId);
    this.#links.delete(nodeId);
    void link?.close(new ChannelError(`node ${nodeId} was removed from the peers`));
    this.#incoming.get(nodeId)?.destroy();
  }

  /**
   * Queues a one-way message; never blocks. False if dropped: the peer is unknown, its
   * queue is full (the newest frame, this one, is dropped), or the frame is too large.
   */
  send(to: string, payload: Uint8Array): boolean {
    return this.#links.get(to)?.send(payload) ?? false;
  }

  /**
   * Sends a request and resolves with the peer's response. Rejects with ChannelError on
   * timeout (counted from now, queueing included), unknown peer, a full queue, the
   * connection closing before the answer, the peer's onRequest rejecting, or `signal`
   * aborting (the caller withdrew it: taken out of the queue if it was still there, and
   * then `sent` is false).
   */
  request(to: string, payload: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    assert(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= TIMEOUT_MS_MAX, `a request timeout must be in (0, ${TIMEOUT_MS_MAX}] ms, got ${timeoutMs}`);
    const link = this.#links.get(to);
    if (link === undefined) return Promise.reject(new ChannelError(`node ${to} is not a peer`, { sent: false }));
    return link.request(payload, timeoutMs, signal);
  }

  /** Per-peer state for operators. */
  peers(): ReadonlyArray<PeerStatus> {
    return [...this.#links.values()].map((link) => link.status());
  }

  /**
   * Stops listening, rejects pending requests, drops queued frames, and closes every
   * connection; resolves within about nodeChannelCloseGraceMs.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const error = new ChannelError('the node-to-node channel is closed');
    const ended = [...this.#links.values()].map((link) => link.close(error));
    this.#links.clear();
    for (const socket of this.#incoming.values()) ended.push(endSocket(socket, nodeChannelCloseGraceMs));
    // Connections still in their handshake are cut too, rather than waiting out its timeout.
    const stragglers = setTimeout(() => {
      for (const socket of this.#connections) socket.destroy();
    }, nodeChannelCloseGraceMs);
    await Promise.all([closed, ...ended]);
    clearTimeout(stragglers);
  }

  #listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const bound = this.#server.address() as AddressInfo;
        this.#address = formatHostPort(bound.address, bound.port);
        resolve();
      });
    });
  }

  #accept(socket: TLSSocket): void {
    socket.on('error', (error: Error) => this.#logger.debug({ err: error }, 'a connection from a peer failed'));
    // rejectUnauthorized already refused certificates the service did not issue; checked
    // again because everything below trusts the node id.
    const from = socket.authorized ? peerNodeId(socket) : undefined;
    if (from === undefined || this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    if (!this.#isTrustedPeer(from)) {
      this.#logger.warn({ peer: from, remoteAddress: socket.remoteAddress }, 'refused a connection from a node that is not trusted');
      socket.destroy();
      return;
    }
    // The peer dials anew only once its previous connection failed on its side.
    this.#incoming.get(from)?.destroy();
    this.#incoming.set(from, socket);
    socket.once('close', () => {
      if (this.#incoming.get(from) === socket) this.#incoming.delete(from);
    });
    socket.setNoDelay(true);
    this.#logger.debug({ peer: from, remoteAddress: socket.remoteAddress }, 'accepted a connection from a peer');
    serveIncoming(socket, from, this.#incomingContext);
  }
}
