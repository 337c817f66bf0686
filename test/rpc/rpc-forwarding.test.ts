// Forwarding from a backup to the primary, with two (or three) real Dispatchers, each
// with its own Store and host. The node-to-node channel is replaced by its seam: a
// Forwarder whose send hands the payload to the other node's dispatchForwarded. A write
// on a backup runs on the primary; the caller is authenticated there with its own
// certificate; a connection that forwarded once reads from the primary (session
// consistency); failures answer 503 saying whether the request may have run, at once
// when the primary changes under a waiting request; nothing malformed crashes and
// nothing loops.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { pino } from 'pino';
import { USER_CERTS_MAP } from '../../src/gov/service-maps.js';
import { runTransactionSync } from '../../src/kv/index.js';
import { requestBodyBytesMax } from '../../src/limits.js';
import { ApiError } from '../../src/rpc/api-error.js';
import { memberCertAuth, userCertAuth } from '../../src/rpc/auth-policies.js';
import { Dispatcher, type ReceivedRequest } from '../../src/rpc/dispatcher.js';
import type { Endpoint } from '../../src/rpc/endpoint.js';
import { NotForwardedError, type Forwarder } from '../../src/rpc/forwarding.js';
import { decodeForwardedReply, encodeForwardedRequest } from '../../src/rpc/forwarding-codec.js';
import type { Reply } from '../../src/rpc/reply.js';
import { createIdentities, TestHost, type Identities, type Identity } from './rpc-fixture.js';

const RECORDS = 'public:test.records';

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
      return { body: { msg } };
    },
  },
  {
    method: 'POST', path: '/app/whoami', mode: 'readwrite', auth: [userCertAuth, memberCertAuth], summary: 'Names the caller the handler sees',
    handler: ({ caller }) => ({ body: { policy: caller.policy, id: caller.id } }),
  },
  { method: 'POST', path: '/app/users-only', mode: 'readwrite', auth: [userCertAuth], summary: 'Users', handler: () => ({ body: {} }) },
  {
    method: 'POST', path: '/app/admin', mode: 'readwrite', auth: [userCertAuth], summary: 'Forbidden to users',
    handler: () => {
      throw new ApiError('Forbidden', 'users may not administer');
    },
  },
];

