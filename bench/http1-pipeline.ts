// A pipelined HTTP/1.1 client over one mutually authenticated TLS connection, for load
// generation (as CCF's perf client does): requests are serialised once up front, the
// requests queued in one turn of the event loop leave in one write, and responses are
// parsed just enough to give the status, the transaction id header and the body. It
// expects what Coco's server sends: a content-length on every response.
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface PipelinedResponse {
  readonly status: number;
  readonly txId?: string;
  readonly body: Buffer;
}

interface Waiting {
  readonly resolve: (response: PipelinedResponse) => void;
  readonly reject: (error: Error) => void;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** The bytes of one request, ready to be written as often as needed. */
export function serialiseRequest(method: string, path: string, body?: Buffer, contentType = 'application/json'): Buffer {
  const head = body === undefined
    ? `${method} ${path} HTTP/1.1\r\nhost: coco\r\n\r\n`
    : `${method} ${path} HTTP/1.1\r\nhost: coco\r\ncontent-type: ${contentType}\r\ncontent-length: ${body.length}\r\n\r\n`;
  return body === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export class Http1Pipeline {
  readonly #socket: TLSSocket;
  /** Requests sent and not yet answered, oldest first: HTTP/1.1 answers in order. */
  readonly #waiting: Waiting[] = [];
  #waitingHead = 0;
  #received: Buffer = Buffer.alloc(0);
  #corked = false;
  #failure: Error | undefined;

  private constructor(socket: TLSSocket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('the connection closed')));
  }

  static open(host: string, port: number, tls: Pick<ConnectionOptions, 'ca' | 'cert' | 'key'>): Promise<Http1Pipeline> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ...tls, minVersion: 'TLSv1.3', ALPNProtocols: ['http/1.1'] }, () => {
        socket.off('error', reject);
        resolve(new Http1Pipeline(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends `request` (from serialiseRequest) behind those already in flight. */
  request(request: Buffer): Promise<PipelinedResponse> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (!this.#corked) {
      // Everything queued until the next tick goes out in one write (one TLS record).
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(request);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  close(): void {
    this.#socket.end();
  }

  #onData(chunk: Buffer): void {
    const data = this.#received.length === 0 ? chunk : Buffer.concat([this.#received, chunk]);
    let position = 0;
    for (;;) {
      const headEnd = data.indexOf(HEAD_END, position);
      if (headEnd === -1) break;
      const head = data.toString('latin1', position, headEnd).toLowerCase();
      const length = headerValue(head, 'content-length');
      if (length === undefined) return this.#fail(new Error(`a response without content-length: ${head.slice(0, 200)}`));
      const bodyEnd = headEnd + 4 + Number(length);
      if (data.length < bodyEnd) break;
      const waiting = this.#waiting[this.#waitingHead];
      if (waiting === undefined) return this.#fail(new Error('a response to no request'));
      this.#waiting[this.#waitingHead] = undefined as unknown as Waiting;
      this.#waitingHead += 1;
      const txId = headerValue(head, 'x-coco-tx-id');
      waiting.resolve({ status: Number(head.slice(9, 12)), ...(txId === undefined ? {} : { txId }), body: data.subarray(headEnd + 4, bodyEnd) });
      position = bodyEnd;
    }
    this.#received = data.subarray(position);
    if (this.#waitingHead > 4096) {
      this.#waiting.splice(0, this.#waitingHead);
      this.#waitingHead = 0;
    }
  }

  #fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (let i = this.#waitingHead; i < this.#waiting.length; i += 1) this.#waiting[i]?.reject(error);
    this.#waiting.length = 0;
    this.#waitingHead = 0;
    this.#socket.destroy();
  }
}

function headerValue(head: string, name: string): string | undefined {
  const start = head.indexOf(`\r\n${name}:`);
  if (start === -1) return undefined;
  const valueStart = start + name.length + 3;
  const end = head.indexOf('\r\n', valueStart);
  return head.slice(valueStart, end === -1 ? undefined : end).trim();
}
