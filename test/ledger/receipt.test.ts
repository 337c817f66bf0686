// Receipts (docs/receipts.md): every transaction covered by a signature gets a receipt
// that verifies with only the service certificate, and any alteration is caught.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identities } from '../../examples/demo-ledger.js';
import { verifyReceipt, type Receipt } from '../../src/ledger/receipt.js';
import { makePrimary } from './primary-fixture.js';

function mutable(receipt: Receipt): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(JSON.stringify(receipt));
}

function flipHex(hex: string): string {
  return (hex[0] === '0' ? '1' : '0') + hex.slice(1);
}

describe('receipts', () => {
  it('verify for every transaction a signature covers, signature transactions included', async () => {
    const primary = await makePrimary({ signatureIntervalTx: 5 });
    for (let i = 0; i < 23; i++) primary.write(i, `value ${i}`);
    const signature = primary.writer.sign(1);
    for (let seqno = 1; seqno <= signature.tree_size; seqno++) {
      const receipt = primary.history.receipt(primary.entry(seqno), signature);
      const check = verifyReceipt(JSON.parse(JSON.stringify(receipt)), primary.serviceCertificate);
      assert.deepEqual(check, { ok: true, txid: `1.${seqno}`, signedBy: primary.signer.nodeId });
    }
  });

  it('are refused under another service certificate', async () => {
    const primary = await makePrimary();
    primary.write(1, 'a');
    const receipt = primary.history.receipt(primary.entry(1), primary.writer.sign(1));
    const otherService = (await identities()).serviceCertificate;
    const check = verifyReceipt(receipt, otherService);
    assert.equal(check.ok, false);
    assert.match((check as { reason: string }).reason, /not endorsed by the service certificate/);
  });

  it('catch any altered field', async () => {
    const primary = await makePrimary();
    for (let i = 0; i < 6; i++) primary.write(i, `v${i}`);
    const signature = primary.writer.sign(1);
    const receipt = primary.history.receipt(primary.entry(3), signature);
    const other = primary.history.receipt(primary.entry(4), signature);
    const alterations: Array<[string, (r: Record<string, any>) => void]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      ['write set digest', (r) => { r.leaf_components.write_set_digest = flipHex(r.leaf_components.write_set_digest); }],
      ['claims digest', (r) => { r.leaf_components.claims_digest = flipHex(r.leaf_components.claims_digest); }],
      ['commit evidence', (r) => { r.leaf_components.commit_evidence = r.leaf_components.commit_evidence.replace(/.$/, (c: string) => (c === '0' ? '1' : '0')); }],
      ['commit evidence of another tx', (r) => { r.leaf_components.commit_evidence = other.leaf_components.commit_evidence; }],
      ['txid', (r) => { r.txid = '1.4'; }],
      ['proof step', (r) => { const side = 'left' in r.proof[0] ? 'left' : 'right'; r.proof[0][side] = flipHex(r.proof[0][side]); }],
      ['proof side', (r) => { const [side, hash] = Object.entries(r.proof[0])[0] as [string, string]; r.proof[0] = { [side === 'left' ? 'right' : 'left']: hash }; }],
      ['proof shortened', (r) => { r.proof.pop(); }],
      ['proof of another tx', (r) => { r.proof = other.proof; }],
      ['signed root', (r) => { r.signature.root = flipHex(r.signature.root); }],
      ['signature bytes', (r) => { const sig = Buffer.from(r.signature.signature, 'base64'); sig[5] = (sig[5] as number) ^ 1; r.signature.signature = sig.toString('base64'); }],
      ['signature seqno', (r) => { r.signature.seqno += 1; r.signature.tree_size += 1; }],
      ['tree size', (r) => { r.signature.tree_size -= 1; }],
      ['node id', (r) => { r.signature.node_id = flipHex(r.signature.node_id); }],
      ['missing proof', (r) => { delete r.proof; }],
      ['not an object', (r) => { r.signature = 'nope'; }],
    ];
    assert.equal(verifyReceipt(mutable(receipt), primary.serviceCertificate).ok, true);
    for (const [name, alter] of alterations) {
      const altered = mutable(receipt);
      alter(altered);
      const check = verifyReceipt(altered, primary.serviceCertificate);
      assert.equal(check.ok, false, `${name} went unnoticed`);
    }
    for (const junk of [null, 42, 'receipt', [], {}]) assert.equal(verifyReceipt(junk, primary.serviceCertificate).ok, false);
  });

  it('bind the signer: a certificate swapped for another endorsed node fails', async () => {
    const primary = await makePrimary();
    primary.write(1, 'a');
    const receipt = mutable(primary.history.receipt(primary.entry(1), primary.writer.sign(1)));
    receipt.signature.cert = (await identities()).signer.certificate;
    assert.equal(verifyReceipt(receipt, primary.serviceCertificate).ok, false);
  });
});
