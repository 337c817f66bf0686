// Handlers in transactions, over real TLS: a write commits and its id comes back in
// x-coco-tx-id; a read carries the id of the state it read; a failing handler writes
// nothing; a read-only handler cannot write; conflicts re-run the handler.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ApiError } from '../../src/rpc/api-error.js';
import { noAuth, userCertAuth } from '../../src/rpc/auth-policies.js';
import type { Endpoint } from '../../src/rpc/endpoint.js';
import { ask, createIdentities, errorOf, json, startServer, type Identities, type Running } from './rpc-fixture.js';

const RECORDS = 'public:test.records';
const COUNTER = 'public:test.counter';
const HOT = 'public:test.hot';

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('RPC handlers in transactions', () => {
  let identities: Identities;
  let running: Running;
  const logLines: string[] = [];
  let incrementRuns = 0;
  let incrementGate = deferred();

  const endpoints: Endpoint[] = [
    {
      method: 'POST', path: '/app/records', mode: 'readwrite', auth: [userCertAuth], summary: 'Writes a record',
      requestSchema: { type: 'object', required: ['id', 'msg'], properties: { id: { type: 'integer' }, msg: { type: 'string' } } },
      handler: ({ tx, body }) => {
        const { id, msg } = body as { id: number; msg: string };
        tx.map<number, string>(RECORDS).set(id, msg);
        return { status: 201, body: { id }, headers: { 'x-app': 'yes' } };
      },
    },
    {
      method: 'GET', path: '/app/records/:id', mode: 'readonly', auth: [userCertAuth], summary: 'Reads a record',
      handler: ({ tx, params }) => {
        const msg = tx.map<number, string>(RECORDS).get(Number(params.id));
        if (msg === undefined) throw new ApiError('ResourceNotFound', `no record ${params.id}`);
        return { body: msg, contentType: 'text/plain; charset=utf-8' };
      },
    },
    {
      method: 'POST', path: '/app/throws', mode: 'readwrite', auth: [noAuth], summary: 'Writes, then fails',
      handler: ({ tx }) => {
        tx.map<number, string>(RECORDS).set(666, 'must not stay');
        throw new Error('boom: a detail for the log only');
      },
    },
    {
      method: 'POST', path: '/app/refuses', mode: 'readwrite', auth: [noAuth], summary: 'Writes, then refuses',
      handler: ({ tx }) => {
        tx.map<number, string>(RECORDS).set(667, 'must not stay');
        throw new ApiError('InvalidInput', 'that record may not be written');
      },
    },
    {
      method: 'GET', path: '/app/sneaky', mode: 'readonly', auth: [noAuth], summary: 'A read-only endpoint that writes',
      handler: ({ tx }) => {
        tx.map<number, string>(RECORDS).set(668, 'must not stay');
        return { body: {} };
      },
    },
    {
      method: 'POST', path: '/app/commits-itself', mode: 'readwrite', auth: [noAuth], summary: 'Commits its own transaction',
      handler: ({ tx }) => {
        tx.map<number, string>(RECORDS).set(669, 'must not stay');
        tx.commit();
        return { body: {} };
      },
    },
    {
      method: 'POST', path: '/app/unsendable', mode: 'readwrite', auth: [noAuth], summary: 'Writes, then returns what JSON cannot hold',
      handler: ({ tx }) => {
        tx.map<number, string>(RECORDS).set(670, 'must not stay');
        return { body: { big: 1n } };
      },
    },
    {
      method: 'POST', path: '/app/increment', mode: 'readwrite', auth: [noAuth], summary: 'Read, wait, write',
      handler: async ({ tx }) => {
        incrementRuns += 1;
        const counter = tx.map<string, number>(COUNTER);
        const value = counter.get('n') ?? 0;
        await incrementGate.promise;
        counter.set('n', value + 1);
        return { body: { n: value + 1 } };
      },
    },
    {
      method: 'POST', path: '/app/contended', mode: 'readwrite', auth: [noAuth], summary: 'Always loses its conflict',
      handler: ({ tx }) => {
        tx.map<string, number>(HOT).get('k');
        tx.map<string, number>(HOT).set('k', 0);
        // Someone else writes the key before every commit.
        const other = running.host.store.begin();
        other.map<string, number>(HOT).set('k', other.readVersion);
        other.commit();
        return { body: {} };
      },
    },
    {
      method: 'POST', path: '/app/reads-only', mode: 'readwrite', auth: [noAuth], summary: 'A read-write endpoint that happens not to write',
      handler: ({ tx }) => ({ body: { n: tx.map<string, number>(COUNTER).get('n') ?? 0 } }),
    },
  ];

  before(async () => {
    identities = await createIdentities();
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    running = await startServer(identities, endpoints, { logger });
  });
  after(() => running.server.close());
  beforeEach(() => {
    logLines.length = 0;
    running.host.refusal = undefined;
  });

  const send = (request: Parameters<typeof ask>[2]) => ask(running.port, identities, request);

  /** Asserts that `request` fails as expected and leaves the store and ledger as they were. */
  async function assertNothingWritten(request: Parameters<typeof ask>[2], status: number, code: string): Promise<{ code: string; message: string }> {
    const version = running.host.store.version;
    const committed = running.host.committedWriteSets.length;
    const answer = await send(request);
    assert.equal(answer.status, status);
    assert.equal(answer.headers['x-coco-tx-id'], undefined);
    assert.equal(errorOf(answer).code, code);
    assert.equal(running.host.store.version, version, 'the store did not move');
    assert.equal(running.host.committedWriteSets.length, committed, 'the host heard of no commit');
    return errorOf(answer);
  }

  it('commits a read-write handler and answers with its transaction id', async () => {
    const before = running.host.store.version;
    const answer = await send({ method: 'POST', path: '/app/records', body: '{"id": 1, "msg": "hello"}', as: identities.user });
    assert.equal(answer.status, 201);
    assert.deepEqual(json(answer), { id: 1 });
    assert.equal(answer.headers['x-app'], 'yes');
    assert.equal(running.host.store.version, before + 1);
    assert.equal(answer.headers['x-coco-tx-id'], `1.${before + 1}`);
    assert.equal(running.host.committedWriteSets.at(-1)?.version, before + 1, 'the host heard of the commit');
  });

  it('answers a read with the id of the state it read', async () => {
    await send({ method: 'POST', path: '/app/records', body: '{"id": 2, "msg": "read me"}', as: identities.user });
    const version = running.host.store.version;
    const answer = await send({ path: '/app/records/2', as: identities.user });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(answer.body.toString(), 'read me');
    assert.equal(answer.headers['x-coco-tx-id'], `1.${version}`);
    assert.equal(running.host.store.version, version, 'a read commits nothing');
  });

  it('answers a handler ApiError with its code, writing nothing', async () => {
    assert.deepEqual(await assertNothingWritten({ path: '/app/records/404', as: identities.user }, 404, 'ResourceNotFound'), { code: 'ResourceNotFound', message: 'no record 404' });
    assert.deepEqual(await assertNothingWritten({ method: 'POST', path: '/app/refuses' }, 400, 'InvalidInput'), { code: 'InvalidInput', message: 'that record may not be written' });
  });

  it('answers 500 to a throwing handler, writes nothing, and logs the error but not the body', async () => {
    const error = await assertNothingWritten({ method: 'POST', path: '/app/throws', body: '{"secret": "private data"}' }, 500, 'InternalError');
    assert.doesNotMatch(error.message, /boom|at /, 'no detail or stack trace reaches the client');
    const logged = logLines.join('');
    assert.match(logged, /boom: a detail for the log only/);
    assert.match(logged, /"route":"\/app\/throws"/);
    assert.doesNotMatch(logged, /private data/);
  });

  it('answers 500 to a read-only handler that writes, and to a handler that commits itself', async () => {
    await assertNothingWritten({ path: '/app/sneaky' }, 500, 'InternalError');
    assert.match(logLines.join(''), /read-only endpoint tried to set in map public:test.records/);
    await assertNothingWritten({ method: 'POST', path: '/app/commits-itself' }, 500, 'InternalError');
    assert.match(logLines.join(''), /may not commit its transaction/);
  });

  it('aborts when the response cannot be rendered, rather than answering 500 after a commit', async () => {
    await assertNothingWritten({ method: 'POST', path: '/app/unsendable' }, 500, 'InternalError');
  });

  it('answers 503 while the host refuses writes, but still serves reads', async () => {
    running.host.refusal = 'the node is shutting down';
    const error = await assertNothingWritten({ method: 'POST', path: '/app/records', body: '{"id": 3, "msg": "x"}', as: identities.user }, 503, 'ServiceUnavailable');
    assert.match(error.message, /shutting down/);
    assert.equal((await send({ path: '/app/records/1', as: identities.user })).status, 200);
  });

  it('re-runs a handler whose transaction conflicted', async () => {
    incrementRuns = 0;
    incrementGate = deferred();
    const first = send({ method: 'POST', path: '/app/increment' });
    const second = send({ method: 'POST', path: '/app/increment' });
    // Both have read n before either writes it.
    await until(() => incrementRuns === 2);
    incrementGate.resolve();
    const answers = await Promise.all([first, second]);
    assert.deepEqual(answers.map((answer) => answer.status), [200, 200]);
    assert.deepEqual(answers.map((answer) => (json(answer) as { n: number }).n).sort(), [1, 2]);
    assert.equal(incrementRuns, 3, 'the loser ran again');
    const ids = answers.map((answer) => answer.headers['x-coco-tx-id']);
    assert.notEqual(ids[0], ids[1]);
  });

  it('answers 503 TransactionConflict when every attempt conflicts', async () => {
    const answer = await send({ method: 'POST', path: '/app/contended' });
    assert.equal(answer.status, 503);
    assert.equal(errorOf(answer).code, 'TransactionConflict');
  });

  it('answers a read-write endpoint that wrote nothing with the id it read at', async () => {
    const version = running.host.store.version;
    const answer = await send({ method: 'POST', path: '/app/reads-only' });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-coco-tx-id'], `1.${version}`);
    assert.equal(running.host.store.version, version);
  });
});