/** A node: its own Store and host, a Dispatcher, and its view of who is primary. */
class TestNode implements Forwarder {
  readonly host: TestHost;
  readonly dispatcher: Dispatcher;
  readonly logLines: string[] = [];
  #primary: string | undefined;
  readonly #primaryWatchers = new Set<() => void>();
  /** Where this node sent forwarded requests, in order. */
  readonly sent: string[] = [];
  /** Replaces the channel, to make it fail; `signal` is the dispatcher withdrawing the request. */
  channel: ((payload: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>) | undefined;

  constructor(identities: Identities, readonly network: Map<string, TestNode>, id: string, options: { forwardTimeoutMs?: number } = {}) {
    this.host = new TestHost(identities);
    const logger = pino({ level: 'info' }, { write: (line: string) => void this.logLines.push(line) });
    this.dispatcher = new Dispatcher({ host: this.host, endpoints, logger, forwarder: this, limits: options });
    network.set(id, this);
  }

  /** Who this node believes is primary; undefined: itself. Setting it tells the watchers, as consensus would. */
  get primary(): string | undefined {
    return this.#primary;
  }

  set primary(id: string | undefined) {
    this.#primary = id;
    for (const watcher of [...this.#primaryWatchers]) watcher();
  }

  get primaryWatchers(): number {
    return this.#primaryWatchers.size;
  }

  primaryId(): string | undefined {
    return this.#primary;
  }

  watchPrimary(listener: () => void): () => void {
    this.#primaryWatchers.add(listener);
    return () => this.#primaryWatchers.delete(listener);
  }

  async send(to: string, payload: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    this.sent.push(to);
    if (this.channel !== undefined) return this.channel(payload, signal);
    const node = this.network.get(to);
    assert.ok(node !== undefined, `no node ${to}`);
    return (await node.dispatcher.dispatchForwarded(payload)).payload;
  }
}

/** A primary and a backup that knows it; the backup refuses writes of its own. */
function cluster(identities: Identities, options: { forwardTimeoutMs?: number } = {}): { primary: TestNode; backup: TestNode } {
  const network = new Map<string, TestNode>();
  const primary = new TestNode(identities, network, 'primary');
  const backup = new TestNode(identities, network, 'backup', options);
  backup.primary = 'primary';
  backup.host.refusal = 'this node is a backup';
  return { primary, backup };
}

function der(identity: Identity): Buffer {
  return new X509Certificate(identity.certificate).raw;
}

function received(method: string, target: string, options: { body?: unknown; as?: Identity; connection?: object } = {}): ReceivedRequest {
  return {
    method,
    target,
    headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
    body: options.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.body)),
    ...(options.as === undefined ? {} : { peerCertificate: der(options.as) }),
    ...(options.connection === undefined ? {} : { connection: options.connection }),
  };
}

function json(reply: Reply): unknown {
  return JSON.parse(reply.body.toString('utf8'));
}

function errorOf(reply: Reply): { code: string; message: string } {
  return (json(reply) as { error: { code: string; message: string } }).error;
}

function writeRecord(host: TestHost, id: number, msg: string): void {
  runTransactionSync(host.store, (tx) => tx.map<number, string>(RECORDS).set(id, msg));
}

async function never(): Promise<Uint8Array> {
  return new Promise(() => {});
}

describe('forwarding from a backup to the primary', () => {
  let identities: Identities;
  before(async () => {
    identities = await createIdentities();
  });

  it('runs a write received by a backup on the primary, and relays its reply with the transaction id', async () => {
    const { primary, backup } = cluster(identities);
    const dispatched = await backup.dispatcher.dispatch(received('POST', '/app/records', { body: { id: 1, msg: 'hello' }, as: identities.user }));
    assert.equal(dispatched.forwardedTo, 'primary');
    assert.equal(dispatched.route, '/app/records');
    const { reply } = dispatched;
    assert.equal(reply.status, 201);
    assert.deepEqual(json(reply), { id: 1 });
    assert.equal(reply.headers['x-app'], 'yes');
    assert.equal(reply.headers['content-type'], 'application/json');
    assert.equal(reply.headers['x-coco-tx-id'], `1.${primary.host.store.version}`);
    assert.equal(primary.host.committedWriteSets.length, 1, 'the primary committed it');
    assert.equal(runTransactionSync(primary.host.store, (tx) => tx.map<number, string>(RECORDS).get(1)).result, 'hello');
    assert.equal(backup.host.committedWriteSets.length, 0, 'the backup wrote nothing itself');
    assert.deepEqual(backup.sent, ['primary']);
  });

  it('answers routing errors and strangers on the backup, without forwarding', async () => {
    const { backup } = cluster(identities);
    assert.equal((await backup.dispatcher.dispatch(received('POST', '/app/nowhere', { as: identities.user }))).reply.status, 404);
    assert.equal((await backup.dispatcher.dispatch(received('DELETE', '/app/records', { as: identities.user }))).reply.status, 405);
    assert.equal((await backup.dispatcher.dispatch(received('POST', '/app/records', { body: { id: 1, msg: 'x' }, as: identities.stranger }))).reply.status, 401);
    assert.deepEqual(backup.sent, []);
  });

  it('runs everything locally on the primary, and reads locally on a backup', async () => {
    const { primary, backup } = cluster(identities);
    writeRecord(backup.host, 5, 'on the backup');
    const write = await primary.dispatcher.dispatch(received('POST', '/app/records', { body: { id: 5, msg: 'x' }, as: identities.user, connection: {} }));
    assert.equal(write.reply.status, 201);
    assert.equal(write.forwardedTo, undefined);
    const read = await backup.dispatcher.dispatch(received('GET', '/app/records/5', { as: identities.user, connection: {} }));
    assert.deepEqual(json(read.reply), { msg: 'on the backup' });
    assert.deepEqual([primary.sent, backup.sent], [[], []]);
  });

  describe('authentication', () => {
    it('authenticates the original caller at the primary, with its own certificate', async () => {
      const { backup } = cluster(identities);
      const asUser = await backup.dispatcher.dispatch(received('POST', '/app/whoami', { as: identities.user }));
      assert.deepEqual(json(asUser.reply), { policy: 'user_cert', id: identities.user.id });
      const asMember = await backup.dispatcher.dispatch(received('POST', '/app/whoami', { as: identities.member }));
      assert.deepEqual(json(asMember.reply), { policy: 'member_cert', id: identities.member.id });
    });

    it('answers a forwarded caller as the primary would answer it directly (401, 403)', async () => {
      const { primary, backup } = cluster(identities);
      for (const [target, as] of [['/app/users-only', identities.member], ['/app/users-only', identities.stranger], ['/app/users-only', undefined], ['/app/admin', identities.user]] as const) {
        const direct = await primary.dispatcher.dispatch(received('POST', target, as === undefined ? {} : { as }));
        const forwarded = await backup.dispatcher.dispatch(received('POST', target, as === undefined ? {} : { as }));
        assert.ok(direct.reply.status === 401 || direct.reply.status === 403);
        assert.equal(forwarded.reply.status, direct.reply.status, target);
        assert.deepEqual(json(forwarded.reply), json(direct.reply));
      }
      assert.equal(errorOf((await backup.dispatcher.dispatch(received('POST', '/app/admin', { as: identities.user }))).reply).code, 'Forbidden');
    });

    it('authenticates again at the primary: a caller the backup accepts but the primary does not gets 401', async () => {
      const { primary, backup } = cluster(identities);
      runTransactionSync(primary.host.store, (tx) => tx.map<string, string>(USER_CERTS_MAP).delete(identities.user.id), { privileged: true });
      const { reply } = await backup.dispatcher.dispatch(received('POST', '/app/records', { body: { id: 1, msg: 'x' }, as: identities.user }));
      assert.deepEqual(backup.sent, ['primary'], 'the backup accepted the caller and forwarded');
      assert.equal(reply.status, 401);
      assert.match(errorOf(reply).message, new RegExp(`${identities.user.id}\\) is not a registered user's`));
      assert.equal(primary.host.committedWriteSets.length, 0);
    });
  });

  describe('session consistency', () => {
    it('reads locally until the connection forwarded, then from the primary; other connections still read locally', async () => {
      const { primary, backup } = cluster(identities);
      writeRecord(backup.host, 7, 'backup copy');
      writeRecord(primary.host, 7, 'primary copy');
      const mine = {};
      const other = {};
      const read = async (id: number, connection?: object) => (await backup.dispatcher.dispatch(received('GET', `/app/records/${id}`, { as: identities.user, ...(connection === undefined ? {} : { connection }) }))).reply;

      assert.deepEqual(json(await read(7, mine)), { msg: 'backup copy' }, 'before any write: local');
      assert.deepEqual(backup.sent, []);

      const write = await backup.dispatcher.dispatch(received('POST', '/app/records', { body: { id: 8, msg: 'my write' }, as: identities.user, connection: mine }));
      assert.equal(write.reply.status, 201);

      const own = await read(8, mine);
      assert.equal(own.status, 200, 'the connection reads its own write');
      assert.deepEqual(json(own), { msg: 'my write' });
      assert.equal(own.headers['x-coco-tx-id'], write.reply.headers['x-coco-tx-id'], 'read at the state of the primary');
      assert.deepEqual(json(await read(7, mine)), { msg: 'primary copy' });
      assert.deepEqual(backup.sent, ['primary', 'primary', 'primary']);

      assert.deepEqual(json(await read(7, other)), { msg: 'backup copy' }, 'another connection reads locally');
      assert.equal((await read(8, other)).status, 404);
      assert.deepEqual(json(await read(7)), { msg: 'backup copy' }, 'so does a request with no connection');
      assert.equal(backup.sent.length, 3);
    });

    it('keeps forwarding a connection whose write failed, since it may have run', async () => {
      const { backup } = cluster(identities);
      const connection = {};
      backup.channel = () => Promise.reject(new Error('connection reset'));
      const write = await backup.dispatcher.dispatch(received('POST', '/app/records', { body: { id: 1, msg: 'x' }, as: identities.user, connection }));
      assert.equal(write.reply.status, 503);
      backup.channel = undefined;
      const read = await backup.dispatcher.dispatch(received('GET', '/app/records/1', { as: identities.user, connection }));
      assert.equal(read.forwardedTo, 'primary');
      assert.deepEqual(backup.sent, ['primary', 'primary']);
    });

    it('reads locally again on a connection once this node is primary itself', async () => {
      const { backup } = cluster(identities);
      const connection = {};
      await backup.dispatcher.dispatch(received('POST', '/app/records', { body: { id: 1, msg: 'x' }, as: identities.user, connection }));
      backup.primary = undefined;
      const read = await backup.dispatcher.dispatch(received('GET', '/app/records/1', { as: identities.user, connection }));
      assert.equal(read.forwardedTo, undefined);
      assert.deepEqual(backup.sent, ['primary']);
    });
  });

  describe('failures', () => {
    const write = (backup: TestNode, connection?: object) => backup.dispatcher.dispatch(received('POST', '/app/records', { body: { id: 1, msg: 'x' }, as: identities.user, ...(connection === undefined ? {} : { connection }) }));

    it('answers 503 "nothing was written" when the request could not be sent', async () => {
      const { primary, backup } = cluster(identities);
      backup.channel = () => Promise.reject(new NotForwardedError('no channel to primary'));
      const { reply } = await write(backup);
      assert.equal(reply.status, 503);
      assert.deepEqual(errorOf(reply), { code: 'ServiceUnavailable', message: 'the request could not be forwarded to the primary (node primary): nothing was written; try again' });
      assert.equal(reply.headers['x-coco-tx-id'], undefined);
      assert.equal(primary.host.committedWriteSets.length, 0);
    });

    it('answers 503 "may have been written" when the channel failed after sending, and logs the cause', async () => {
      const { backup } = cluster(identities);
      backup.channel = () => Promise.reject(new Error('connection reset'));
      const { reply, forwardedTo } = await write(backup);
      assert.equal(forwardedTo, 'primary', 'counted as forwarded');
      assert.equal(reply.status, 503);
      assert.deepEqual(errorOf(reply), { code: 'ServiceUnavailable', message: 'forwarding the request to the primary (node primary) failed: the request may have been written there; check before sending it again' });
      assert.match(backup.logLines.join(''), /connection reset/);
    });

    it('answers 503 "may have been written" when the primary does not reply in time, and ignores a late failure', async () => {
      const { backup } = cluster(identities, { forwardTimeoutMs: 20 });
      let lateFailure = false;
      backup.channel = () => new Promise((_resolve, reject) => setTimeout(() => {
        lateFailure = true;
        reject(new Error('too late'));
      }, 60));
      const { reply } = await write(backup);
      assert.equal(reply.status, 503);
      assert.deepEqual(errorOf(reply), { code: 'ServiceUnavailable', message: 'no reply from the primary (node primary) within 20 ms: the request may have been written there; check before sending it again' });
      await new Promise((resolve) => setTimeout(resolve, 80));
      assert.equal(lateFailure, true, 'the late rejection happened, and was not unhandled');
    });

    it('tells a reader whose forward failed that nothing was written', async () => {
      const { backup } = cluster(identities, { forwardTimeoutMs: 20 });
      const connection = {};
      await write(backup, connection);
      backup.channel = never;
      const { reply } = await backup.dispatcher.dispatch(received('GET', '/app/records/1', { as: identities.user, connection }));
      assert.equal(reply.status, 503);
      assert.equal(errorOf(reply).message, 'no reply from the primary (node primary) within 20 ms: nothing was written (the request only reads); try again');
    });

    describe('when the primary changes while a request waits for it', () => {
      /** A channel whose request reached the primary, which never answers: withdrawing it leaves it possibly run. */
      const sentAndSilent = (_payload: Uint8Array, signal: AbortSignal) => new Promise<Uint8Array>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('withdrawn after it was written')));
      });
      /** A channel still queueing the request (the old primary is unreachable): withdrawing it unsends it. */
      const stillQueued = (_payload: Uint8Array, signal: AbortSignal) => new Promise<Uint8Array>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new NotForwardedError('withdrawn from the queue')));
      });

      /** A backup forwarding to `primary`, and a third node that takes over. */
      function threeNodes(): { backup: TestNode; successor: TestNode } {
        const network = new Map<string, TestNode>();
        new TestNode(identities, network, 'primary');
        const successor = new TestNode(identities, network, 'successor');
        const backup = new TestNode(identities, network, 'backup');
        backup.primary = 'primary';
        backup.host.refusal = 'this node is a backup';
        successor.primary = 'primary';
        return { backup, successor };
      }

      it('answers a write 503 "may have been written" at once, not at the timeout, and sends the next write to the new primary', async () => {
        const { backup, successor } = threeNodes();
        backup.channel = sentAndSilent;
        const started = performance.now();
        const pending = write(backup);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(backup.primaryWatchers, 1, 'the waiting request watches the primary');
        successor.primary = undefined;
        backup.primary = 'successor';
        const { reply, forwardedTo } = await pending;
        assert.ok(performance.now() - started < 1_000, 'well before the 10 s forwarding timeout');
        assert.equal(forwardedTo, 'primary');
        assert.equal(reply.status, 503);
        assert.deepEqual(errorOf(reply), {
          code: 'ServiceUnavailable',
          message: 'node primary stopped being the primary (node successor is primary now) before it answered: the request may have been written there; check before sending it again',
        });
        assert.equal(backup.primaryWatchers, 0, 'and stops watching');
        assert.match(backup.logLines.join(''), /the primary changed while a forwarded request waited for it/);

        backup.channel = undefined;
        const next = await write(backup);
        assert.equal(next.forwardedTo, 'successor');
        assert.equal(next.reply.status, 201);
        assert.equal(successor.host.committedWriteSets.length, 1);
      });

      it('says nothing was written when the request had not left the queue, also when no primary is known yet', async () => {
        const { backup } = threeNodes();
        backup.channel = stillQueued;
        const pending = write(backup);
        await new Promise((resolve) => setImmediate(resolve));
        backup.primary = undefined;
        const { reply } = await pending;
        assert.deepEqual(errorOf(reply), {
          code: 'ServiceUnavailable',
          message: 'node primary stopped being the primary (no primary is known yet) before the request reached it: nothing was written; try again',
        });
      });

      it('tells a reader on a forwarding connection that nothing was written', async () => {
        const { backup } = threeNodes();
        const connection = {};
        await write(backup, connection);
        backup.channel = sentAndSilent;
        const pending = backup.dispatcher.dispatch(received('GET', '/app/records/1', { as: identities.user, connection }));
        await new Promise((resolve) => setImmediate(resolve));
        backup.primary = 'successor';
        assert.equal(errorOf((await pending).reply).message, 'node primary stopped being the primary (node successor is primary now) before it answered: nothing was written (the request only reads); try again');
      });

      it('relays a reply that arrives as the request is withdrawn', async () => {
        const { backup } = threeNodes();
        const primary = backup.network.get('primary') as TestNode;
        backup.channel = (payload, signal) => new Promise((resolve) => {
          signal.addEventListener('abort', () => resolve(primary.dispatcher.dispatchForwarded(payload).then((dispatched) => dispatched.payload)));
        });
        const pending = write(backup);
        await new Promise((resolve) => setImmediate(resolve));
        backup.primary = 'successor';
        assert.equal((await pending).reply.status, 201);
      });

      it('ignores a change that leaves the same primary', async () => {
        const { backup } = threeNodes();
        const primary = backup.network.get('primary') as TestNode;
        let answer: (() => void) | undefined;
        backup.channel = (payload) => new Promise((resolve) => {
          answer = () => resolve(primary.dispatcher.dispatchForwarded(payload).then((dispatched) => dispatched.payload));
        });
        const pending = write(backup);
        await new Promise((resolve) => setImmediate(resolve));
        backup.primary = 'primary';
        answer?.();
        assert.equal((await pending).reply.status, 201);
      });
    });

    it('answers 503 when the reply of the primary cannot be read', async () => {
      const { backup } = cluster(identities);
      backup.channel = () => Promise.resolve(Buffer.from('not CBOR at all'));
      const { reply } = await write(backup);
      assert.equal(reply.status, 503);
      assert.equal(errorOf(reply).message, 'the reply of the primary (node primary) cannot be read: the request may have been written there; check before sending it again');
    });
  });

  describe('on the primary', () => {
    it('answers a malformed forwarded payload with an error reply, and goes on serving', async () => {
      const { primary } = cluster(identities);
      for (const payload of [Buffer.from('garbage'), Buffer.alloc(0), Buffer.from([0x82, 0x01, 0x02])]) {
        const dispatched = await primary.dispatcher.dispatchForwarded(payload);
        assert.equal(dispatched.method, '');
        assert.equal(dispatched.route, 'unmatched');
        const reply = decodeForwardedReply(dispatched.payload);
        assert.equal(reply.status, 400);
        assert.equal(errorOf(reply).code, 'MalformedRequest');
        assert.match(errorOf(reply).message, /^the forwarded request cannot be read: /);
      }
      assert.match(primary.logLines.join(''), /a forwarded request cannot be read/);
      const fine = await primary.dispatcher.dispatchForwarded(encodeForwardedRequest(received('POST', '/app/whoami', { as: identities.user })));
      assert.equal(decodeForwardedReply(fine.payload).status, 200);
    });

    it('answers 413 to a forwarded body over its own limit', async () => {
      const { primary } = cluster(identities);
      const dispatched = await primary.dispatcher.dispatchForwarded(encodeForwardedRequest({ ...received('POST', '/app/records', { as: identities.user }), body: Buffer.alloc(requestBodyBytesMax + 1, 0x20) }));
      assert.equal(decodeForwardedReply(dispatched.payload).status, 413);
      assert.equal(primary.host.committedWriteSets.length, 0);
    });

    it('answers 503 to a forwarded request reaching a node that is not primary, and never forwards it again', async () => {
      const network = new Map<string, TestNode>();
      const first = new TestNode(identities, network, 'first');
      const second = new TestNode(identities, network, 'second');
      // Each believes the other is primary: a loop, were forwarded requests forwarded again.
      first.primary = 'second';
      second.primary = 'first';
      for (const read of [false, true]) {
        const connection = {};
        if (read) await first.dispatcher.dispatch(received('POST', '/app/whoami', { as: identities.user, connection }));
        const request = read ? received('GET', '/app/records/1', { as: identities.user, connection }) : received('POST', '/app/records', { body: { id: 1, msg: 'x' }, as: identities.user, connection });
        const { reply, forwardedTo } = await first.dispatcher.dispatch(request);
        assert.equal(forwardedTo, 'second');
        assert.equal(reply.status, 503);
        assert.deepEqual(errorOf(reply), { code: 'ServiceUnavailable', message: 'this node is not the primary (node first is, as far as it knows): the forwarded request did not run; try again' });
      }
      assert.deepEqual(second.sent, [], 'the second node forwarded nothing');
      assert.equal(second.host.committedWriteSets.length + first.host.committedWriteSets.length, 0);
    });
  });
});
