// The primary's side of a join, below HTTP: admitting a node (and admitting it again,
// idempotently, when it asks again with the same key), and when the answer may go out
// (join-commit.ts), on a real node starting a new service. test/cli/join.test.ts runs
// the same over real processes with a join that cannot commit.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { keygen } from '../../src/cli/keygen-command.js';
import { generateKeyPair, publicKeyFingerprint, type KeyPair } from '../../src/crypto/keys.js';
import { createCertificateSigningRequest, createSelfSignedCertificate } from '../../src/crypto/x509.js';
import { NODES_MAP, type NodeInfo } from '../../src/gov/service-maps.js';
import { produceAttestation } from '../../src/node/attestation/produce-attestation.js';
import { CocoNode } from '../../src/node/coco-node.js';
import { admitNode, joinResponse, JoinRefused, type JoinRequest } from '../../src/node/join-admission.js';
import { joinQuorum, settleJoin } from '../../src/node/join-commit.js';
import { parseNodeConfig } from '../../src/node/node-config.js';

const silent = pino({ level: 'silent' });
const GENESIS = { platform: 'virtual', measurement: 'ab'.repeat(32) } as const;

interface Joiner {
  readonly keyPair: KeyPair;
  readonly nodeId: string;
  /** DER of the certificate it presents over TLS. */
  readonly tlsCertificate: Buffer;
  readonly request: JoinRequest;
}

async function joiner(measurement: string = GENESIS.measurement): Promise<Joiner> {
  const keyPair = generateKeyPair('p256');
  const nodeId = publicKeyFingerprint(keyPair.publicKey);
  const now = Date.now();
  const certificate = await createSelfSignedCertificate({ subjectName: 'joiner', keyPair, validity: { notBefore: new Date(now - 60_000), notAfter: new Date(now + 60_000) } });
  return {
    keyPair,
    nodeId,
    tlsCertificate: new X509Certificate(certificate).raw,
    request: {
      certificate_signing_request: await createCertificateSigningRequest({ subjectName: 'joiner', keyPair }),
      rpc_address: '127.0.0.1:9000',
      node_to_node_address: '127.0.0.1:9001',
      attestation: produceAttestation('virtual', keyPair.publicKey, measurement),
    },
  };
}

/** Commits `write` on the node as the RPC server would, returning its transaction id. */
function commit(node: CocoNode, write: (tx: ReturnType<CocoNode['store']['begin']>) => void) {
  const tx = node.store.begin({ privileged: true });
  write(tx);
  const result = tx.commit();
  assert.equal(result.status, 'committed');
  return node.committed(result.writeSet);
}

