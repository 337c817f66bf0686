// Forwarding through real RpcServers over TLS: a client's write to the backup lands in the
// primary's store, its connection (an HTTP/2 session, an HTTP/1.1 keep-alive socket) then
// reads from the primary while fresh connections read locally, and both servers count
// what they forwarded. The node-to-node channel is replaced by its seam: the backup's
// Forwarder hands payloads to the primary server's serveForwarded.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../src/rpc/api-error.js';
import { userCertAuth } from '../../src/rpc/auth-policies.js';
import type { Endpoint } from '../../src/rpc/endpoint.js';
import { decodeForwardedReply, encodeForwardedRequest } from '../../src/rpc/forwarding-codec.js';
import { createRpcMetrics } from '../../src/rpc/metrics.js';
import type { RequestDone } from '../../src/rpc/rpc-server.js';
import { ask, createIdentities, errorOf, json, startServer, type Answer, type Identities, type Identity, type Running } from './rpc-fixture.js';

const RECORDS = 'public:test.records';

const endpoints: Endpoint[] = [
  {
    method: 'POST', path: '/app/records/:id', mode: 'readwrite', auth: [userCertAuth], summary: 'Writes a record',
    requestSchema: { type: 'object', required: ['msg'], properties: { msg: { type: 'string' } } },
    handler: ({ tx, params, body }) => {
      tx.map<string, string>(RECORDS).set(params.id ?? '', (body as { msg: string }).msg);
      return { status: 201, body: { id: params.id } };
    },
  },
  {
    method: 'GET', path: '/app/records/:id', mode: 'readonly', auth: [userCertAuth], summary: 'Reads a record',
    handler: ({ tx, params }) => {
      const msg = tx.map<string, string>(RECORDS).get(params.id ?? '');
      if (msg === undefined) throw new ApiError('ResourceNotFound', `no record ${params.id}`);
      return { body: { msg } };
    },
  },
];

/** One HTTP/2 connection for several requests, in turn. */
function openSession(port: number, identities: Identities, as: Identity): { request(method: string, path: string, body?: string): Promise<Answer>; close(): void } {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: identities.service.certificate, cert: as.certificate, key: as.key });
  session.on('error', () => {});
  return {
    request: (method, path, body) => new Promise((resolve, reject) => {
      const stream = session.request({ ':method': method, ':path': path, ...(body === undefined ? {} : { 'content-type': 'application/json' }) });
      const chunks: Buffer[] = [];
      let headers: http2.IncomingHttpHeaders = {};
      stream.on('response', (received) => (headers = received));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks) }));
      stream.on('error', reject);
      stream.end(body);
    }),
    close: () => session.close(),
  };
}

interface Http1Answer {
  readonly status: number;
  readonly body: string;
  readonly reusedSocket: boolean;
}

