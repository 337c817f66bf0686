// Waiting for commit and fetching receipts (docs/client.md): a transaction's status is
// polled until Committed; Invalid and timeouts reject naming the status; the receipt
// the node serves, built from a real ledger history, verifies under the service
// certificate, and one that does not is refused.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CocoClient, CocoHttpError, InvalidReceiptError, NotCommittedError, ok, verifyReceipt } from '../../src/client/index.js';
import { testIdentities, type TestIdentities } from './test-identities.js';
import { TestNode } from './test-node.js';

describe('client commit and receipts', () => {
  let ids: TestIdentities;
  let node: TestNode;
  let client: CocoClient;
  before(async () => {
    ids = await testIdentities();
    node = await TestNode.start({ identity: ids.node, usersCa: ids.usersCa });
    client = CocoClient.connect({ url: node.url, serviceCertificate: ids.serviceCertificate, ...ids.user });
  });
  beforeEach(() => {
    node.pendingPolls = 3;
    node.receiptPendingPolls = 1;
    node.tamperReceipts = false;
  });
  after(async () => {
    await client.close();
    await node.stop();
  });

  it('reports status and waits until Committed', async () => {
    const { txId } = ok(await client.post('/app/log/private', { id: 1, msg: 'one' }));
    assert.ok(txId !== undefined);
    assert.equal(await client.txStatus(txId), 'Pending');
    await client.waitForCommit(txId, { pollMs: 5 });
    assert.equal(await client.txStatus(txId), 'Committed');
    assert.equal(await client.txStatus('1.999'), 'Unknown');
  });

  it('rejects at once for an Invalid transaction', async () => {
    const txId = node.write(2, 'rolled back');
    node.invalid.add(txId);
    await assert.rejects(client.waitForCommit(txId), (error: unknown) => {
      assert.ok(error instanceof NotCommittedError);
      assert.equal(error.lastStatus, 'Invalid');
      assert.equal(error.message, `transaction ${txId} is Invalid: a view change rolled it back and it will never commit`);
      return true;
    });
  });

  it('rejects after its timeout naming the last status', async () => {
    node.pendingPolls = Infinity;
    const txId = node.write(3, 'slow');
    const started = Date.now();
    await assert.rejects(client.waitForCommit(txId, { timeoutMs: 200, pollMs: 10 }), {
      name: 'NotCommittedError', lastStatus: 'Pending', message: `transaction ${txId} was not committed within 200 ms (last status: Pending)`,
    });
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(client.waitForCommit('1.999', { timeoutMs: 50 }), /last status: Unknown/);
  });

  it('refuses a malformed transaction id before asking', async () => {
    await assert.rejects(client.waitForCommit('1.0'), /not a transaction id \(view.seqno\): "1.0"/);
  });

  it('fetches a receipt that verifies under the service certificate', async () => {
    const { txId } = ok(await client.post('/app/log/private', { id: 4, msg: 'proven' }));
    assert.ok(txId !== undefined);
    const receipt = await client.getReceipt(txId, { pollMs: 5 });
    assert.equal(receipt.txid, `${txId.view}.${txId.seqno}`);
    const check = verifyReceipt(JSON.parse(JSON.stringify(receipt)), ids.serviceCertificate);
    assert.equal(check.ok, true);
    assert.equal(verifyReceipt(receipt, ids.impostorNode.certificate).ok, false);
  });

  it('refuses a receipt that does not verify', async () => {
    node.tamperReceipts = true;
    const txId = node.write(5, 'tampered');
    await assert.rejects(client.getReceipt(txId, { pollMs: 5 }), (error: unknown) => {
      assert.ok(error instanceof InvalidReceiptError);
      assert.match(error.message, new RegExp(`receipt served for transaction ${txId.replace('.', '\\.')} does not verify: proof does not lead to the signed root`));
      return true;
    });
  });

  it('surfaces the node\'s error when the receipt stays unavailable', async () => {
    node.receiptPendingPolls = Infinity;
    const txId = node.write(6, 'no receipt yet');
    await assert.rejects(client.getReceipt(txId, { timeoutMs: 300, pollMs: 5 }), (error: unknown) => {
      assert.ok(error instanceof CocoHttpError);
      assert.equal(error.status, 202);
      assert.equal(error.code, 'TransactionPending');
      return true;
    });
  });
});
