// The Coco client SDK: requests to a node over one multiplexed HTTP/2 session whose TLS
// trusts only the service certificate, plus the transaction helpers every caller
// wants: status, waiting for commit, and verified receipts. docs/client.md shows use.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { parseCertificate } from '../crypto/certificate.js';
import { verifyReceipt, type Receipt } from '../ledger/receipt.js';
import { formatTxId, parseTxId, type TxId } from '../ledger/tx-id.js';
import { commitPollMsDefault, commitTimeoutMsDefault, requestTimeoutMsDefault } from './client-limits.js';
import { CocoHttpError } from './coco-http-error.js';
import type { CocoResponse } from './coco-response.js';
import { CocoTransportError, describeTransportFailure } from './coco-transport-error.js';
import { decodeResponse } from './decode-response.js';
import { InvalidReceiptError } from './invalid-receipt-error.js';
import { NotCommittedError } from './not-committed-error.js';
import { ok } from './ok.js';
import { ReconnectingSession } from './reconnecting-session.js';
import { sendRequest, type ExchangeOutcome } from './send-request.js';
import { isTxStatus, type TxStatus } from './tx-status.js';

export interface ConnectOptions {
  /** The node, `https://host:port`. */
  readonly url: string;
  /** PEM: the only certificate trusted; every node's TLS certificate chains to it. */
  readonly serviceCertificate: string;
  /** PEM client identity (a user's or member's certificate and key), for endpoints that need one. */
  readonly certificate?: string;
  readonly privateKey?: string;
  /** Default time limit of each request, connecting included. */
  readonly timeoutMs?: number;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  /** Sent as JSON; a Uint8Array is sent as it is (content-type from `headers`, else octet-stream). */
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Throw a CocoHttpError for a non-2xx status instead of returning the response. */
  readonly throwOnError?: boolean;
  readonly timeoutMs?: number;
}

export interface CommitWaitOptions {
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

/** Only reads are resent after a lost connection: a write may already have run. */
const RESENDABLE_AFTER_LOSS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** Receipt answers that may change by waiting; any other error is final. */
function receiptMayAppear(status: number): boolean {
  return status === 202 || status === 404 || status >= 500;
}

export class CocoClient {
  private closed = false;

  private constructor(
    /** The node's origin, `https://host:port`. */
    readonly url: string,
    private readonly host: string,
    readonly serviceCertificate: string,
    private readonly session: ReconnectingSession,
    private readonly timeoutMs: number,
  ) {}

  /** Checks the options and returns a client; the connection opens with the first request. */
  static connect(options: ConnectOptions): CocoClient {
    const url = nodeUrl(options.url);
    try {
      parseCertificate(options.serviceCertificate);
    } catch (error) {
      throw new TypeError(`serviceCertificate: ${(error as Error).message}`);
    }
    if ((options.certificate === undefined) !== (options.privateKey === undefined)) {
      throw new TypeError('certificate and privateKey go together: give both for a client identity, or neither');
    }
    const timeoutMs = options.timeoutMs ?? requestTimeoutMsDefault;
    checkDuration('timeoutMs', timeoutMs);
    const session = new ReconnectingSession(url.origin, secureContext(options));
    return new CocoClient(url.origin, url.hostname, options.serviceCertificate, session, timeoutMs);
  }

