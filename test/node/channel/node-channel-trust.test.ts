// Who may talk over the channel: only nodes whose certificate the service key issued,
// and only while isTrustedPeer says so, in both directions; and a dialler talks only to
// the node id it meant to reach. Each refusal is checked against a trusted node that
// gets through at the same time, so "nothing arrived" is not just "too early".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServiceIdentity } from '../../../src/node/service-identity.js';
import { bytes, createNode, createSelfSignedNode, createService, openChannel, peerStatus, waitFor, warningsLogger, type TestChannel, type TestNode } from './channel-fixture.js';

describe('the node-to-node channel refusing untrusted peers', () => {
  let service: ServiceIdentity;
  let friend: TestNode;
  const open: TestChannel[] = [];

  before(async () => {
    service = await createService();
    friend = await createNode(service);
  });

  after(async () => {
    await Promise.all(open.map((opened) => opened.channel.close()));
  });

  async function start(node: TestNode, options: Parameters<typeof openChannel>[1] = {}): Promise<TestChannel> {
    const opened = await openChannel(node, options);
    open.push(opened);
    return opened;
  }

  /**
   * `intruder` and `victim` dial each other (and `friend` dials the victim); waits until
   * both refused dials were retried and the friend's message arrived.
   */
  async function exchange(intruder: TestChannel, victim: TestChannel): Promise<TestChannel> {
    const control = await start(friend);
    intruder.channel.setPeer(victim.node.nodeId, victim.channel.address);
    victim.channel.setPeer(intruder.node.nodeId, intruder.channel.address);
    control.channel.setPeer(victim.node.nodeId, victim.channel.address);
    assert.equal(intruder.channel.send(victim.node.nodeId, bytes('let me in')), true);
    assert.equal(victim.channel.send(intruder.node.nodeId, bytes('secret')), true);
    assert.equal(control.channel.send(victim.node.nodeId, bytes('hello')), true);
    await waitFor('refused dials retried and the friend heard', () =>
      peerStatus(intruder.channel, victim.node.nodeId).reconnectAttempts >= 3 &&
      peerStatus(victim.channel, intruder.node.nodeId).reconnectAttempts >= 3 &&
      victim.messages.length > 0);
    assert.deepEqual(victim.messages, [{ from: friend.nodeId, text: 'hello' }]);
    assert.deepEqual(intruder.messages, []);
    assert.equal(peerStatus(intruder.channel, victim.node.nodeId).connected, false);
    assert.equal(peerStatus(victim.channel, intruder.node.nodeId).connected, false);
    assert.equal(peerStatus(victim.channel, intruder.node.nodeId).queuedFrames, 1, 'kept for a peer that may yet be trusted');
    return control;
  }

  it('refuses a node whose certificate another service issued', async () => {
    const otherService = await createService();
    // The intruder trusts our service certificate, so only our checks stand in its way.
    const intruder = await start({ ...(await createNode(otherService)), serviceCertificate: service.certificate });
    const { logger, warnings } = warningsLogger();
    const victim = await start(await createNode(service), { logger });
    const control = await exchange(intruder, victim);
    await control.channel.close();
    assert.ok(warnings.includes('refused a peer we dialled'));
    assert.ok(warnings.includes('a TLS handshake with a would-be peer failed'));
  });

  it('refuses a node with a self-signed certificate', async () => {
    const intruder = await start(await createSelfSignedNode(service));
    const victim = await start(await createNode(service));
    const control = await exchange(intruder, victim);
    await control.channel.close();
  });

  it('refuses a service node that isTrustedPeer does not trust, in both directions', async () => {
    const stranger = await createNode(service);
    const { logger, warnings } = warningsLogger();
    const intruder = await start(stranger);
    const victim = await start(await createNode(service), { logger, isTrustedPeer: (nodeId) => nodeId !== stranger.nodeId });
    const control = await exchange(intruder, victim);
    await control.channel.close();
    assert.ok(warnings.includes('refused a connection from a node that is not trusted'));
    assert.ok(warnings.includes('refused a peer we dialled'));
  });

  it('asks isTrustedPeer again on every new connection', async () => {
    const trusted = new Set<string>();
    const sender = await start(await createNode(service));
    const receiver = await start(await createNode(service), { isTrustedPeer: (nodeId) => trusted.has(nodeId) });
    trusted.add(sender.node.nodeId);
    sender.channel.setPeer(receiver.node.nodeId, receiver.channel.address);
    assert.equal(sender.channel.send(receiver.node.nodeId, bytes('one')), true);
    await waitFor('the first message', () => receiver.messages.length === 1);

    trusted.delete(sender.node.nodeId);
    // Removing the peer drops its connection to us too; it redials and is refused.
    receiver.channel.removePeer(sender.node.nodeId);
    await waitFor('the sender to notice', () => !peerStatus(sender.channel, receiver.node.nodeId).connected);
    assert.equal(sender.channel.send(receiver.node.nodeId, bytes('two')), true);
    await waitFor('refused redials', () => peerStatus(sender.channel, receiver.node.nodeId).reconnectAttempts >= 3);
    assert.deepEqual(receiver.messages.map((message) => message.text), ['one']);

    trusted.add(sender.node.nodeId);
    await waitFor('the second message once trusted again', () => receiver.messages.length === 2);
    assert.equal(receiver.messages[1]?.text, 'two');
  });

  it('refuses to talk to a different trusted node than the one it dialled', async () => {
    const [meant, other, dialler] = await Promise.all([createNode(service), createNode(service), createNode(service)]);
    const { logger, warnings } = warningsLogger();
    const listening = await start(other);
    const sender = await start(dialler, { logger });
    // `meant` is not even running: the address is another node's.
    sender.channel.setPeer(meant.nodeId, listening.channel.address);
    sender.channel.setPeer(other.nodeId, listening.channel.address);
    assert.equal(sender.channel.send(meant.nodeId, bytes('for meant')), true);
    assert.equal(sender.channel.send(other.nodeId, bytes('for other')), true);
    await waitFor('refused redials', () => peerStatus(sender.channel, meant.nodeId).reconnectAttempts >= 3 && listening.messages.length > 0);
    assert.deepEqual(listening.messages, [{ from: dialler.nodeId, text: 'for other' }]);
    assert.equal(peerStatus(sender.channel, meant.nodeId).connected, false);
    assert.ok(warnings.includes('refused a peer we dialled'));
  });
});
