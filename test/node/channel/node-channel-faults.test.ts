// The channel when things go wrong: peers that are down, slow, silent, leaving, or
// sending garbage. Each fault stays with its peer: queues are bounded per peer, other
// peers carry on, requests fail within their timeout, and close() takes bounded time.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import { ChannelError } from '../../../src/node/channel/node-channel.js';
import { encodeFrame } from '../../../src/node/channel/frame.js';
import type { ServiceIdentity } from '../../../src/node/service-identity.js';
import { bytes, createNode, createService, openChannel, peerStatus, rawClient, rawServer, waitFor, type TestChannel, type TestNode } from './channel-fixture.js';

function numbered(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

function texts(channel: TestChannel, from: string): string[] {
  return channel.messages.filter((message) => message.from === from).map((message) => message.text);
}

describe('the node-to-node channel under faults', () => {
  let service: ServiceIdentity;
  let nodes: TestNode[];
  const open: TestChannel[] = [];

  before(async () => {
    service = await createService();
    nodes = await Promise.all(Array.from({ length: 3 }, () => createNode(service)));
  });

  after(async () => {
    await Promise.all(open.map((opened) => opened.channel.close()));
  });

  async function start(node: TestNode, options: Parameters<typeof openChannel>[1] = {}): Promise<TestChannel> {
    const opened = await openChannel(node, options);
    open.push(opened);
    return opened;
  }

  function node(index: number): TestNode {
    return nodes[index] as TestNode;
  }

  it('queues for a peer that is down up to the limit, then delivers once it is up, while other peers carry on', async () => {
    const sender = await start(node(0), { limits: { backoffMsMin: 10, backoffMsMax: 40, queueFramesMax: 100 } });
    const other = await start(node(2));
    const downAt = await start(node(1));
    const address = downAt.channel.address;
    await downAt.channel.close();

    sender.channel.setPeer(node(1).nodeId, address);
    sender.channel.setPeer(node(2).nodeId, other.channel.address);
    for (const text of numbered('m', 100)) assert.equal(sender.channel.send(node(1).nodeId, bytes(text)), true);
    assert.equal(sender.channel.send(node(1).nodeId, bytes('one too many')), false);
    assert.equal(sender.channel.send(node(1).nodeId, bytes('and another')), false);
    for (const text of numbered('o', 50)) assert.equal(sender.channel.send(node(2).nodeId, bytes(text)), true);

    await waitFor('the other peer to hear everything', () => other.messages.length === 50);
    assert.deepEqual(texts(other, node(0).nodeId), numbered('o', 50));
    await waitFor('a few failed dials', () => peerStatus(sender.channel, node(1).nodeId).reconnectAttempts >= 2);
    const waiting = peerStatus(sender.channel, node(1).nodeId);
    assert.equal(waiting.connected, false);
    assert.equal(waiting.queuedFrames, 100);
    assert.equal(waiting.queuedBytes, numbered('m', 100).reduce((sum, text) => sum + 5 + text.length, 0));
    assert.equal(waiting.droppedFrames, 2);

    const back = await start(node(1), { listenAddress: address });
    await waitFor('the queue delivered', () => back.messages.length === 100);
    assert.deepEqual(texts(back, node(0).nodeId), numbered('m', 100));
    const after = peerStatus(sender.channel, node(1).nodeId);
    assert.deepEqual([after.connected, after.queuedFrames, after.queuedBytes, after.droppedFrames, after.reconnectAttempts], [true, 0, 0, 2, 0]);
  });

  it('bounds a queue by bytes too, and refuses a frame over the size limit', async () => {
    const sender = await start(node(0), { limits: { frameBytesMax: 1_024, queueBytesMax: 4_096 } });
    // Nobody listens on a port just released.
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    probe.close();
    sender.channel.setPeer(node(1).nodeId, `127.0.0.1:${port}`);
    const payload = Buffer.alloc(100);
    // 5 bytes of frame header each: 39 frames take 4,095 bytes.
    for (let i = 0; i < 39; i += 1) assert.equal(sender.channel.send(node(1).nodeId, payload), true);
    assert.equal(sender.channel.send(node(1).nodeId, payload), false);
    assert.equal(sender.channel.send(node(1).nodeId, Buffer.alloc(1_024)), false, 'over frameBytesMax');
    await assert.rejects(sender.channel.request(node(1).nodeId, Buffer.alloc(1_024), 1_000), ChannelError);
    const status = peerStatus(sender.channel, node(1).nodeId);
    assert.deepEqual([status.queuedFrames, status.queuedBytes, status.droppedFrames], [39, 4_095, 3]);
  });

  it('keeps a slow peer from holding up the others: its queue fills, theirs flow', async () => {
    const sender = await start(node(0), { limits: { frameBytesMax: 1024 * 1024, queueBytesMax: 4 * 1024 * 1024 } });
    const other = await start(node(2));
    // A trusted peer that accepts the connection and then never reads from it.
    const stalledSockets: TLSSocket[] = [];
    const stalled = await rawServer(node(1), (socket) => {
      stalledSockets.push(socket);
      socket.write(encodeFrame({ kind: 'accept' }));
      socket.pause();
    });
    try {
      sender.channel.setPeer(node(1).nodeId, stalled.address);
      sender.channel.setPeer(node(2).nodeId, other.channel.address);
      await waitFor('the stalled peer connected', () => peerStatus(sender.channel, node(1).nodeId).connected);
      const chunk = Buffer.alloc(64 * 1024);
      let refused = 0;
      const toOther: string[] = [];
      // Sent over many turns of the event loop, so the queue drains into the socket
      // until the socket pushes back.
      for (let turn = 0; turn < 64 && refused === 0; turn += 1) {
        for (let i = 0; i < 16; i += 1) if (!sender.channel.send(node(1).nodeId, chunk)) refused += 1;
        toOther.push(`o${turn}`);
        assert.equal(sender.channel.send(node(2).nodeId, bytes(`o${turn}`)), true);
        await sleep(1);
      }
      assert.ok(refused > 0, 'the stalled peer\'s queue filled');
      const status = peerStatus(sender.channel, node(1).nodeId);
      assert.ok(status.queuedBytes > 3 * 1024 * 1024, `queued ${status.queuedBytes} bytes`);
      assert.equal(status.droppedFrames, refused);
      await waitFor('the other peer to hear every turn', () => other.messages.length === toOther.length);
      assert.deepEqual(texts(other, node(0).nodeId), toOther);
    } finally {
      for (const socket of stalledSockets) socket.destroy();
      stalled.server.close();
    }
  });

  it('rejects a request whose peer goes away before answering, without waiting for the timeout', async () => {
    const sender = await start(node(0));
    const receiver = await openChannel(node(1), { onRequest: () => new Promise(() => {}) });
    sender.channel.setPeer(node(1).nodeId, receiver.channel.address);
    const started = Date.now();
    const answer = assert.rejects(sender.channel.request(node(1).nodeId, bytes('hello?'), 5_000), (error: unknown) => error instanceof ChannelError && /closed before the answer/.test(error.message));
    await waitFor('the request to arrive', () => peerStatus(sender.channel, node(1).nodeId).connected);
    await receiver.channel.close();
    await answer;
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  });

  it('rejects a request that is never answered, or whose peer is unreachable, at its timeout', async () => {
    const sender = await start(node(0));
    const receiver = await start(node(1), { onRequest: () => new Promise(() => {}) });
    sender.channel.setPeer(node(1).nodeId, receiver.channel.address);
    sender.channel.setPeer(node(2).nodeId, '127.0.0.1:1');
    const started = Date.now();
    const results = await Promise.allSettled([
      sender.channel.request(node(1).nodeId, bytes('silence'), 150),
      sender.channel.request(node(2).nodeId, bytes('nobody'), 150),
    ]);
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs >= 140 && elapsedMs < 1_000, `took ${elapsedMs} ms`);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok(result.reason instanceof ChannelError);
      assert.match(result.reason.message, /timed out after 150 ms/);
    }
    assert.equal(peerStatus(sender.channel, node(2).nodeId).queuedFrames, 0, 'a timed-out request leaves the queue');
  });

  it('withdraws a request on abort: one still queued leaves the queue unsent, one written may have run', async () => {
    const sender = await start(node(0));
    let arrived = 0;
    const receiver = await start(node(1), { onRequest: () => {
      arrived += 1;
      return new Promise(() => {});
    } });
    sender.channel.setPeer(node(1).nodeId, receiver.channel.address);
    sender.channel.setPeer(node(2).nodeId, '127.0.0.1:1');
    const isChannelError = (sent: boolean) => (error: unknown) => error instanceof ChannelError && error.sent === sent && /was withdrawn/.test(error.message);

    const queued = new AbortController();
    const unsent = sender.channel.request(node(2).nodeId, bytes('never leaves'), 5_000, queued.signal);
    assert.equal(peerStatus(sender.channel, node(2).nodeId).queuedFrames, 1);
    queued.abort();
    await assert.rejects(unsent, isChannelError(false));
    assert.equal(peerStatus(sender.channel, node(2).nodeId).queuedFrames, 0, 'a withdrawn request leaves the queue');

    const written = new AbortController();
    const maybeRun = sender.channel.request(node(1).nodeId, bytes('reaches the peer'), 5_000, written.signal);
    await waitFor('the request to arrive', () => arrived === 1);
    const started = Date.now();
    written.abort();
    await assert.rejects(maybeRun, isChannelError(true));
    assert.ok(Date.now() - started < 1_000, 'at once, not at the timeout');

    const early = new AbortController();
    early.abort();
    await assert.rejects(sender.channel.request(node(1).nodeId, bytes('too late'), 5_000, early.signal), isChannelError(false));
    const answered = await sender.channel.request(node(1).nodeId, bytes('still fine'), 200).catch((error: unknown) => error);
    assert.ok(answered instanceof ChannelError && /timed out/.test(answered.message), 'the link goes on working');
  });

  it('refuses requests past the in-flight limit at once', async () => {
    const sender = await start(node(0), { limits: { requestsInFlightMax: 2 } });
    const receiver = await start(node(1), { onRequest: () => new Promise(() => {}) });
    sender.channel.setPeer(node(1).nodeId, receiver.channel.address);
    const pending = [1, 2].map((i) => sender.channel.request(node(1).nodeId, bytes(`${i}`), 100));
    await assert.rejects(sender.channel.request(node(1).nodeId, bytes('3'), 100), /2 requests to node .* are unanswered already/);
    const settled = await Promise.allSettled(pending);
    assert.deepEqual(settled.map((result) => result.status), ['rejected', 'rejected']);
  });

  for (const [name, garbage] of [
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n')],
    ['a frame claiming 4 GiB', Buffer.from([0xff, 0xff, 0xff, 0xff, 1])],
    ['an unknown frame kind', Buffer.from([0, 0, 0, 1, 99])],
    ['an empty frame', Buffer.from([0, 0, 0, 0])],
    ['a request without its id', Buffer.from([0, 0, 0, 2, 2, 0])],
    ['a response, which only the acceptor sends', encodeFrame({ kind: 'response', requestId: 1, payload: bytes('?') })],
  ] as const) {
    it(`drops the connection of an authenticated peer that sends ${name}, and goes on serving`, async () => {
      const receiver = await start(node(1));
      const sender = await start(node(0));
      sender.channel.setPeer(node(1).nodeId, receiver.channel.address);
      assert.equal(sender.channel.send(node(1).nodeId, bytes('before')), true);
      await waitFor('the first message', () => receiver.messages.length === 1);

      const raw = await rawClient(node(2), receiver.channel.address);
      raw.on('error', () => {});
      raw.write(Buffer.concat([encodeFrame({ kind: 'message', payload: bytes('valid first') }), garbage]));
      await once(raw, 'close');

      assert.equal(sender.channel.send(node(1).nodeId, bytes('after')), true);
      assert.equal(Buffer.from(await sender.channel.request(node(1).nodeId, bytes('still there?'), 1_000)).toString(), 're: still there?');
      await waitFor('the later message', () => receiver.messages.length === 3);
      assert.deepEqual(receiver.messages, [
        { from: node(0).nodeId, text: 'before' },
        { from: node(2).nodeId, text: 'valid first' },
        { from: node(0).nodeId, text: 'after' },
      ]);
      assert.equal(peerStatus(sender.channel, node(1).nodeId).reconnectAttempts, 0, 'the good peer\'s connection was untouched');
    });
  }

  it('redials a peer that answers with garbage instead of accepting, keeping the queue', async () => {
    const babbler = await rawServer(node(1), (socket) => socket.end(Buffer.from([0, 0, 0, 1, 42])));
    const sender = await start(node(0));
    try {
      sender.channel.setPeer(node(1).nodeId, babbler.address);
      assert.equal(sender.channel.send(node(1).nodeId, bytes('queued')), true);
      await waitFor('redials', () => peerStatus(sender.channel, node(1).nodeId).reconnectAttempts >= 3);
      const status = peerStatus(sender.channel, node(1).nodeId);
      assert.deepEqual([status.connected, status.queuedFrames], [false, 1]);
    } finally {
      babbler.server.close();
    }
  });

  it('closes in bounded time, rejecting pending requests, even with a connection stuck in its handshake', async () => {
    const closing = await openChannel(node(0), { limits: { connectTimeoutMs: 10_000 } });
    const silent = await start(node(1), { onRequest: () => new Promise(() => {}) });
    const peer = await start(node(2));
    closing.channel.setPeer(node(1).nodeId, silent.channel.address);
    closing.channel.setPeer(node(2).nodeId, '127.0.0.1:1');
    peer.channel.setPeer(node(0).nodeId, closing.channel.address);
    const rejectedOnClose = (error: unknown) => error instanceof ChannelError && /channel is closed/.test(error.message);
    const unanswered = assert.rejects(closing.channel.request(node(1).nodeId, bytes('hello?'), 10_000), rejectedOnClose);
    const unsent = assert.rejects(closing.channel.request(node(2).nodeId, bytes('anyone?'), 10_000), rejectedOnClose);
    assert.equal(peer.channel.send(node(0).nodeId, bytes('hi')), true);
    await waitFor('connections up', () => closing.messages.length === 1 && peerStatus(closing.channel, node(1).nodeId).connected);
    // A client that connects and never starts TLS.
    const stuck = net.connect(Number(closing.channel.address.split(':')[1]), '127.0.0.1');
    stuck.on('error', () => {});
    await once(stuck, 'connect');

    const started = Date.now();
    await closing.channel.close();
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs < 1_500, `close took ${elapsedMs} ms`);
    await Promise.all([unanswered, unsent]);
    assert.equal(closing.channel.send(node(1).nodeId, bytes('late')), false);
    await assert.rejects(closing.channel.request(node(1).nodeId, bytes('late'), 100), ChannelError);
    assert.deepEqual(closing.channel.peers(), []);
    stuck.destroy();
  });
});
