// The load generator's view of a connection to a node, whichever protocol carries it:
// pipelined HTTP/1.1 (the default, as CCF's perf client) or HTTP/2 streams (node:http2).
// Requests are prepared once, before the clock starts, so measuring costs the client
// as little as possible.
import { connect, type ClientHttp2Session } from 'node:http2';
import { Http1Pipeline, serialiseRequest, type PipelinedResponse } from './http1-pipeline.js';

export type Protocol = 'http1' | 'http2';

export interface LoadTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface PreparedRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: Buffer;
  /** The serialised HTTP/1.1 form. */
  readonly http1: Buffer;
}

export interface LoadSession {
  send(request: PreparedRequest): Promise<PipelinedResponse>;
  close(): void;
}

export function prepare(method: string, path: string, body?: Buffer): PreparedRequest {
  return { method, path, ...(body === undefined ? {} : { body }), http1: serialiseRequest(method, path, body) };
}

export async function openSession(protocol: Protocol, url: string, tls: LoadTls): Promise<LoadSession> {
  if (protocol === 'http1') {
    const { hostname, port } = new URL(url);
    const pipeline = await Http1Pipeline.open(hostname, Number(port), tls);
    return { send: (request) => pipeline.request(request.http1), close: () => pipeline.close() };
  }
  const session = connect(url, { ...tls, minVersion: 'TLSv1.3' });
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  return { send: (request) => http2Request(session, request), close: () => session.close() };
}

function http2Request(session: ClientHttp2Session, request: PreparedRequest): Promise<PipelinedResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ':method': request.method, ':path': request.path };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    let status = 0;
    let txId: string | undefined;
    stream.on('response', (responseHeaders) => {
      status = Number(responseHeaders[':status']);
      const id = responseHeaders['x-coco-tx-id'];
      if (typeof id === 'string') txId = id;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, ...(txId === undefined ? {} : { txId }), body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    stream.end(request.body);
  });
}
