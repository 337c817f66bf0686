// Three nodes of one service talking over the channel: one-way messages in order,
// requests both ways, remote failures surfacing as ChannelError, per-peer state, and
// moving a peer to a new address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChannelError } from '../../../src/node/channel/node-channel.js';
import { bytes, createNode, createService, openChannel, peerStatus, waitFor, type TestChannel } from './channel-fixture.js';

describe('the node-to-node channel between trusted nodes', () => {
  let a: TestChannel;
  let b: TestChannel;
  let c: TestChannel;

  before(async () => {
    const service = await createService();
    const [nodeA, nodeB, nodeC] = await Promise.all([createNode(service), createNode(service), createNode(service)]);
    a = await openChannel(nodeA);
    b = await openChannel(nodeB, {
      onRequest: async (from, payload) => {
        const text = Buffer.from(payload).toString();
        b.requests.push({ from, text });
        if (text === 'fail') throw new Error('no such thing: fail');
        return Buffer.from(`re: ${text}`);
      },
    });
    c = await openChannel(nodeC);
    for (const from of [a, b, c]) {
      for (const to of [a, b, c]) if (from !== to) from.channel.setPeer(to.node.nodeId, to.channel.address);
    }
  });

  after(async () => {
    await Promise.all([a.channel.close(), b.channel.close(), c.channel.close()]);
  });

  it('binds a free port when given port 0', () => {
    assert.match(a.channel.address, /^127\.0\.0\.1:[1-9][0-9]*$/);
    assert.notEqual(a.channel.address, b.channel.address);
  });

  it('delivers every message, in order, naming the sender', async () => {
    const count = 2_000;
    for (let i = 0; i < count; i += 1) {
      assert.equal(a.channel.send(b.node.nodeId, bytes(`a${i}`)), true);
      assert.equal(c.channel.send(b.node.nodeId, bytes(`c${i}`)), true);
      assert.equal(b.channel.send(a.node.nodeId, bytes(`b${i}`)), true);
    }
    await waitFor('all messages', () => b.messages.length === 2 * count && a.messages.length === count);
    const fromA = b.messages.filter((message) => message.from === a.node.nodeId).map((message) => message.text);
    const fromC = b.messages.filter((message) => message.from === c.node.nodeId).map((message) => message.text);
    assert.deepEqual(fromA, Array.from({ length: count }, (_, i) => `a${i}`));
    assert.deepEqual(fromC, Array.from({ length: count }, (_, i) => `c${i}`));
    assert.deepEqual(a.messages.map((message) => message.text), Array.from({ length: count }, (_, i) => `b${i}`));
    assert.ok(a.messages.every((message) => message.from === b.node.nodeId));
  });

  it('carries an empty message and a large one intact', async () => {
    const large = Buffer.alloc(3 * 1024 * 1024, 7);
    const before = c.messages.length;
    assert.equal(a.channel.send(c.node.nodeId, new Uint8Array(0)), true);
    assert.equal(a.channel.send(c.node.nodeId, large), true);
    await waitFor('both messages', () => c.messages.length === before + 2);
    assert.equal(c.messages[before]?.text, '');
    assert.equal(c.messages[before + 1]?.text, large.toString());
  });

  it('answers requests both ways, concurrently', async () => {
    const answers = await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => a.channel.request(b.node.nodeId, bytes(`q${i}`), 2_000)),
      b.channel.request(a.node.nodeId, bytes('from b'), 2_000),
      c.channel.request(a.node.nodeId, bytes('from c'), 2_000),
    ]);
    assert.deepEqual(answers.map((answer) => Buffer.from(answer).toString()), [...Array.from({ length: 50 }, (_, i) => `re: q${i}`), 're: from b', 're: from c']);
    assert.ok(a.requests.some((request) => request.from === b.node.nodeId && request.text === 'from b'));
    assert.ok(a.requests.some((request) => request.from === c.node.nodeId && request.text === 'from c'));
  });

  it('rejects with ChannelError carrying the message when the peer fails the request', async () => {
    await assert.rejects(a.channel.request(b.node.nodeId, bytes('fail'), 2_000), (error: unknown) => {
      assert.ok(error instanceof ChannelError);
      assert.match(error.message, /no such thing: fail/);
      return true;
    });
    // The connection survives a failed request.
    assert.equal(Buffer.from(await a.channel.request(b.node.nodeId, bytes('after'), 2_000)).toString(), 're: after');
  });

  it('refuses to open on an address in use, and a peer address that is not "host:port"', async () => {
    await assert.rejects(openChannel(a.node, { listenAddress: b.channel.address }), /EADDRINUSE/);
    for (const address of ['127.0.0.1', '127.0.0.1:', ':80', '127.0.0.1:65536', '127.0.0.1:8x']) {
      assert.throws(() => a.channel.setPeer('f'.repeat(64), address), /not a "host:port" address/);
    }
    assert.equal(a.channel.peers().length, 2);
  });

  it('refuses sends and requests to a node that is not a peer', async () => {
    assert.equal(a.channel.send('f'.repeat(64), bytes('x')), false);
    await assert.rejects(a.channel.request('f'.repeat(64), bytes('x'), 1_000), ChannelError);
  });

  it('reports each peer as connected with an empty queue once traffic has flowed', async () => {
    await waitFor('a connected to b and c', () => a.channel.peers().every((peer) => peer.connected && peer.queuedFrames === 0));
    const peers = [...a.channel.peers()].sort((x, y) => x.nodeId.localeCompare(y.nodeId));
    const expected = [b, c].map((to) => ({
      nodeId: to.node.nodeId, address: to.channel.address, connected: true, queuedFrames: 0, queuedBytes: 0, droppedFrames: 0, reconnectAttempts: 0,
    })).sort((x, y) => x.nodeId.localeCompare(y.nodeId));
    assert.deepEqual(peers, expected);
  });

  it('follows a peer to its new address', async () => {
    const oldAddress = c.channel.address;
    await c.channel.close();
    c = await openChannel(c.node);
    assert.notEqual(c.channel.address, oldAddress);
    a.channel.setPeer(c.node.nodeId, c.channel.address);
    assert.equal(a.channel.send(c.node.nodeId, bytes('moved')), true);
    await waitFor('the message at the new address', () => c.messages.some((message) => message.text === 'moved'));
    assert.equal(peerStatus(a.channel, c.node.nodeId).address, c.channel.address);
  });

  it('forgets a removed peer', async () => {
    a.channel.removePeer(c.node.nodeId);
    assert.equal(a.channel.peers().some((peer) => peer.nodeId === c.node.nodeId), false);
    assert.equal(a.channel.send(c.node.nodeId, bytes('gone')), false);
  });
});
