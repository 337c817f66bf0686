// What the server answers before any handler runs, over real TLS: routing (404, 405 with
// Allow), authentication (401; 403 only when a caller is known but refused), input
// (400 malformed or schema-invalid, 415) and the body limit (413, and the server goes on).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../src/rpc/api-error.js';
import { anyCertAuth, memberCertAuth, noAuth, userCertAuth } from '../../src/rpc/auth-policies.js';
import type { Endpoint } from '../../src/rpc/endpoint.js';
import { ask, createIdentities, errorOf, json, startServer, type Identities, type Running } from './rpc-fixture.js';

const bodyBytesMax = 4096;

const endpoints: Endpoint[] = [
  { method: 'GET', path: '/app/hello', mode: 'readonly', auth: [noAuth], summary: 'Greets', handler: () => ({ body: { hello: 'world' } }) },
  { method: 'GET', path: '/app/whoami', mode: 'readonly', auth: [userCertAuth, memberCertAuth], summary: 'Names the caller', handler: ({ caller }) => ({ body: { policy: caller.policy, id: caller.id } }) },
  { method: 'GET', path: '/app/users-only', mode: 'readonly', auth: [userCertAuth], summary: 'Users', handler: () => ({ body: {} }) },
  { method: 'GET', path: '/app/anyone-with-a-cert', mode: 'readonly', auth: [anyCertAuth], summary: 'Any cert', handler: ({ caller }) => ({ body: { id: caller.id } }) },
  {
    method: 'GET', path: '/app/admin', mode: 'readonly', auth: [userCertAuth], summary: 'Forbidden to users',
    handler: () => {
      throw new ApiError('Forbidden', 'users may not administer');
    },
  },
  {
    method: 'POST', path: '/app/record', mode: 'readwrite', auth: [userCertAuth], summary: 'Records',
    requestSchema: { type: 'object', additionalProperties: false, required: ['id', 'msg'], properties: { id: { type: 'integer' }, msg: { type: 'string' } } },
    handler: ({ body }) => ({ body }),
  },
  {
    method: 'GET', path: '/app/record/:id', mode: 'readonly', auth: [userCertAuth], summary: 'Reads',
    querySchema: { type: 'object', properties: { format: { enum: ['short', 'long'] } } },
    handler: ({ params, query }) => ({ body: { id: params.id, format: query.get('format') } }),
  },
  { method: 'POST', path: '/app/raw', mode: 'readonly', auth: [noAuth], summary: 'Echoes raw bytes', handler: ({ request }) => ({ body: request.body, contentType: 'application/octet-stream' }) },
];