  /**
   * Sends one request and resolves to the response, whatever its status (unless
   * `throwOnError`). Rejects with CocoTransportError when no usable answer came back.
   * A request the node provably did not run, or a read whose connection dropped, is
   * sent once more on a new connection.
   */
  async request(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<CocoResponse> {
    if (this.closed) throw new Error('this CocoClient is closed');
    if (!path.startsWith('/')) throw new TypeError(`a request path starts with "/": ${JSON.stringify(path)}`);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    checkDuration('timeoutMs', timeoutMs);
    const fullPath = withQuery(path, options.query);
    const { body, headers } = encodeBody(options.body, requestHeaders(options.headers));
    const exchange = { method, path: fullPath, headers, timeoutMs, ...(body === undefined ? {} : { body }) };

    const deadline = performance.now() + timeoutMs;
    let outcome = await sendRequest(this.session.get(), exchange);
    const remainingMs = Math.ceil(deadline - performance.now());
    const resend = outcome.kind === 'refused' || (outcome.kind === 'lost' && RESENDABLE_AFTER_LOSS.has(method));
    // Once: a second failure on a fresh connection is the node's, not a stale connection's.
    if (resend && remainingMs > 0 && !this.closed) outcome = await sendRequest(this.session.get(), { ...exchange, timeoutMs: remainingMs });

    if (outcome.kind !== 'answered') throw this.transportError(method, fullPath, outcome);
    let response: CocoResponse;
    try {
      response = decodeResponse({ method, path: fullPath }, outcome);
    } catch (error) {
      throw new CocoTransportError('BAD_RESPONSE', this.url, method, fullPath, (error as Error).message);
    }
    return options.throwOnError === true ? ok(response) : response;
  }

  get(path: string, options?: Omit<RequestOptions, 'body'>): Promise<CocoResponse> {
    return this.request('GET', path, options);
  }

  post(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<CocoResponse> {
    return this.request('POST', path, { ...options, body });
  }

  put(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<CocoResponse> {
    return this.request('PUT', path, { ...options, body });
  }

  delete(path: string, options?: Omit<RequestOptions, 'body'>): Promise<CocoResponse> {
    return this.request('DELETE', path, options);
  }

  /** GET /node/tx: where the transaction stands now. */
  async txStatus(txId: TxId | string): Promise<TxStatus> {
    const id = toTxId(txId);
    const response = await this.get('/node/tx', { query: { transaction_id: formatTxId(id) }, throwOnError: true });
    const status = (response.body as { status?: unknown } | undefined)?.status;
    if (!isTxStatus(status)) {
      throw new CocoTransportError('BAD_RESPONSE', this.url, response.method, response.path,
        `status ${JSON.stringify(status)} is not one of Unknown, Pending, Committed, Invalid`);
    }
    return status;
  }

  /**
   * Polls the transaction's status until it is Committed. Rejects with a
   * NotCommittedError when it is Invalid or when timeoutMs passes (naming the last
   * status), and with the request's error if the node cannot be asked. The deadline is
   * checked between polls: cutting a status request short would turn "not committed
   * yet" into a misleading timeout of the node.
   */
  async waitForCommit(txId: TxId | string, options: CommitWaitOptions = {}): Promise<void> {
    const id = toTxId(txId);
    const { timeoutMs = commitTimeoutMsDefault, pollMs = commitPollMsDefault } = options;
    checkDuration('timeoutMs', timeoutMs);
    checkDuration('pollMs', pollMs);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const status = await this.txStatus(id);
      if (status === 'Committed') return;
      if (status === 'Invalid' || performance.now() + pollMs > deadline) throw new NotCommittedError(id, status, timeoutMs);
      await sleep(pollMs);
    }
  }

  /**
   * Waits for the transaction to commit, then fetches its receipt, asking again while
   * the node says it is not available yet. The receipt is verified against the service
   * certificate before it is returned (InvalidReceiptError otherwise); a receipt still
   * unavailable at timeoutMs rejects with the node's last CocoHttpError.
   */
  async getReceipt(txId: TxId | string, options: CommitWaitOptions = {}): Promise<Receipt> {
    const id = toTxId(txId);
    const { timeoutMs = commitTimeoutMsDefault, pollMs = commitPollMsDefault } = options;
    const deadline = performance.now() + timeoutMs;
    await this.waitForCommit(id, { timeoutMs, pollMs });
    for (;;) {
      const response = await this.get('/app/receipt', { query: { transaction_id: formatTxId(id) } });
      if (response.status === 200) {
        const check = verifyReceipt(response.body, this.serviceCertificate);
        if (!check.ok) throw new InvalidReceiptError(id, check.reason);
        if (check.txid !== formatTxId(id)) throw new InvalidReceiptError(id, `it proves transaction ${check.txid} instead`);
        return response.body as Receipt;
      }
      if (!receiptMayAppear(response.status) || performance.now() + pollMs > deadline) throw CocoHttpError.fromResponse(response);
      await sleep(pollMs);
    }
  }

  /** Lets requests in flight finish, then closes the connection; later requests are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.session.close();
  }

  private transportError(method: string, path: string, outcome: Exclude<ExchangeOutcome, { kind: 'answered' }>): CocoTransportError {
    const description = describeTransportFailure(outcome.code, this.host, outcome.error);
    const message = outcome.kind === 'lost' ? `the connection was lost before the response: ${description}` : description;
    return new CocoTransportError(outcome.code, this.url, method, path, message, { cause: outcome.error });
  }
}

function nodeUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`url is not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:') throw new TypeError(`url must be https:// (nodes speak only TLS): ${text}`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new TypeError(`url is a node's address, https://host:port, with nothing after it: ${text}`);
  }
  return url;
}

/** Built once, so reconnecting does not re-read the PEMs; bad client PEMs fail here, not at the first request. */
function secureContext(options: ConnectOptions): SecureContext {
  try {
    return createSecureContext({
      ca: [options.serviceCertificate],
      ...(options.certificate === undefined ? {} : { cert: options.certificate, key: options.privateKey }),
      minVersion: 'TLSv1.3',
    });
  } catch (error) {
    throw new TypeError(`the client certificate or private key is unusable: ${(error as Error).message}`);
  }
}

function checkDuration(name: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 1) throw new TypeError(`${name} is a whole number of milliseconds, at least 1: ${ms}`);
}

function toTxId(txId: TxId | string): TxId {
  if (typeof txId !== 'string') return txId;
  const parsed = parseTxId(txId);
  if (parsed === undefined) throw new TypeError(`not a transaction id (view.seqno): ${JSON.stringify(txId)}`);
  return parsed;
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (query === undefined) return path;
  const search = new URLSearchParams(Object.entries(query).map(([name, value]): [string, string] => [name, String(value)])).toString();
  if (search === '') return path;
  return `${path}${path.includes('?') ? '&' : '?'}${search}`;
}

function requestHeaders(given: RequestOptions['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given ?? {})) {
    if (name.startsWith(':')) throw new TypeError(`pseudo-header ${name} is set by the client, not by callers`);
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

function encodeBody(value: unknown, headers: Record<string, string>): { body?: Buffer; headers: Record<string, string> } {
  if (value === undefined) return { headers };
  // Raw bytes (a COSE-signed governance request, say) go as they are; JSON.stringify
  // would turn a Buffer into {"type":"Buffer","data":[...]}.
  if (value instanceof Uint8Array) {
    return { body: Buffer.from(value), headers: { 'content-type': 'application/octet-stream', ...headers } };
  }
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`a request body must be JSON-serialisable, got ${typeof value}`);
  return { body: Buffer.from(text), headers: { 'content-type': 'application/json', ...headers } };
}
