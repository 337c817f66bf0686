// Nodes under governance, on a real node with its real node-to-node channel: once the
// service is open a joining node is recorded Pending with what it attested, answered
// Pending without secrets, and refused as a peer until members trust it; then its answer
// carries the secrets and the channel takes it. And which changes of the voting nodes
// the primary may commit (votingChangeQuorum).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { keygen } from '../../src/cli/keygen-command.js';
import { generateKeyPair, privateKeyToPem, publicKeyFingerprint } from '../../src/crypto/keys.js';
import { createCertificateSigningRequest, createSelfSignedCertificate } from '../../src/crypto/x509.js';
import { CONSTITUTION_KEY, CONSTITUTION_MAP, DEFAULT_CONSTITUTION, NODES_MAP, SERVICE_INFO_KEY, SERVICE_INFO_MAP, type NodeInfo, type ServiceInfo } from '../../src/gov/index.js';
import type { Transaction } from '../../src/kv/index.js';
import { produceAttestation } from '../../src/node/attestation/produce-attestation.js';
import { CocoNode } from '../../src/node/coco-node.js';
import { admitNode, joinResponse } from '../../src/node/join-admission.js';
import { votingChangeQuorum } from '../../src/node/join-commit.js';
import { parseNodeConfig } from '../../src/node/node-config.js';
import { bytes, openChannel, peerStatus, waitFor, type TestChannel } from './channel/channel-fixture.js';

const silent = pino({ level: 'silent' });
const GENESIS = { platform: 'virtual', measurement: 'ab'.repeat(32) } as const;

function commit(node: CocoNode, write: (tx: Transaction) => void): void {
  const tx = node.store.begin({ privileged: true });
  write(tx);
  const result = tx.commit();
  assert.equal(result.status, 'committed');
  node.committed(result.writeSet);
}

