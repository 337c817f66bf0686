// The one connection (docs/client.md): concurrent requests multiplex on a single
// HTTP/2 session, within the node's stream limit; a dropped session is replaced; a
// request lost with its connection is resent only if it is a read.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CocoClient, CocoTransportError, ok } from '../../src/client/index.js';
import { testIdentities, type TestIdentities } from './test-identities.js';
import { TestNode } from './test-node.js';

describe('client connection', () => {
  let ids: TestIdentities;
  before(async () => {
    ids = await testIdentities();
  });

  describe('on a node', () => {
    let node: TestNode;
    let client: CocoClient;
    before(async () => {
      node = await TestNode.start({ identity: ids.node, usersCa: ids.usersCa });
      client = CocoClient.connect({ url: node.url, serviceCertificate: ids.serviceCertificate, ...ids.user });
    });
    after(async () => {
      await client.close();
      await node.stop();
    });

    it('runs 100 concurrent requests on one session', async () => {
      const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => client.post('/app/log/private', { id: 1000 + i, msg: `m${i}` })));
      const seqnos = new Set(responses.map((response) => ok(response).txId?.seqno));
      assert.equal(seqnos.size, 100);
      const slow = await Promise.all(Array.from({ length: 100 }, () => client.get('/slow', { query: { ms: 50 } })));
      assert.ok(slow.every((response) => response.status === 200));
      assert.equal(node.sessionsOpened, 1);
      assert.ok(node.streamsOpenMax >= 50, `only ${node.streamsOpenMax} streams were open at once`);
    });

    it('reconnects after the node drops the session', async () => {
      ok(await client.get('/echo'));
      const before = node.sessionsOpened;
      node.dropAllSessions();
      // Time for the client to see the connection close; a write is never resent, so
      // this one succeeds only on a new session.
      await sleep(100);
      ok(await client.post('/app/log/private', { id: 2, msg: 'after the drop' }));
      assert.equal(node.sessionsOpened, before + 1);
    });

    it('resends a read whose connection was lost mid-request, on a new session', async () => {
      node.handled.length = 0;
      node.dropNext = 1;
      assert.deepEqual(ok(await client.get('/app/log/private', { query: { id: 1000 } })).body, { msg: 'm0' });
      assert.deepEqual(node.handled, ['GET /app/log/private', 'GET /app/log/private']);
    });

    it('does not resend a write whose connection was lost: it may have run', async () => {
      node.handled.length = 0;
      node.dropNext = 1;
      await assert.rejects(client.post('/app/log/private', { id: 1, msg: 'maybe' }), (error: unknown) => {
        assert.ok(error instanceof CocoTransportError);
        assert.match(error.message, /^POST \/app\/log\/private to https:\/\/127\.0\.0\.1:\d+: the connection was lost before the response/);
        return true;
      });
      assert.deepEqual(node.handled, ['POST /app/log/private']);
      ok(await client.post('/app/log/private', { id: 1, msg: 'again' }));
    });
  });

  it('close() settles when the node has already gone away', async () => {
    const node = await TestNode.start({ identity: ids.node, usersCa: ids.usersCa });
    const client = CocoClient.connect({ url: node.url, serviceCertificate: ids.serviceCertificate, ...ids.user });
    ok(await client.get('/echo'));
    await node.stop();
    await sleep(50);
    // Resolving at all is the point: an unsettled close would end this test file with
    // 'Promise resolution is still pending but the event loop has already resolved'.
    await client.close();
  });

  it('queues requests beyond the node\'s concurrent stream limit', async () => {
    const node = await TestNode.start({ identity: ids.node, usersCa: ids.usersCa, maxConcurrentStreams: 8 });
    const client = CocoClient.connect({ url: node.url, serviceCertificate: ids.serviceCertificate });
    try {
      const responses = await Promise.all(Array.from({ length: 64 }, () => client.get('/slow', { query: { ms: 10 } })));
      assert.ok(responses.every((response) => response.status === 200));
      assert.equal(node.streamsOpenMax, 8);
      assert.equal(node.sessionsOpened, 1);
    } finally {
      await client.close();
      await node.stop();
    }
  });
});
