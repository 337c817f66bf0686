// Real identities and real channels over 127.0.0.1 for the node-to-node channel tests:
// a service with its node certificates, channels that record what they receive, and
// a poll for conditions that come true asynchronously.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { pino, type Logger } from 'pino';
import { generateKeyPair, privateKeyToPem, publicKeyFingerprint } from '../../../src/crypto/keys.js';
import { createSelfSignedCertificate } from '../../../src/crypto/x509.js';
import { NodeChannel, type NodeChannelLimits, type NodeChannelOptions } from '../../../src/node/channel/node-channel.js';
import { createNodeIdentity, createServiceIdentity, type ServiceIdentity } from '../../../src/node/service-identity.js';

export const silent = pino({ level: 'silent' });

/** A logger keeping the messages of its warnings, to check that refusals are reported. */
export function warningsLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
  return { logger, warnings };
}

/** Short waits, so reconnecting takes milliseconds rather than seconds. */
export const FAST_LIMITS: Partial<NodeChannelLimits> = { backoffMsMin: 10, backoffMsMax: 40, connectTimeoutMs: 1_000 };

export interface TestNode {
  readonly nodeId: string;
  readonly privateKey: string;
  readonly certificate: string;
  readonly serviceCertificate: string;
}

export async function createService(): Promise<ServiceIdentity> {
  return createServiceIdentity('p256', new Date());
}

export async function createNode(service: ServiceIdentity): Promise<TestNode> {
  const identity = await createNodeIdentity(service, 'p256', '127.0.0.1', new Date());
  return { nodeId: identity.nodeId, privateKey: privateKeyToPem(identity.privateKey), certificate: identity.certificate, serviceCertificate: service.certificate };
}

/** A node whose certificate it signed itself, but which trusts `service` for its peers. */
export async function createSelfSignedNode(service: ServiceIdentity): Promise<TestNode> {
  const keyPair = generateKeyPair('p256');
  const now = Date.now();
  const certificate = await createSelfSignedCertificate({ subjectName: 'impostor', keyPair, validity: { notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) } });
  return { nodeId: publicKeyFingerprint(keyPair.publicKey), privateKey: privateKeyToPem(keyPair.privateKey), certificate, serviceCertificate: service.certificate };
}

export interface Received {
  readonly from: string;
  readonly text: string;
}

export interface TestChannel {
  readonly node: TestNode;
  readonly channel: NodeChannel;
  readonly messages: Received[];
  readonly requests: Received[];
}

export async function openChannel(node: TestNode, options: Partial<NodeChannelOptions> = {}): Promise<TestChannel> {
  const messages: Received[] = [];
  const requests: Received[] = [];
  const channel = await NodeChannel.open({
    ...node,
    listenAddress: '127.0.0.1:0',
    isTrustedPeer: () => true,
    onMessage: (from, payload) => messages.push({ from, text: Buffer.from(payload).toString() }),
    onRequest: async (from, payload) => {
      const text = Buffer.from(payload).toString();
      requests.push({ from, text });
      return Buffer.from(`re: ${text}`);
    },
    logger: silent,
    limits: FAST_LIMITS,
    ...options,
  });
  return { node, channel, messages, requests };
}

export function bytes(text: string): Uint8Array {
  return Buffer.from(text);
}

export function peerStatus(channel: NodeChannel, nodeId: string) {
  const status = channel.peers().find((peer) => peer.nodeId === nodeId);
  if (status === undefined) throw new Error(`node ${nodeId} is not a peer`);
  return status;
}

/** Polls until `condition` holds; fails naming `what` after timeoutMs. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A bare TLS connection made with a node's identity, to send whatever bytes a test likes. */
export async function rawClient(node: TestNode, address: string): Promise<tls.TLSSocket> {
  const colon = address.lastIndexOf(':');
  const socket = tls.connect({
    host: address.slice(0, colon),
    port: Number(address.slice(colon + 1)),
    key: node.privateKey,
    cert: node.certificate,
    ca: [node.serviceCertificate],
    checkServerIdentity: () => undefined,
  });
  await once(socket, 'secureConnect');
  return socket;
}

/** A bare TLS server with a node's identity, handing each authenticated connection to `onConnection`. */
export async function rawServer(node: TestNode, onConnection: (socket: tls.TLSSocket) => void): Promise<{ server: tls.Server; address: string }> {
  const server = tls.createServer({ key: node.privateKey, cert: node.certificate, ca: [node.serviceCertificate], requestCert: true, rejectUnauthorized: true }, onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}