describe('nodes under governance', () => {
  let dir: string;
  let node: CocoNode;
  const channels: TestChannel[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coco-governed-'));
    await keygen({ name: 'member0', dir, curve: 'p256', encryption: true, now: new Date() });
    const config = parseNodeConfig({
      network: { rpc_address: '127.0.0.1:0', node_to_node_address: '127.0.0.1:0' },
      ledger: { directory: 'n/ledger' },
      snapshots: { directory: 'n/snapshots' },
      service_certificate_file: 'n/service_cert.pem',
      command: { type: 'start', members: [{ certificate: 'member0_cert.pem', encryption_public_key: 'member0_enc_pubk.pem' }] },
      signatures: { interval_tx: 1000, interval_ms: 20 },
      curve: 'p256',
    }, dir);
    node = await CocoNode.startNewService(config, silent, new Date(), GENESIS);
    await node.run();
  });

  after(async () => {
    await Promise.all(channels.map((opened) => opened.channel.close()));
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the service with the default constitution and the first node\'s measurement on record', () => {
    const tx = node.store.begin();
    try {
      assert.equal(tx.map<number, string>(CONSTITUTION_MAP).get(CONSTITUTION_KEY), DEFAULT_CONSTITUTION);
      const record = tx.map<string, NodeInfo>(NODES_MAP).get(node.nodeId);
      assert.equal(record?.measurement, GENESIS.measurement);
      assert.equal(record?.platform, 'virtual');
    } finally {
      tx.abort();
    }
  });

  it('after opening, records a joining node Pending, answers it without secrets, and refuses it as a peer until it is trusted', async () => {
    commit(node, (tx) => {
      const map = tx.map<number, ServiceInfo>(SERVICE_INFO_MAP);
      map.set(SERVICE_INFO_KEY, { ...(map.get(SERVICE_INFO_KEY) as ServiceInfo), status: 'Open' });
    });

    const keyPair = generateKeyPair('p256');
    const nodeId = publicKeyFingerprint(keyPair.publicKey);
    const now = Date.now();
    const selfSigned = await createSelfSignedCertificate({ subjectName: 'joiner', keyPair, validity: { notBefore: new Date(now - 60_000), notAfter: new Date(now + 60_000) } });
    const request = {
      certificate_signing_request: await createCertificateSigningRequest({ subjectName: 'joiner', keyPair }),
      rpc_address: '127.0.0.1:9000',
      node_to_node_address: '127.0.0.1:9001',
      attestation: produceAttestation('virtual', keyPair.publicKey, GENESIS.measurement),
    };
    const tx = node.store.begin({ privileged: true });
    const admission = await admitNode(tx, request, new X509Certificate(selfSigned).raw, { service: node.service, now: new Date() });
    assert.equal(admission.info.status, 'Pending');
    assert.equal(admission.info.measurement, GENESIS.measurement, 'the attested measurement is on record for the vote');
    assert.equal(admission.info.platform, 'virtual');
    assert.deepEqual(joinResponse(admission, node), { status: 'Pending', node_id: nodeId }, 'no secrets for a Pending node');
    tx.abort();
    // Recorded as the join endpoint would (its transaction re-runs on a conflict with a signature).
    commit(node, (write) => write.map<string, NodeInfo>(NODES_MAP).set(nodeId, admission.info));

    // The Pending node, with the certificate the service endorsed, dials the node.
    const pending = await openChannel({ nodeId, privateKey: privateKeyToPem(keyPair.privateKey), certificate: admission.info.cert, serviceCertificate: node.serviceCertificate });
    channels.push(pending);
    pending.channel.setPeer(node.nodeId, node.nodeToNodeAddress);
    assert.equal(pending.channel.send(node.nodeId, bytes('let me in')), true);
    await waitFor('dials refused', () => peerStatus(pending.channel, node.nodeId).reconnectAttempts >= 3);
    assert.equal(peerStatus(pending.channel, node.nodeId).connected, false, 'a Pending node is no peer');

    // Members trust it (the effect of an accepted transition_node_to_trusted).
    commit(node, (write) => write.map<string, NodeInfo>(NODES_MAP).set(nodeId, { ...admission.info, status: 'Trusted' }));
    await waitFor('the trusted node connects', () => peerStatus(pending.channel, node.nodeId).connected, 5_000);
    const again = node.store.begin({ privileged: true });
    const trusted = await admitNode(again, request, new X509Certificate(selfSigned).raw, { service: node.service, now: new Date() });
    again.abort();
    const answer = joinResponse(trusted, node);
    assert.equal(answer.status, 'Trusted');
    assert.ok(answer.status === 'Trusted' && answer.ledger_secret === node.ledgerSecret.bytes.toString('base64'), 'the secrets, once trusted');
  });

  it('commits a change of the voting nodes only if the primary reaches a majority of the new ones', () => {
    const host = (peers: string[]) => ({ nodeId: 'a', reachablePeers: () => new Set(peers) });
    assert.deepEqual(votingChangeQuorum(host([]), ['a'], ['a']), { kind: 'enough' });
    assert.deepEqual(votingChangeQuorum(host([]), ['a'], ['a', 'd']), { kind: 'alone' }, 'a lone primary answers the newcomer once signed');
    assert.deepEqual(votingChangeQuorum(host([]), ['a'], ['a', 'd', 'e']), { kind: 'short', reachable: 1, voters: 3, needed: 2 });
    assert.deepEqual(votingChangeQuorum(host(['b', 'c']), ['a', 'b', 'c'], ['a', 'b', 'c', 'd']), { kind: 'enough' });
    assert.deepEqual(votingChangeQuorum(host(['b']), ['a', 'b', 'c'], ['a', 'b', 'c', 'd']), { kind: 'short', reachable: 2, voters: 4, needed: 3 });
    assert.deepEqual(votingChangeQuorum(host(['b', 'c']), ['a', 'b', 'c'], ['b', 'c']), { kind: 'enough' }, 'the primary may retire itself');
    assert.deepEqual(votingChangeQuorum(host(['c']), ['a', 'b', 'c'], ['a', 'b']), { kind: 'short', reachable: 1, voters: 2, needed: 2 });
  });
});