describe('a join at the primary', () => {
  let dir: string;
  let node: CocoNode;
  let count = 0;

  async function startNode(signatureIntervalMs: number): Promise<CocoNode> {
    count += 1;
    const config = parseNodeConfig({
      network: { rpc_address: '127.0.0.1:0', node_to_node_address: '127.0.0.1:0' },
      ledger: { directory: `n${count}/ledger` },
      snapshots: { directory: `n${count}/snapshots` },
      service_certificate_file: `n${count}/service_cert.pem`,
      command: { type: 'start', members: [{ certificate: 'member0_cert.pem', encryption_public_key: 'member0_enc_pubk.pem' }] },
      signatures: { interval_tx: 1000, interval_ms: signatureIntervalMs },
      curve: 'p256',
    }, dir);
    return CocoNode.startNewService(config, silent, new Date(), GENESIS);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coco-join-'));
    await keygen({ name: 'member0', dir, curve: 'p256', encryption: true, now: new Date() });
    node = await startNode(20);
  });
  after(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const context = () => ({ service: node.service, now: new Date() });

  describe('admission', () => {
    it('records a new node Trusted while the service opens, and answers it with the secrets and its peers', async () => {
      const newcomer = await joiner();
      const tx = node.store.begin({ privileged: true });
      const admission = await admitNode(tx, newcomer.request, newcomer.tlsCertificate, context());
      assert.equal(admission.nodeId, newcomer.nodeId);
      assert.equal(admission.recordedNow, true);
      assert.equal(admission.info.status, 'Trusted');
      assert.deepEqual(admission.others.map((peer) => peer.node_id), [node.nodeId]);
      assert.deepEqual(tx.map<string, NodeInfo>(NODES_MAP).get(newcomer.nodeId), admission.info);
      tx.abort();
      const answer = joinResponse(admission, node);
      assert.equal(answer.status, 'Trusted');
      assert.ok(answer.status === 'Trusted' && answer.ledger_secret === node.ledgerSecret.bytes.toString('base64'));
    });

    it('finds a node that asks again with the same key recorded, writes nothing, and gives the same answer', async () => {
      const newcomer = await joiner();
      const first = node.store.begin({ privileged: true });
      const recorded = await admitNode(first, newcomer.request, newcomer.tlsCertificate, context());
      commit(node, (tx) => tx.map<string, NodeInfo>(NODES_MAP).set(newcomer.nodeId, recorded.info));
      first.abort();

      const again = node.store.begin({ privileged: true });
      const admission = await admitNode(again, newcomer.request, newcomer.tlsCertificate, context());
      assert.equal(admission.recordedNow, false);
      assert.deepEqual(admission.info, recorded.info, 'the same certificate, not a new one');
      assert.equal(again.commit().status, 'read-only', 'nothing written');
      assert.deepEqual(joinResponse(admission, node), joinResponse({ ...recorded, others: admission.others }, node));
    });

    it('refuses the same key with other addresses, or once retired, as a conflict', async () => {
      const newcomer = await joiner();
      const tx = node.store.begin({ privileged: true });
      const { info } = await admitNode(tx, newcomer.request, newcomer.tlsCertificate, context());
      tx.abort();
      commit(node, (write) => write.map<string, NodeInfo>(NODES_MAP).set(newcomer.nodeId, info));
      const moved = { ...newcomer.request, rpc_address: '127.0.0.1:9100' };
      await assert.rejects(admitNode(node.store.begin({ privileged: true }), moved, newcomer.tlsCertificate, context()),
        (error: unknown) => error instanceof JoinRefused && error.code === 'Conflict' && /is recorded with RPC address 127\.0\.0\.1:9000/.test(error.message));
      commit(node, (write) => write.map<string, NodeInfo>(NODES_MAP).set(newcomer.nodeId, { ...info, status: 'Retired' }));
      await assert.rejects(admitNode(node.store.begin({ privileged: true }), newcomer.request, newcomer.tlsCertificate, context()),
        (error: unknown) => error instanceof JoinRefused && error.code === 'Conflict' && /was retired/.test(error.message));
    });

    it('refuses a caller whose TLS key is not the one it asks a certificate for, and code the manifest does not allow', async () => {
      const newcomer = await joiner();
      const other = await joiner();
      await assert.rejects(admitNode(node.store.begin({ privileged: true }), newcomer.request, other.tlsCertificate, context()),
        (error: unknown) => error instanceof JoinRefused && error.code === 'Forbidden' && /TLS client certificate/.test(error.message));
      const unknownCode = await joiner('cd'.repeat(32));
      await assert.rejects(admitNode(node.store.begin({ privileged: true }), unknownCode.request, unknownCode.tlsCertificate, context()),
        (error: unknown) => error instanceof JoinRefused && error.code === 'Forbidden' && /not in the code manifest/.test(error.message));
    });
  });

  describe('when the answer may go out', () => {
    it('counts the reachable voting nodes against a majority of the configuration with the newcomer', () => {
      assert.deepEqual(joinQuorum(node, [node.nodeId]), { kind: 'alone' });
      // This node has no channel open: it reaches no peer.
      assert.deepEqual(joinQuorum(node, [node.nodeId, 'b']), { kind: 'short', reachable: 1, voters: 2, needed: 2 });
      assert.deepEqual(joinQuorum(node, [node.nodeId, 'b', 'c']), { kind: 'short', reachable: 1, voters: 3, needed: 3 });
      const reaching = { nodeId: node.nodeId, reachablePeers: () => new Set(['b', 'c']) } as unknown as CocoNode;
      assert.deepEqual(joinQuorum(reaching, [node.nodeId, 'b', 'c']), { kind: 'enough' });
      assert.deepEqual(joinQuorum(reaching, [node.nodeId, 'b', 'c', 'd', 'e']), { kind: 'short', reachable: 3, voters: 5, needed: 4 });
    });

    it('waits for the join to commit, and says so when it does not in time or was rolled back', async () => {
      // A node of its own: the admission tests above recorded voting nodes that never run, so nothing commits on theirs.
      const primary = await startNode(20);
      try {
        const txId = commit(primary, (tx) => tx.map('public:test').set(1, 'a join'));
        assert.equal(primary.txStatus(txId), 'Pending');
        assert.deepEqual(await settleJoin(primary, txId, false, 5_000), { ok: true, how: 'committed' });
        assert.equal(primary.txStatus(txId), 'Committed');
        const started = performance.now();
        assert.deepEqual(await settleJoin(primary, { view: primary.view, seqno: primary.lastSeqno + 100 }, false, 50),
          { ok: false, why: 'not-committed', detail: 'it did not commit within 50 ms' });
        assert.ok(performance.now() - started >= 45);
        assert.deepEqual(await settleJoin(primary, { view: primary.view + 5, seqno: 3 }, false, 5_000), { ok: false, why: 'rolled-back', detail: 'its transaction was rolled back' });
      } finally {
        await primary.stop();
      }
    });

    it('on a service of one voting node, signs the join to disk and answers without waiting for commit', async () => {
      const lone = await startNode(60_000);
      try {
        const txId = commit(lone, (tx) => tx.map('public:test').set(1, 'a join'));
        const lastBefore = lone.lastSeqno;
        assert.deepEqual(await settleJoin(lone, txId, true, 5_000), { ok: true, how: 'signed' });
        assert.equal(lone.lastSeqno, lastBefore + 1, 'a signature follows the join');
        await lone.stop();
        const later = { view: lone.view, seqno: lone.lastSeqno + 1 };
        assert.deepEqual(await settleJoin(lone, later, true, 5_000), { ok: false, why: 'not-primary', detail: 'the node is shutting down' });
      } finally {
        await lone.stop();
      }
    });
  });
});
