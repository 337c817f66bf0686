// A node creating a new service, without the network: genesis, the commit rule at
// signatures, transaction status, receipts, and refusing a used ledger directory.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { keygen } from '../../src/cli/keygen-command.js';
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { MEMBER_INFO_MAP, SERVICE_INFO_KEY, SERVICE_INFO_MAP, USER_CERTS_MAP, type MemberInfo, type ServiceInfo } from '../../src/gov/service-maps.js';
import { verifyLedger } from '../../src/ledger/ledger-verifier.js';
import { verifyReceipt } from '../../src/ledger/receipt.js';
import { CocoNode, NodeStartError } from '../../src/node/coco-node.js';
import { DirectoryLedgerFiles } from '../../src/node/directory-ledger-files.js';
import { ConfigError, parseNodeConfig } from '../../src/node/node-config.js';

const silent = pino({ level: 'silent' });
/** The first node's platform and measurement, as the node command passes them. */
const GENESIS = { platform: 'virtual', measurement: 'ab'.repeat(32) } as const;

describe('a node starting a new service', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coco-node-'));
    const now = new Date();
    await keygen({ name: 'member0', dir, curve: 'p256', encryption: true, now });
    await keygen({ name: 'user0', dir, curve: 'p256', encryption: false, now });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function config(name: string, overrides: Record<string, unknown> = {}) {
    return parseNodeConfig({
      network: { rpc_address: '127.0.0.1:0', node_to_node_address: '127.0.0.1:0' },
      ledger: { directory: `${name}/ledger` },
      snapshots: { directory: `${name}/snapshots` },
      service_certificate_file: `${name}/service_cert.pem`,
      command: { type: 'start', members: [{ certificate: 'member0_cert.pem', encryption_public_key: 'member0_enc_pubk.pem', data: { org: 'A' } }], users: [{ certificate: 'user0_cert.pem' }] },
      signatures: { interval_tx: 3, interval_ms: 10_000 },
      curve: 'p256',
      ...overrides,
    }, dir);
  }

  it('writes genesis, the service certificate, and commits at each signature', async () => {
    const node = await CocoNode.startNewService(config('a'), silent, new Date(), GENESIS);
    try {
      assert.equal(readFileSync(join(dir, 'a/service_cert.pem'), 'utf8'), node.serviceCertificate);
      assert.equal(node.lastSeqno, 2, 'genesis and its signature');
      assert.equal(node.commitSeqno, 2);
      const read = node.store.begin();
      assert.equal(read.map<number, ServiceInfo>(SERVICE_INFO_MAP).get(SERVICE_INFO_KEY)?.status, 'Opening');
      const memberId = certificateFingerprint(readFileSync(join(dir, 'member0_cert.pem'), 'utf8'));
      assert.deepEqual(read.map<string, MemberInfo>(MEMBER_INFO_MAP).get(memberId), { status: 'Accepted', member_data: { org: 'A' } });
      assert.equal(read.map(USER_CERTS_MAP).size, 1);

      const ids = [1, 2].map((i) => {
        const tx = node.store.begin();
        tx.map('private:test').set(i, `secret ${i}`);
        const result = tx.commit();
        assert.equal(result.status, 'committed');
        return node.committed(result.writeSet);
      });
      assert.deepEqual(ids.map((id) => node.txStatus(id)), ['Pending', 'Pending']);
      assert.equal(node.receipt(ids[0]!).status, 'pending');
      const tx = node.store.begin();
      tx.map('private:test').set(3, 'secret 3');
      const third = tx.commit();
      assert.equal(third.status, 'committed');
      node.committed(third.writeSet); // the third transaction triggers a signature (interval_tx 3)
      // Consensus runs once the current turn ends; one node is its own majority.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(node.commitSeqno, 6);
      assert.deepEqual(ids.map((id) => node.txStatus(id)), ['Committed', 'Committed']);
      assert.equal(node.txStatus({ view: 1, seqno: 99 }), 'Unknown');
      assert.equal(node.txStatus({ view: 7, seqno: 3 }), 'Invalid');
      const lookup = node.receipt(ids[1]!);
      assert.equal(lookup.status, 'ready');
      assert.deepEqual(verifyReceipt((lookup as { receipt: unknown }).receipt, node.serviceCertificate), { ok: true, txid: '1.4', signedBy: node.nodeId });
    } finally {
      await node.stop();
    }
    const report = verifyLedger(new DirectoryLedgerFiles(join(dir, 'a/ledger')));
    assert.equal(report.ok, true, report.failure?.reason);
    assert.equal(report.serviceCertificate, 'from-ledger');
    const ledgerBytes = Buffer.concat(readdirSync(join(dir, 'a/ledger')).map((name) => readFileSync(join(dir, 'a/ledger', name))));
    assert.equal(ledgerBytes.indexOf('secret 1'), -1, 'private writes are encrypted on disk');
  });

  it('signs within interval_ms when fewer than interval_tx transactions are waiting', async () => {
    const node = await CocoNode.startNewService(config('b', { signatures: { interval_tx: 1000, interval_ms: 20 } }), silent, new Date(), GENESIS);
    try {
      const tx = node.store.begin();
      tx.map('public:test').set(1, 'one');
      const result = tx.commit();
      assert.equal(result.status, 'committed');
      const id = node.committed(result.writeSet);
      assert.equal(node.txStatus(id), 'Pending');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(node.txStatus(id), 'Committed');
    } finally {
      await node.stop();
    }
  });

  it('stop signs and commits what was written', async () => {
    const node = await CocoNode.startNewService(config('c', { signatures: { interval_tx: 1000, interval_ms: 60_000 } }), silent, new Date(), GENESIS);
    const tx = node.store.begin();
    tx.map('public:test').set(1, 'one');
    const result = tx.commit();
    assert.equal(result.status, 'committed');
    node.committed(result.writeSet);
    await node.stop();
    assert.match(node.writesRefused() ?? '', /shutting down/);
    const report = verifyLedger(new DirectoryLedgerFiles(join(dir, 'c/ledger')));
    assert.equal(report.ok, true);
    assert.equal(report.unsignedTail, 0);
    assert.equal(report.lastSeqno, 4);
  });

  it('refuses a non-empty ledger directory and touches nothing', async () => {
    mkdirSync(join(dir, 'd/ledger'), { recursive: true });
    writeFileSync(join(dir, 'd/ledger/ledger_1'), 'existing');
    await assert.rejects(CocoNode.startNewService(config('d'), silent, new Date(), GENESIS), NodeStartError);
    assert.deepEqual(readdirSync(join(dir, 'd/ledger')), ['ledger_1']);
    assert.equal(readFileSync(join(dir, 'd/ledger/ledger_1'), 'utf8'), 'existing');
    assert.deepEqual(readdirSync(join(dir, 'd')), ['ledger'], 'no service certificate or snapshots written');
  });

  it('names unreadable or malformed member files', async () => {
    const missing = config('e', { command: { type: 'start', members: [{ certificate: 'nope.pem', encryption_public_key: 'member0_enc_pubk.pem' }] } });
    await assert.rejects(CocoNode.startNewService(missing, silent, new Date(), GENESIS), (error: Error) => error instanceof ConfigError && /nope\.pem.*ENOENT/.test(error.message));
    const notCertificate = config('e', { command: { type: 'start', members: [{ certificate: 'member0_enc_pubk.pem', encryption_public_key: 'member0_enc_pubk.pem' }] } });
    await assert.rejects(CocoNode.startNewService(notCertificate, silent, new Date(), GENESIS), (error: Error) => error instanceof ConfigError && /member certificate/.test(error.message));
  });

  it('explains every bad configuration field', () => {
    assert.throws(
      () => parseNodeConfig({ network: { rpc_address: 'nowhere' }, ledger: {}, command: { type: 'leave' }, surprise: true }, dir),
      (error: Error) => error instanceof ConfigError
        && /config.network.rpc_address must match pattern/.test(error.message)
        && /unknown field "surprise"/.test(error.message)
        && /service_certificate_file/.test(error.message)
        && /config.command.type/.test(error.message),
    );
  });
});