function askHttp1(port: number, identities: Identities, agent: https.Agent, method: string, path: string, body?: string): Promise<Http1Answer> {
  return new Promise((resolve, reject) => {
    const request = https.request({
      host: '127.0.0.1', port, method, path, agent, ca: identities.service.certificate,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), reusedSocket: request.reusedSocket }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('forwarding between RPC servers over TLS', () => {
  let identities: Identities;
  let primary: Running;
  let backup: Running;
  const primaryDone: RequestDone[] = [];
  const backupDone: RequestDone[] = [];
  const backupMetrics = createRpcMetrics();
  const primaryMetrics = createRpcMetrics();

  before(async () => {
    identities = await createIdentities();
    primary = await startServer(identities, endpoints, {
      onRequestDone: (done) => {
        primaryDone.push(done);
        primaryMetrics.onRequestDone(done);
      },
    });
    backup = await startServer(identities, endpoints, {
      forwarder: { primaryId: () => 'primary', send: (_to, payload) => primary.server.serveForwarded(payload), watchPrimary: () => () => {} },
      onRequestDone: (done) => {
        backupDone.push(done);
        backupMetrics.onRequestDone(done);
      },
    });
    backup.host.refusal = 'this node is a backup';
  });
  after(async () => {
    await backup.server.close();
    await primary.server.close();
  });

  const read = (id: string) => ask(backup.port, identities, { path: `/app/records/${id}`, as: identities.user });

  it('lands a client\'s write through the backup in the primary\'s store; the HTTP/2 session then reads from the primary', async () => {
    const session = openSession(backup.port, identities, identities.user);
    try {
      const write = await session.request('POST', '/app/records/h2', '{"msg": "over HTTP/2"}');
      assert.equal(write.status, 201);
      assert.deepEqual(json(write), { id: 'h2' });
      assert.equal(write.headers['x-coco-tx-id'], `1.${primary.host.store.version}`);
      assert.equal(primary.host.committedWriteSets.length, 1);
      assert.equal(backup.host.committedWriteSets.length, 0);
      const tx = primary.host.store.begin();
      assert.equal(tx.map<string, string>(RECORDS).get('h2'), 'over HTTP/2');
      tx.abort();

      const own = await session.request('GET', '/app/records/h2');
      assert.equal(own.status, 200, 'the session reads its own write, from the primary');
      assert.deepEqual(json(own), { msg: 'over HTTP/2' });
    } finally {
      session.close();
    }
    const elsewhere = await read('h2');
    assert.equal(elsewhere.status, 404, 'a fresh connection reads the backup, which has not seen the write');
    assert.equal(errorOf(elsewhere).code, 'ResourceNotFound');
  });

  it('does the same for an HTTP/1.1 keep-alive connection', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, cert: identities.user.certificate, key: identities.user.key });
    try {
      const write = await askHttp1(backup.port, identities, agent, 'POST', '/app/records/h1', '{"msg": "over HTTP/1.1"}');
      assert.equal(write.status, 201);
      const own = await askHttp1(backup.port, identities, agent, 'GET', '/app/records/h1');
      assert.equal(own.reusedSocket, true, 'the same connection');
      assert.equal(own.status, 200);
      assert.deepEqual(JSON.parse(own.body), { msg: 'over HTTP/1.1' });
    } finally {
      agent.destroy();
    }
    assert.equal((await read('h1')).status, 404);
  });

  it('reports forwarded requests on both servers, and counts them', async () => {
    const sent = backupDone.filter((done) => done.forwarded === 'sent').map(({ method, route, status }) => ({ method, route, status }));
    assert.deepEqual(sent, [
      { method: 'POST', route: '/app/records/:id', status: 201 },
      { method: 'GET', route: '/app/records/:id', status: 200 },
      { method: 'POST', route: '/app/records/:id', status: 201 },
      { method: 'GET', route: '/app/records/:id', status: 200 },
    ]);
    assert.ok(backupDone.some((done) => done.forwarded === undefined && done.status === 404), 'local reads are not marked');
    assert.deepEqual(primaryDone.map((done) => done.forwarded), ['received', 'received', 'received', 'received']);
    assert.match(await backupMetrics.registry.metrics(), /coco_forwarded_requests_total\{direction="sent",route="\/app\/records\/:id",status="201"\} 2/);
    assert.match(await primaryMetrics.registry.metrics(), /coco_forwarded_requests_total\{direction="received",route="\/app\/records\/:id",status="200"\} 2/);
  });

  it('refuses forwarded requests once the primary is closing', async () => {
    const closing = primary.server.close();
    const payload = encodeForwardedRequest({ method: 'GET', target: '/app/records/h2', headers: {}, body: Buffer.alloc(0) });
    const reply = decodeForwardedReply(await primary.server.serveForwarded(payload));
    assert.equal(reply.status, 503);
    assert.match(String((JSON.parse(reply.body.toString()) as { error: { message: string } }).error.message), /shutting down/);
    await closing;
  });
});