describe('RPC errors before a handler runs', () => {
  let identities: Identities;
  let running: Running;
  before(async () => {
    identities = await createIdentities();
    running = await startServer(identities, endpoints, { limits: { requestBodyBytesMax: bodyBytesMax } });
  });
  after(() => running.server.close());

  const send = (request: Parameters<typeof ask>[2]) => ask(running.port, identities, request);

  describe('routing', () => {
    it('answers 404 NotFound for an unknown path', async () => {
      const answer = await send({ path: '/app/nothing?x=1' });
      assert.equal(answer.status, 404);
      assert.equal(answer.headers['content-type'], 'application/json');
      assert.deepEqual(errorOf(answer), { code: 'NotFound', message: 'no endpoint at /app/nothing' });
    });

    it('answers 405 MethodNotAllowed with an Allow header for a known path', async () => {
      const answer = await send({ method: 'DELETE', path: '/app/record/7', as: identities.user });
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.allow, 'GET');
      assert.equal(errorOf(answer).code, 'MethodNotAllowed');
    });

    it('hands percent-decoded path parameters and the query to the handler', async () => {
      const answer = await send({ path: '/app/record/%34%32?format=long', as: identities.user });
      assert.equal(answer.status, 200);
      assert.deepEqual(json(answer), { id: '42', format: 'long' });
    });

    it('answers 400 for a path that is not valid percent-encoding', async () => {
      const answer = await send({ path: '/app/record/%E0%A4%A', as: identities.user });
      assert.equal(answer.status, 400);
      assert.equal(errorOf(answer).code, 'MalformedRequest');
    });
  });

  describe('authentication', () => {
    it('serves no_auth endpoints without a certificate', async () => {
      const answer = await send({ path: '/app/hello' });
      assert.equal(answer.status, 200);
      assert.deepEqual(json(answer), { hello: 'world' });
    });

    it('answers 401 when no certificate is presented', async () => {
      const answer = await send({ path: '/app/users-only' });
      assert.equal(answer.status, 401);
      assert.equal(errorOf(answer).code, 'Unauthenticated');
      assert.match(errorOf(answer).message, /no client certificate/);
    });

    it('answers 401 naming the policy for an unregistered certificate', async () => {
      const answer = await send({ path: '/app/users-only', as: identities.stranger });
      assert.equal(answer.status, 401);
      assert.match(errorOf(answer).message, new RegExp(`${identities.stranger.id}.*not a registered user's \\(user_cert\\)`));
    });

    it('answers 401, not 403, to a member calling a users-only endpoint: no policy of the endpoint knows the caller', async () => {
      const answer = await send({ path: '/app/users-only', as: identities.member });
      assert.equal(answer.status, 401);
      assert.match(errorOf(answer).message, /user_cert/);
    });

    it('answers 403 when a known caller is refused', async () => {
      const answer = await send({ path: '/app/admin', as: identities.user });
      assert.equal(answer.status, 403);
      assert.deepEqual(errorOf(answer), { code: 'Forbidden', message: 'users may not administer' });
    });

    it('tries policies in order and names the caller by certificate fingerprint', async () => {
      assert.deepEqual(json(await send({ path: '/app/whoami', as: identities.user })), { policy: 'user_cert', id: identities.user.id });
      assert.deepEqual(json(await send({ path: '/app/whoami', as: identities.member })), { policy: 'member_cert', id: identities.member.id });
      const neither = await send({ path: '/app/whoami', as: identities.stranger });
      assert.equal(neither.status, 401);
      assert.match(errorOf(neither).message, /\(user_cert\); .*\(member_cert\)/);
    });

    it('any_cert accepts any certificate, but not none', async () => {
      assert.deepEqual(json(await send({ path: '/app/anyone-with-a-cert', as: identities.stranger })), { id: identities.stranger.id });
      assert.equal((await send({ path: '/app/anyone-with-a-cert' })).status, 401);
    });

    it('authenticates before parsing the body: a stranger learns nothing of the schema', async () => {
      const answer = await send({ method: 'POST', path: '/app/record', body: '{not json', as: identities.stranger });
      assert.equal(answer.status, 401);
    });
  });

  describe('input', () => {
    const post = (body: string | undefined, headers?: Record<string, string>) =>
      send({ method: 'POST', path: '/app/record', as: identities.user, ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });

    it('accepts a body that matches the schema', async () => {
      const answer = await post('{"id": 1, "msg": "hi"}');
      assert.equal(answer.status, 200);
      assert.deepEqual(json(answer), { id: 1, msg: 'hi' });
    });

    it('answers 400 MalformedRequest for a body that is not JSON', async () => {
      const answer = await post('{"id": 1,');
      assert.equal(answer.status, 400);
      assert.equal(errorOf(answer).code, 'MalformedRequest');
      assert.match(errorOf(answer).message, /^body is not valid JSON/);
    });

    it('answers 400 MalformedRequest for a body that is not UTF-8', async () => {
      const answer = await send({ method: 'POST', path: '/app/record', as: identities.user, body: Buffer.from([0x7b, 0xff, 0x7d]) });
      assert.deepEqual(errorOf(answer), { code: 'MalformedRequest', message: 'body is not valid UTF-8' });
    });

    it('answers 400 InvalidInput naming the field that does not match', async () => {
      assert.deepEqual(errorOf(await post('{"id": "1", "msg": "hi"}')), { code: 'InvalidInput', message: 'body/id must be integer' });
      assert.deepEqual(errorOf(await post('{"id": 1}')), { code: 'InvalidInput', message: 'body/msg is required' });
      assert.deepEqual(errorOf(await post('{"id": 1, "msg": "hi", "x": 0}')), { code: 'InvalidInput', message: 'body/x is not allowed' });
    });

    it('answers 400 InvalidInput for an empty body', async () => {
      const answer = await post(undefined);
      assert.equal(answer.status, 400);
      assert.deepEqual(errorOf(answer), { code: 'InvalidInput', message: 'body is required' });
    });

    it('answers 400 InvalidInput for a query that does not match', async () => {
      const answer = await send({ path: '/app/record/1?format=wide', as: identities.user });
      assert.deepEqual(errorOf(answer), { code: 'InvalidInput', message: 'query/format must be one of "short", "long"' });
    });

    it('answers 415 for a body said to be something other than JSON, and reads JSON without a content-type', async () => {
      const answer = await post('{"id": 1, "msg": "hi"}', { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(answer.status, 415);
      assert.equal(errorOf(answer).code, 'UnsupportedMediaType');
      assert.equal((await post('{"id": 1, "msg": "hi"}', { 'content-type': 'application/json; charset=utf-8' })).status, 200);
    });

    it('passes the raw body to endpoints that declare no schema', async () => {
      const answer = await send({ method: 'POST', path: '/app/raw', body: Buffer.from([0, 1, 2, 255]), headers: { 'content-type': 'application/cose' } });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/octet-stream');
      assert.deepEqual([...answer.body], [0, 1, 2, 255]);
    });
  });

  describe('the body limit', () => {
    it('answers 413 to a body over the limit, then goes on serving', async () => {
      const answer = await send({ method: 'POST', path: '/app/raw', body: Buffer.alloc(bodyBytesMax * 64, 0x61), headers: { 'content-type': 'text/plain' } });
      assert.equal(answer.status, 413);
      assert.equal(errorOf(answer).code, 'RequestTooLarge');
      const atLimit = await send({ method: 'POST', path: '/app/raw', body: Buffer.alloc(bodyBytesMax, 0x61), headers: { 'content-type': 'text/plain' } });
      assert.equal(atLimit.status, 200);
      assert.equal(atLimit.body.length, bodyBytesMax);
    });

    it('answers 413 at once to a declared content-length over the limit', async () => {
      const answer = await send({ method: 'POST', path: '/app/raw', body: Buffer.alloc(bodyBytesMax + 1), headers: { 'content-length': String(bodyBytesMax + 1) } });
      assert.equal(answer.status, 413);
    });
  });
});
