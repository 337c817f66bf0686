// This node's side of talking to one peer: it dials the peer, keeps that connection up
// (redialling with backoff), and writes the peer's queue of messages and requests to
// it; the peer answers requests on the same connection. Every peer has its own link,
// queue and connection, so a slow or unreachable peer holds up nobody else.
//
// A link is a small state machine:
//   connecting --accept frame--> connected
//   connecting | connected --connection closed--> waiting --backoff elapsed--> connecting
//   any --close()--> closed
// Frames are written only once connected, which is once the peer has accepted us: a
// peer that refuses us after the TLS handshake (TLS 1.3 finishes the client's side
// first) does not swallow our queue.
import tls, { type SecureContext, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { backoffDelayMs } from './backoff.js';
import { ChannelError } from './channel-error.js';
import type { NodeChannelLimits } from './channel-limits.js';
import { dialledNodeCheck } from './channel-tls.js';
import { endSocket } from './end-socket.js';
import { encodeFrame, frameBytes, type Frame } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import { parseHostPort, type HostPort } from './host-port.js';
import { PendingRequests } from './pending-requests.js';
import { SendQueue, type QueuedFrame } from './send-queue.js';

export interface PeerStatus {
  readonly nodeId: string;
  readonly address: string;
  /** Connected, and accepted by the peer. */
  readonly connected: boolean;
  readonly queuedFrames: number;
  readonly queuedBytes: number;
  /** Frames refused since the peer was added: its queue was full, or the frame too large. */
  readonly droppedFrames: number;
  /** Dials that failed since the link was last connected. */
  readonly reconnectAttempts: number;
}

export interface PeerLinkContext {
  readonly limits: NodeChannelLimits;
  readonly secureContext: SecureContext;
  readonly isTrustedPeer: (nodeId: string) => boolean;
  readonly logger: Logger;
  /** Uniform in [0, 1): the backoff jitter. */
  readonly random: () => number;
  readonly closeGraceMs: number;
}

type LinkState =
  | { readonly kind: 'connecting'; readonly socket: TLSSocket }
  | { readonly kind: 'connected'; readonly socket: TLSSocket }
  | { readonly kind: 'waiting'; readonly timer: NodeJS.Timeout }
  | { readonly kind: 'closed' };

export class PeerLink {
  readonly nodeId: string;
  readonly #context: PeerLinkContext;
  #address: string;
  #hostPort: HostPort;
  #state: LinkState = { kind: 'closed' };
  readonly #queue: SendQueue;
  readonly #requests = new PendingRequests();
  #droppedFrames = 0;
  #reconnectAttempts = 0;
  #flushScheduled = false;
  #awaitingDrain = false;

  constructor(nodeId: string, address: string, context: PeerLinkContext) {
    this.nodeId = nodeId;
    this.#context = context;
    this.#address = address;
    this.#hostPort = parseHostPort(address);
    this.#queue = new SendQueue({ framesMax: context.limits.queueFramesMax, bytesMax: context.limits.queueBytesMax });
    this.#dial();
  }

  status(): PeerStatus {
    return {
      nodeId: this.nodeId,
      address: this.#address,
      connected: this.#state.kind === 'connected',
      queuedFrames: this.#queue.frames,
      queuedBytes: this.#queue.bytes,
      droppedFrames: this.#droppedFrames,
      reconnectAttempts: this.#reconnectAttempts,
    };
  }

  /** Moves the link to a new address: the current connection goes, a new one is dialled now. */
  setAddress(address: string): void {
    if (address === this.#address || this.#state.kind === 'closed') return;
    this.#hostPort = parseHostPort(address);
    this.#address = address;
    this.#disconnect(`the address of node ${this.nodeId} changed`);
    this.#reconnectAttempts = 0;
    this.#dial();
  }

  send(payload: Uint8Array): boolean {
    if (frameBytes('message', payload.length) > this.#context.limits.frameBytesMax) return this.#drop();
    return this.#enqueue({ bytes: encodeFrame({ kind: 'message', payload }) });
  }

  /** See NodeChannel.request; `signal` withdraws the request. */
  request(payload: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    const { limits } = this.#context;
    if (signal?.aborted === true) return Promise.reject(new ChannelError(`the request to node ${this.nodeId} was withdrawn before it was queued`, { sent: false }));
    if (this.#requests.size >= limits.requestsInFlightMax) {
      return Promise.reject(new ChannelError(`${this.#requests.size} requests to node ${this.nodeId} are unanswered already, the limit`, { sent: false }));
    }
    const bytes = frameBytes('request', payload.length);
    if (bytes > limits.frameBytesMax) {
      this.#drop();
      return Promise.reject(new ChannelError(`a ${bytes}-byte request is over the ${limits.frameBytesMax}-byte frame limit`, { sent: false }));
    }
    const { requestId, answer } = this.#requests.add(timeoutMs, `request to node ${this.nodeId} timed out after ${timeoutMs} ms`, (id) => this.#queue.removeRequest(id));
    if (!this.#enqueue({ bytes: encodeFrame({ kind: 'request', requestId, payload }), requestId })) {
      this.#requests.reject(requestId, new ChannelError(`the queue to node ${this.nodeId} is full`, { sent: false }));
    }
    if (signal !== undefined) {
      // Withdrawn while still queued, it leaves the queue and is never written.
      const withdraw = (): void => this.#requests.abandon(requestId, `the request to node ${this.nodeId} was withdrawn`);
      signal.addEventListener('abort', withdraw, { once: true });
      const forget = (): void => signal.removeEventListener('abort', withdraw);
      answer.then(forget, forget);
    }
    return answer;
  }

  /** Drops the queue, rejects pending requests with `error`, and ends the connection within the grace period. */
  close(error: ChannelError): Promise<void> {
    const state = this.#state;
    this.#state = { kind: 'closed' };
    this.#queue.clear();
    this.#requests.rejectAll(error);
    if (state.kind === 'waiting') clearTimeout(state.timer);
    if (state.kind === 'connecting' || state.kind === 'connected') return endSocket(state.socket, this.#context.closeGraceMs);
    return Promise.resolve();
  }

  #drop(): false {
    this.#droppedFrames += 1;
    return false;
  }

  #enqueue(frame: QueuedFrame): boolean {
    if (this.#state.kind === 'closed' || !this.#queue.push(frame)) return this.#drop();
    if (this.#state.kind === 'connected') this.#scheduleFlush();
    return true;
  }

  #socket(): TLSSocket | undefined {
    const state = this.#state;
    return state.kind === 'connecting' || state.kind === 'connected' ? state.socket : undefined;
  }

  #dial(): void {
    const { limits, secureContext, isTrustedPeer, logger } = this.#context;
    const socket = tls.connect({
      host: this.#hostPort.host,
      port: this.#hostPort.port,
      secureContext,
      rejectUnauthorized: true,
      checkServerIdentity: dialledNodeCheck(this.nodeId, isTrustedPeer),
    });
    this.#state = { kind: 'connecting', socket };
    socket.setNoDelay(true);
    // Covers TCP connect, the TLS handshake and the peer's accept frame.
    socket.setTimeout(limits.connectTimeoutMs, () => {
      logger.debug({ peer: this.nodeId, address: this.#address }, 'timed out connecting to a peer');
      socket.destroy();
    });
    const decoder = new FrameDecoder(limits.frameBytesMax);
    socket.on('data', (chunk: Buffer) => this.#onData(socket, decoder, chunk));
    socket.on('error', (error: Error) => {
      // Set when the peer's certificate failed our checks (service CA, node id, trust).
      if (socket.authorizationError) {
        logger.warn({ peer: this.nodeId, address: this.#address, reason: error.message }, 'refused a peer we dialled');
      } else {
        logger.debug({ peer: this.nodeId, address: this.#address, err: error }, 'connection to a peer failed');
      }
    });
    socket.on('close', () => this.#onClose(socket));
  }

  #onData(socket: TLSSocket, decoder: FrameDecoder, chunk: Buffer): void {
    if (this.#socket() !== socket) return;
    const decoded = decoder.push(chunk);
    for (const frame of decoded.frames) {
      if (!this.#onFrame(socket, frame)) return;
    }
    if (decoded.error !== undefined) this.#breakProtocol(socket, decoded.error);
  }

  /** False if the frame broke the protocol and the connection is gone. */
  #onFrame(socket: TLSSocket, frame: Frame): boolean {
    const connected = this.#state.kind === 'connected';
    if (!connected && frame.kind === 'accept') {
      this.#state = { kind: 'connected', socket };
      this.#reconnectAttempts = 0;
      socket.setTimeout(0);
      this.#context.logger.debug({ peer: this.nodeId, address: this.#address }, 'connected to a peer');
      this.#scheduleFlush();
      return true;
    }
    if (connected && frame.kind === 'response') {
      this.#requests.resolve(frame.requestId, frame.payload);
      return true;
    }
    if (connected && frame.kind === 'error') {
      this.#requests.reject(frame.requestId, new ChannelError(`node ${this.nodeId} failed the request: ${frame.message}`));
      return true;
    }
    this.#breakProtocol(socket, `an unexpected ${frame.kind} frame`);
    return false;
  }

  #breakProtocol(socket: TLSSocket, reason: string): void {
    this.#context.logger.warn({ peer: this.nodeId, address: this.#address, reason }, 'dropped the connection to a peer that broke the protocol');
    socket.destroy();
  }

  #onClose(socket: TLSSocket): void {
    if (this.#socket() !== socket) return;
    this.#disconnect(`the connection to node ${this.nodeId} closed before the answer`);
    this.#reconnectAttempts += 1;
    const delayMs = backoffDelayMs(this.#reconnectAttempts, this.#context.limits, this.#context.random);
    this.#context.logger.debug({ peer: this.nodeId, address: this.#address, delayMs, attempt: this.#reconnectAttempts }, 'redialling a peer after a delay');
    const timer = setTimeout(() => this.#dial(), delayMs);
    // Redialling alone should not keep the process alive; the listening server does.
    timer.unref();
    this.#state = { kind: 'waiting', timer };
  }

  /** Lets go of the current connection or redial timer; requests written to the connection are lost with it. */
  #disconnect(reason: string): void {
    const state = this.#state;
    if (state.kind === 'waiting') clearTimeout(state.timer);
    if (state.kind === 'connecting' || state.kind === 'connected') {
      this.#requests.rejectWritten(new ChannelError(reason));
      state.socket.destroy();
    }
    this.#awaitingDrain = false;
  }

  /** Flushes once this turn of the event loop is done, so frames sent meanwhile share writes. */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const state = this.#state;
    if (state.kind !== 'connected' || this.#awaitingDrain) return;
    const { socket } = state;
    const batchBytesMax = this.#context.limits.writeBatchBytesMax;
    while (this.#queue.frames > 0) {
      // One corked batch becomes one TLS write: far fewer records and syscalls per frame.
      socket.cork();
      let batchBytes = 0;
      while (batchBytes < batchBytesMax) {
        const frame = this.#queue.shift();
        if (frame === undefined) break;
        if (frame.requestId !== undefined) this.#requests.markWritten(frame.requestId);
        socket.write(frame.bytes);
        batchBytes += frame.bytes.length;
      }
      socket.uncork();
      if (socket.writableNeedDrain) {
        // The peer is not keeping up: the rest waits in our queue, bounded, not in the socket.
        this.#awaitingDrain = true;
        socket.once('drain', () => {
          if (this.#socket() !== socket) return;
          this.#awaitingDrain = false;
          this.#flush();
        });
        return;
      }
    }
  }
}
