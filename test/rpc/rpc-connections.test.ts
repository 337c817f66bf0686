// The server as a network service: HTTP/1.1 beside HTTP/2 (node's https and curl),
// TLS 1.3 only, surviving whatever clients do (garbage, resets, huge headers), metrics
// per request, and a close() that lets requests in flight finish.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { noAuth, userCertAuth } from '../../src/rpc/auth-policies.js';
import type { Endpoint } from '../../src/rpc/endpoint.js';
import { createRpcMetrics } from '../../src/rpc/metrics.js';
import type { RequestDone } from '../../src/rpc/rpc-server.js';
import { ask, createIdentities, errorOf, json, startServer, type Identities, type Identity, type Running } from './rpc-fixture.js';

const bodyBytesMax = 1024;

interface Http1Answer {
  readonly status: number;
  readonly httpVersion: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function askHttp1(port: number, identities: Identities, options: { method?: string; path: string; body?: string | Buffer; as?: Identity; headers?: Record<string, string> }): Promise<Http1Answer> {
  return new Promise((resolve, reject) => {
    const request = https.request({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'GET',
      path: options.path,
      ca: identities.service.certificate,
      agent: false,
      headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      ...(options.as === undefined ? {} : { cert: options.as.certificate, key: options.as.key }),
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, httpVersion: response.httpVersion, headers: response.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('the RPC server as a network service', () => {
  let identities: Identities;
  let running: Running;
  const metrics = createRpcMetrics();
  const done: RequestDone[] = [];

  const endpoints: Endpoint[] = [
    { method: 'GET', path: '/app/hello', mode: 'readonly', auth: [noAuth], summary: 'Greets', handler: () => ({ body: { hello: 'world' } }) },
    {
      method: 'POST', path: '/app/echo/:name', mode: 'readwrite', auth: [userCertAuth], summary: 'Echoes',
      requestSchema: { type: 'object' },
      handler: ({ params, body, tx }) => {
        tx.map<string, unknown>('public:test.echo').set(params.name ?? '', body);
        return { body: { name: params.name, body } };
      },
    },
  ];

  before(async () => {
    identities = await createIdentities();
    running = await startServer(identities, endpoints, {
      limits: { requestBodyBytesMax: bodyBytesMax },
      onRequestDone: (info) => {
        done.push(info);
        metrics.onRequestDone(info);
      },
    });
  });
  after(() => running.server.close());

  describe('HTTP/1.1', () => {
    it('serves HTTP/1.1 clients with the same answers', async () => {
      const answer = await askHttp1(running.port, identities, { method: 'POST', path: '/app/echo/a', body: '{"x": 1}', as: identities.user });
      assert.equal(answer.httpVersion, '1.1');
      assert.equal(answer.status, 200);
      assert.deepEqual(JSON.parse(answer.body), { name: 'a', body: { x: 1 } });
      assert.match(String(answer.headers['x-coco-tx-id']), /^1\.\d+$/);
      const unauthenticated = await askHttp1(running.port, identities, { method: 'POST', path: '/app/echo/a', body: '{}' });
      assert.equal(unauthenticated.status, 401);
      const wrongMethod = await askHttp1(running.port, identities, { path: '/app/echo/a' });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.allow, 'POST');
    });

    it('answers 413 to an HTTP/1.1 body over the limit and closes that connection', async () => {
      const answer = await askHttp1(running.port, identities, { method: 'POST', path: '/app/echo/a', body: Buffer.alloc(bodyBytesMax * 100, 0x20), as: identities.user });
      assert.equal(answer.status, 413);
      assert.equal(answer.headers.connection, 'close');
      assert.equal((await askHttp1(running.port, identities, { path: '/app/hello' })).status, 200);
    });

    // curl is a test dependency: .ci/run installs it.
    it('answers curl, over HTTP/1.1 and HTTP/2', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'coco-rpc-curl-'));
      try {
        writeFileSync(join(dir, 'service.pem'), identities.service.certificate);
        writeFileSync(join(dir, 'user.pem'), identities.user.certificate);
        writeFileSync(join(dir, 'user.key'), identities.user.key);
        for (const [flag, version] of [['--http1.1', '1.1'], ['--http2', '2']] as const) {
          const { stdout } = await promisify(execFile)('curl', [
            '--silent', '--show-error', flag, '--cacert', join(dir, 'service.pem'), '--cert', join(dir, 'user.pem'), '--key', join(dir, 'user.key'),
            '-H', 'content-type: application/json', '--data', '{"via": "curl"}', '--write-out', '\n%{http_version} %{http_code}',
            `https://127.0.0.1:${running.port}/app/echo/curl`,
          ]);
          const [body, status] = stdout.split('\n');
          assert.equal(status, `${version} 200`);
          assert.deepEqual(JSON.parse(body ?? ''), { name: 'curl', body: { via: 'curl' } });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('bad clients', () => {
    it('refuses TLS below 1.3', async () => {
      const error = await new Promise<Error | undefined>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: running.port, ca: identities.service.certificate, maxVersion: 'TLSv1.2' });
        socket.once('secureConnect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', resolve);
      });
      assert.ok(error instanceof Error, 'the handshake failed');
    });

    it('survives plain-text HTTP, garbage bytes and half-finished handshakes', async () => {
      for (const bytes of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3]), Buffer.alloc(0)]) {
        await new Promise<void>((resolve) => {
          const socket = net.connect(running.port, '127.0.0.1', () => {
            socket.write(bytes);
            setTimeout(() => socket.destroy(), 20);
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve());
        });
      }
      assert.equal((await ask(running.port, identities, { path: '/app/hello' })).status, 200);
    });

    it('survives clients resetting a stream or dropping the connection mid-body', async () => {
      for (const drop of ['stream', 'connection'] as const) {
        await new Promise<void>((resolve) => {
          const session = http2.connect(`https://127.0.0.1:${running.port}`, { ca: identities.service.certificate, cert: identities.user.certificate, key: identities.user.key });
          session.on('error', () => {});
          const stream = session.request({ ':method': 'POST', ':path': '/app/echo/x', 'content-type': 'application/json' });
          stream.on('error', () => {});
          stream.write('{"partial": ', () => {
            if (drop === 'stream') {
              stream.close(http2.constants.NGHTTP2_CANCEL);
              session.close();
            } else {
              session.destroy();
            }
            resolve();
          });
        });
      }
      assert.equal((await ask(running.port, identities, { path: '/app/hello' })).status, 200);
    });

    it('refuses huge headers, and goes on serving', async () => {
      const big = 'a'.repeat(60_000);
      const http1 = await askHttp1(running.port, identities, { path: '/app/hello', headers: { 'x-big': big } }).catch((error: Error) => error);
      assert.ok(http1 instanceof Error || http1.status === 431, 'HTTP/1.1 refuses headers over 16 KiB');
      const http2Answer = await ask(running.port, identities, { path: '/app/hello', headers: { 'x-big': big } });
      assert.equal(http2Answer.status, 431);
      assert.equal(errorOf(http2Answer).code, 'RequestHeadersTooLarge');
      assert.equal((await ask(running.port, identities, { path: '/app/hello' })).status, 200);
    });

    it('answers unknown methods with 405 on known paths', async () => {
      const answer = await ask(running.port, identities, { method: 'OPTIONS', path: '/app/hello' });
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.allow, 'GET');
    });
  });

  describe('metrics', () => {
    it('reports every answered request with its route template, and counts it in the registry', async () => {
      done.length = 0;
      await ask(running.port, identities, { method: 'POST', path: '/app/echo/m1', body: '{}', as: identities.user });
      await ask(running.port, identities, { path: '/app/nowhere' });
      assert.deepEqual(done.map(({ method, route, status }) => ({ method, route, status })), [
        { method: 'POST', route: '/app/echo/:name', status: 200 },
        { method: 'GET', route: 'unmatched', status: 404 },
      ]);
      assert.ok(done.every((info) => info.durationMs >= 0 && info.durationMs < 10_000));
      const text = await metrics.registry.metrics();
      assert.match(text, /coco_requests_total\{method="POST",route="\/app\/echo\/:name",status="200"\} \d+/);
      assert.match(text, /coco_request_duration_seconds_bucket\{le="0.5",method="GET",route="unmatched"\} \d+/);
    });

    it('takes gauges from the node', async () => {
      const own = createRpcMetrics();
      own.addGauge('coco_commit_seqno', 'Last committed seqno', () => 42);
      assert.match(await own.registry.metrics(), /coco_commit_seqno 42/);
    });
  });
});

describe('RpcServer.close', () => {
  it('lets a request in flight finish, then stops', async () => {
    const identities = await createIdentities();
    const gate = deferred();
    const entered = deferred();
    const running: Running = await startServer(identities, [{
      method: 'POST', path: '/app/slow', mode: 'readwrite', auth: [noAuth], summary: 'Waits for the test',
      handler: async ({ tx }) => {
        entered.resolve();
        await gate.promise;
        tx.map<string, string>('public:test.slow').set('k', 'v');
        return { body: { done: true } };
      },
    }]);
    const slow = ask(running.port, identities, { method: 'POST', path: '/app/slow' });
    await entered.promise;
    let closed = false;
    const closing = running.server.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closed, false, 'close waits for the request in flight');
    await assert.rejects(ask(running.port, identities, { path: '/app/slow' }), 'no new connections');
    gate.resolve();
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.deepEqual(json(answer), { done: true });
    assert.match(String(answer.headers['x-coco-tx-id']), /^1\.\d+$/);
    await closing;
    assert.equal(closed, true);
  });

  it('does not wait forever for a client that stalls mid-body', async () => {
    const identities = await createIdentities();
    const running = await startServer(identities, [{
      method: 'POST', path: '/app/echo', mode: 'readwrite', auth: [noAuth], summary: 'Takes a body', requestSchema: { type: 'object' },
      handler: () => ({ body: {} }),
    }]);
    const session = http2.connect(`https://127.0.0.1:${running.port}`, { ca: identities.service.certificate });
    session.on('error', () => {});
    const stream = session.request({ ':method': 'POST', ':path': '/app/echo', 'content-type': 'application/json', 'content-length': '1000' });
    stream.on('error', () => {});
    stream.write('{"partial": ');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await running.server.close();
    assert.ok(Date.now() - started < 5000, 'close returned after the grace period, not never');
    session.destroy();
  });

  it('waits for a handler whose client has gone, so nothing commits after close', async () => {
    const identities = await createIdentities();
    const gate = deferred();
    const entered = deferred();
    const running = await startServer(identities, [{
      method: 'POST', path: '/app/slow', mode: 'readwrite', auth: [noAuth], summary: 'Waits for the test',
      handler: async ({ tx }) => {
        entered.resolve();
        await gate.promise;
        tx.map<string, string>('public:test.slow').set('k', 'v');
        return { body: {} };
      },
    }]);
    const session = http2.connect(`https://127.0.0.1:${running.port}`, { ca: identities.service.certificate });
    session.on('error', () => {});
    session.request({ ':method': 'POST', ':path': '/app/slow' }).on('error', () => {}).end();
    await entered.promise;
    session.destroy();
    let closed = false;
    const closing = running.server.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closed, false);
    gate.resolve();
    await closing;
    assert.equal(running.host.committedWriteSets.length, 1, 'the handler finished and its commit reached the host before close returned');
  });

  it('lets an HTTP/1.1 request in flight finish, telling the client the connection closes', async () => {
    const identities = await createIdentities();
    const gate = deferred();
    const entered = deferred();
    const running = await startServer(identities, [{
      method: 'GET', path: '/app/slow', mode: 'readonly', auth: [noAuth], summary: 'Waits for the test',
      handler: async () => {
        entered.resolve();
        await gate.promise;
        return { body: { done: true } };
      },
    }]);
    const slow = askHttp1(running.port, identities, { path: '/app/slow' });
    await entered.promise;
    const closing = running.server.close();
    gate.resolve();
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.connection, 'close');
    await closing;
  });
});
