// A stand-in node for the client tests: a real HTTP/2 server over TLS 1.3 on loopback,
// serving just enough of DESIGN.md's API (the logging app, /node/tx, /app/receipt)
// over a real ledger history (primary-fixture), so the receipts it serves are real.
// Knobs let a test make transactions commit late or never, drop connections, hang.
import type { AddressInfo } from 'node:net';
import { createSecureServer, type Http2SecureServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { formatTxId, parseTxId } from '../../src/ledger/tx-id.js';
import { makePrimary, type Primary } from '../ledger/primary-fixture.js';
import type { PemIdentity } from './test-identities.js';

const VIEW = 1;

export interface TestNodeOptions {
  readonly identity: PemIdentity;
  /** CA whose client certificates count as users. */
  readonly usersCa: string;
  readonly maxConcurrentStreams?: number;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export class TestNode {
  /** /node/tx answers Pending this many times per transaction before Committed. */
  pendingPolls = 3;
  /** /app/receipt answers 202 this many times per transaction after commit. */
  receiptPendingPolls = 1;
  /** Transactions /node/tx reports Invalid. */
  readonly invalid = new Set<string>();
  /** Serve receipts with a flipped byte in the write set digest. */
  tamperReceipts = false;
  /** The next this-many requests have their session destroyed instead of an answer. */
  dropNext = 0;
  /** Requests that reached a handler, drops included. */
  readonly handled: string[] = [];
  sessionsOpened = 0;
  streamsOpenMax = 0;

  private streamsOpen = 0;
  private readonly sessions = new Set<Http2Session>();
  private readonly polls = new Map<string, number>();
  private readonly receiptPolls = new Map<string, number>();
  private readonly messages = new Map<number, string>();

  private constructor(
    private readonly server: Http2SecureServer,
    private readonly primary: Primary,
    readonly url: string,
  ) {}

  static async start(options: TestNodeOptions): Promise<TestNode> {
    const server = createSecureServer({
      cert: options.identity.certificate,
      key: options.identity.privateKey,
      ca: [options.usersCa],
      requestCert: true,
      // Endpoints decide whether they need a user, as a node's auth policies do.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      allowHTTP1: true,
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 1000 },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const node = new TestNode(server, await makePrimary(), `https://127.0.0.1:${port}`);
    server.on('session', (session) => {
      node.sessionsOpened++;
      node.sessions.add(session);
      session.on('close', () => node.sessions.delete(session));
    });
    server.on('stream', (stream, headers) => node.onStream(stream, headers));
    return node;
  }

  /** Commits a logging write through the real ledger fixture; its transaction id. */
  write(id: number, msg: string): string {
    this.messages.set(id, msg);
    return formatTxId({ view: VIEW, seqno: this.primary.write(id, msg, VIEW) });
  }

  /** Ends every connection now, as a crashing node would. */
  dropAllSessions(): void {
    for (const session of this.sessions) session.destroy();
  }

  async stop(): Promise<void> {
    this.dropAllSessions();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    this.streamsOpen++;
    this.streamsOpenMax = Math.max(this.streamsOpenMax, this.streamsOpen);
    stream.on('close', () => this.streamsOpen--);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const url = new URL(headers[':path'] ?? '/', 'https://node');
      const method = headers[':method'] ?? 'GET';
      this.handled.push(`${method} ${url.pathname}`);
      if (this.dropNext > 0) {
        this.dropNext--;
        stream.session?.destroy();
        return;
      }
      void this.route(method, url, headers, Buffer.concat(chunks), stream).then((reply) => {
        if (reply === undefined || stream.destroyed) return;
        const json = reply.body === undefined || Buffer.isBuffer(reply.body) ? undefined : JSON.stringify(reply.body);
        stream.respond({ ':status': reply.status, ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...reply.headers });
        stream.end(json ?? reply.body);
      });
    });
  }

  private async route(method: string, url: URL, headers: IncomingHttpHeaders, body: Buffer, stream: ServerHttp2Stream): Promise<Reply | undefined> {
    const route = `${method} ${url.pathname}`;
    const txId = url.searchParams.get('transaction_id') ?? '';
    switch (route) {
      case 'POST /app/log/private': return this.logWrite(body);
      case 'GET /app/log/private': {
        const msg = this.messages.get(Number(url.searchParams.get('id')));
        if (msg === undefined) return error(404, 'ResourceNotFound', `no message with id ${url.searchParams.get('id')}`);
        return { status: 200, body: { msg }, headers: { 'x-coco-tx-id': formatTxId({ view: VIEW, seqno: this.primary.history.lastSeqno }) } };
      }
      case 'GET /node/tx': return this.txStatus(txId);
      case 'GET /app/receipt': return this.receipt(txId);
      case 'POST /echo': case 'GET /echo': {
        const socket = stream.session?.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        return {
          status: 200,
          headers: { 'x-test': 'echoed', 'x-coco-tx-id': '3.42' },
          body: {
            method, path: url.pathname, query: Object.fromEntries(url.searchParams), contentType: headers['content-type'] ?? null,
            header: headers['x-custom'] ?? null, body: body.toString('utf8'), user: socket.authorized ? peer.subject.CN : null,
          },
        };
      }
      case 'GET /text': return { status: 200, body: Buffer.from('plain words'), headers: { 'content-type': 'text/plain' } };
      case 'GET /not-json': return { status: 200, body: Buffer.from('{oops'), headers: { 'content-type': 'application/json' } };
      case 'GET /bad-tx-id': return { status: 200, body: {}, headers: { 'x-coco-tx-id': 'seven' } };
      case 'GET /proxy-error': return { status: 502, body: Buffer.from('<html>bad gateway</html>'), headers: { 'content-type': 'text/html' } };
      case 'GET /slow': await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms')))); return { status: 200, body: { slow: true } };
      case 'GET /hang': return undefined;
      default: return error(404, 'ResourceNotFound', `no endpoint ${route}`);
    }
  }

  private logWrite(body: Buffer): Reply {
    let request: { id?: unknown; msg?: unknown };
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      return error(400, 'InvalidInput', 'the body is not JSON');
    }
    if (!Number.isSafeInteger(request.id) || typeof request.msg !== 'string') {
      return error(400, 'InvalidInput', 'expected {"id": integer, "msg": string}');
    }
    return { status: 200, body: true, headers: { 'x-coco-tx-id': this.write(request.id as number, request.msg) } };
  }

  private txStatus(text: string): Reply {
    const txId = parseTxId(text);
    if (txId === undefined) return error(400, 'InvalidInput', `not a transaction id: ${text}`);
    const status = this.invalid.has(text) ? 'Invalid' : txId.seqno > this.primary.history.lastSeqno ? 'Unknown' : this.isCommitted(text, txId.seqno) ? 'Committed' : 'Pending';
    return { status: 200, body: { transaction_id: text, status } };
  }

  /** Commits after `pendingPolls` polls: a signature covering the transaction is written then, as commit needs one. */
  private isCommitted(text: string, seqno: number): boolean {
    const polls = (this.polls.get(text) ?? 0) + 1;
    this.polls.set(text, polls);
    if (polls <= this.pendingPolls) return false;
    if ((this.primary.writer.lastSignature?.tree_size ?? 0) < seqno) this.primary.writer.sign(VIEW);
    return true;
  }

  private receipt(text: string): Reply {
    const txId = parseTxId(text);
    const signature = this.primary.writer.lastSignature;
    if (txId === undefined || signature === undefined || signature.tree_size < txId.seqno) {
      return error(404, 'TransactionNotFound', `transaction ${text} is not committed`);
    }
    const polls = (this.receiptPolls.get(text) ?? 0) + 1;
    this.receiptPolls.set(text, polls);
    if (polls <= this.receiptPendingPolls) return error(202, 'TransactionPending', `the receipt for ${text} is being prepared`);
    const receipt = this.primary.history.receipt(this.primary.entry(txId.seqno), signature);
    if (!this.tamperReceipts) return { status: 200, body: receipt };
    const digest = receipt.leaf_components.write_set_digest;
    return { status: 200, body: { ...receipt, leaf_components: { ...receipt.leaf_components, write_set_digest: (digest[0] === '0' ? '1' : '0') + digest.slice(1) } } };
  }
}

function error(status: number, code: string, message: string): Reply {
  return { status, body: { error: { code, message } } };
}
