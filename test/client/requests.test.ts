// Requests and responses (docs/client.md): JSON in and out, headers, the transaction
// id header, errors as responses or as CocoHttpError, time limits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CocoClient, CocoHttpError, CocoTransportError, ok } from '../../src/client/index.js';
import { testIdentities, type TestIdentities } from './test-identities.js';
import { TestNode } from './test-node.js';

describe('client requests', () => {
  let ids: TestIdentities;
  let node: TestNode;
  let client: CocoClient;
  before(async () => {
    ids = await testIdentities();
    node = await TestNode.start({ identity: ids.node, usersCa: ids.usersCa });
    client = CocoClient.connect({ url: node.url, serviceCertificate: ids.serviceCertificate, ...ids.user });
  });
  after(async () => {
    await client.close();
    await node.stop();
  });

  it('sends JSON, query and headers, and reads JSON, headers and the transaction id back', async () => {
    const response = await client.post('/echo', { hello: 'world', n: [1, 2] }, { query: { a: 1, b: 'x y' }, headers: { 'X-Custom': 'yes' } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      method: 'POST', path: '/echo', query: { a: '1', b: 'x y' }, contentType: 'application/json',
      header: 'yes', body: '{"hello":"world","n":[1,2]}', user: 'user0',
    });
    assert.equal(response.headers['x-test'], 'echoed');
    assert.equal(response.headers['content-type'], 'application/json');
    assert.deepEqual(response.txId, { view: 3, seqno: 42 });
    assert.equal(response.path, '/echo?a=1&b=x+y');
  });

  it('sends bytes as they are', async () => {
    const response = await client.post('/echo', Buffer.from('raw'), { headers: { 'content-type': 'application/cose' } });
    assert.deepEqual((response.body as Record<string, unknown>).body, 'raw');
    assert.deepEqual((response.body as Record<string, unknown>).contentType, 'application/cose');
  });

  it('writes and reads the logging app, each answer carrying its transaction id', async () => {
    const write = ok(await client.post('/app/log/private', { id: 7, msg: 'hello' }));
    assert.equal(write.body, true);
    assert.equal(write.txId?.view, 1);
    const read = ok(await client.get('/app/log/private', { query: { id: 7 } }));
    assert.deepEqual(read.body, { msg: 'hello' });
    assert.ok(read.txId !== undefined && read.txId.seqno >= (write.txId?.seqno ?? Infinity));
  });

  it('returns error statuses as responses, and ok/throwOnError turn them into CocoHttpError with the node\'s code and message', async () => {
    const response = await client.post('/app/log/private', { id: 'seven' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { error: { code: 'InvalidInput', message: 'expected {"id": integer, "msg": string}' } });
    assert.equal(response.txId, undefined);
    assert.throws(() => ok(response), (error: unknown) => {
      assert.ok(error instanceof CocoHttpError);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'InvalidInput');
      assert.equal(error.detail, 'expected {"id": integer, "msg": string}');
      assert.equal(error.message, 'POST /app/log/private: 400 InvalidInput: expected {"id": integer, "msg": string}');
      return true;
    });
    await assert.rejects(client.get('/app/log/private', { query: { id: 404 }, throwOnError: true }), {
      name: 'CocoHttpError', status: 404, code: 'ResourceNotFound', message: 'GET /app/log/private?id=404: 404 ResourceNotFound: no message with id 404',
    });
  });

  it('gives an error from something that is not a node a code from its status and its text', async () => {
    await assert.rejects(client.get('/proxy-error', { throwOnError: true }), { status: 502, code: 'BadGateway', detail: '<html>bad gateway</html>' });
  });

  it('returns non-JSON bodies as bytes', async () => {
    const response = await client.get('/text');
    assert.ok(Buffer.isBuffer(response.body));
    assert.equal(response.body.toString(), 'plain words');
  });

  it('rejects a body labelled JSON that is not, and a malformed transaction id header', async () => {
    await assert.rejects(client.get('/not-json'), (error: unknown) => error instanceof CocoTransportError && error.code === 'BAD_RESPONSE' && /labelled JSON but is not/.test(error.message));
    await assert.rejects(client.get('/bad-tx-id'), /x-coco-tx-id header is not a transaction id \(view.seqno\): "seven"/);
  });

  it('gives up on a request after its time limit', async () => {
    const started = Date.now();
    await assert.rejects(client.get('/hang', { timeoutMs: 150 }), (error: unknown) => {
      assert.ok(error instanceof CocoTransportError);
      assert.equal(error.code, 'TIMEOUT');
      assert.match(error.message, /^GET \/hang to https:\/\/127\.0\.0\.1:\d+: no response within 150 ms$/);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
    assert.equal((await client.get('/echo')).status, 200, 'the connection is still good after a timeout');
  });

  it('sends no client certificate when given none', async () => {
    const anonymous = CocoClient.connect({ url: node.url, serviceCertificate: ids.serviceCertificate });
    try {
      assert.equal((ok(await anonymous.get('/echo')).body as { user: unknown }).user, null);
    } finally {
      await anonymous.close();
    }
  });

  it('refuses requests once closed', async () => {
    const closing = CocoClient.connect({ url: node.url, serviceCertificate: ids.serviceCertificate });
    await closing.get('/echo');
    await closing.close();
    await assert.rejects(closing.get('/echo'), /this CocoClient is closed/);
  });
});
