// The auditor's commands as a user runs them: the compiled `coco` binary in a child
// process, on a real ledger directory. Exit codes are part of the contract:
// 0 checks out, 1 does not (and says where), 2 the command could not run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { writeDemoLedger, type DemoLedger } from '../../examples/demo-ledger.js';

const COCO = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function coco(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [COCO, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('coco ledger and coco receipt', () => {
  let dir: string;
  let demo: DemoLedger;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coco-cli-'));
    demo = await writeDemoLedger({ dir: join(dir, 'demo'), transactions: 40, valueBytes: 32, signatureIntervalTx: 10 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('verify: exit 0 and a summary on a good ledger, with and without the secret', () => {
    const plain = coco('ledger', 'verify', demo.ledgerDir);
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, new RegExp(`^OK: ${demo.lastSeqno} transactions`));
    assert.match(plain.stdout, /private domains not decrypted/);
    const secretFile = join(dir, 'demo', 'ledger_secret');
    const decrypted = coco('ledger', 'verify', demo.ledgerDir, '--ledger-secret', secretFile, '--service-cert', join(dir, 'demo', 'service_cert.pem'), '--json');
    assert.equal(decrypted.status, 0, decrypted.stderr);
    const report = JSON.parse(decrypted.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.entries, demo.lastSeqno);
    assert.equal(report.privateDomainsDecrypted, true);
    assert.equal(report.serviceCertificate, 'given');
  });

  it('verify: exit 1 naming file, offset and seqno on a tampered ledger', () => {
    const copyDir = join(dir, 'tampered');
    const files = readdirSync(demo.ledgerDir);
    rmSync(copyDir, { recursive: true, force: true });
    spawnSync('cp', ['-r', demo.ledgerDir, copyDir]);
    const name = files[0] as string;
    const bytes = readFileSync(join(copyDir, name));
    bytes[400] = (bytes[400] as number) ^ 0xff;
    writeFileSync(join(copyDir, name), bytes);
    const result = coco('ledger', 'verify', copyDir);
    assert.equal(result.status, 1);
    assert.match(result.stdout, new RegExp(`FAILED at ${name} offset \\d+, seqno \\d+: CRC mismatch`));
    const json = JSON.parse(coco('ledger', 'verify', copyDir, '--json').stdout);
    assert.equal(json.ok, false);
    assert.equal(json.failure.file, name);
  });

  it('verify: a wrong ledger secret is exit 1 with a clear reason; a malformed secret file is exit 2', () => {
    const wrong = join(dir, 'wrong_secret');
    writeFileSync(wrong, `${'ab'.repeat(32)}\n`);
    const result = coco('ledger', 'verify', demo.ledgerDir, '--ledger-secret', wrong);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /wrong ledger secret/);
    const malformed = join(dir, 'malformed_secret');
    writeFileSync(malformed, 'not a secret');
    const bad = coco('ledger', 'verify', demo.ledgerDir, '--ledger-secret', malformed);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /64 hex digits or as base64/);
  });

  it('verify: exit 2 for a missing directory or file, with the name', () => {
    const missing = coco('ledger', 'verify', join(dir, 'nope'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such ledger directory/);
    const noCert = coco('ledger', 'verify', demo.ledgerDir, '--service-cert', join(dir, 'nope.pem'));
    assert.equal(noCert.status, 2);
    assert.match(noCert.stderr, /nope\.pem/);
    const empty = mkdtempSync(join(dir, 'empty-'));
    const none = coco('ledger', 'verify', empty);
    assert.equal(none.status, 1);
    assert.match(none.stdout, /no ledger chunk files/);
  });

  it('verify: reports an unsigned tail without failing', async () => {
    const tail = await writeDemoLedger({ dir: join(dir, 'tail'), transactions: 15, signatureIntervalTx: 0, unsignedTail: 4 });
    const result = coco('ledger', 'verify', tail.ledgerDir, '--json');
    assert.equal(result.status, 0, result.stdout);
    const report = JSON.parse(result.stdout);
    assert.equal(report.unsignedTail, 4);
    assert.equal(report.lastSignedSeqno, tail.lastSeqno - 4);
  });

  it('read: prints transactions, private writes only with the secret', () => {
    const plain = coco('ledger', 'read', demo.ledgerDir, '--seqno', '2..3', '--json');
    assert.equal(plain.status, 0, plain.stderr);
    const lines = plain.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((l) => l.txid), ['2.2', '2.3']);
    assert.ok(lines[0].private_bytes_encrypted > 0);
    assert.ok(!plain.stdout.includes('xxxxxxxx'), 'private values hidden without the secret');
    const decrypted = coco('ledger', 'read', demo.ledgerDir, '--seqno', '2', '--ledger-secret', join(dir, 'demo', 'ledger_secret'));
    assert.equal(decrypted.status, 0, decrypted.stderr);
    assert.match(decrypted.stdout, /^2\.2 transaction\n {2}private:records\n {4}1 = "x+"/);
    const bad = coco('ledger', 'read', demo.ledgerDir, '--seqno', '5..2');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--seqno takes A\.\.B/);
  });

  it('receipt verify: exit 0 for a valid receipt, 1 with the reason for an altered one', () => {
    const receiptFile = join(dir, 'demo', 'receipt.json');
    const serviceCert = join(dir, 'demo', 'service_cert.pem');
    const valid = coco('receipt', 'verify', receiptFile, '--service-cert', serviceCert);
    assert.equal(valid.status, 0, valid.stderr + valid.stdout);
    assert.match(valid.stdout, new RegExp(`^valid: transaction ${demo.receipt.txid.replace('.', '\\.')}`));

    const altered = JSON.parse(readFileSync(receiptFile, 'utf8'));
    altered.leaf_components.write_set_digest = '00'.repeat(32);
    const alteredFile = join(dir, 'altered.json');
    writeFileSync(alteredFile, JSON.stringify(altered));
    const invalid = coco('receipt', 'verify', alteredFile, '--service-cert', serviceCert, '--json');
    assert.equal(invalid.status, 1);
    assert.deepEqual(JSON.parse(invalid.stdout), { valid: false, reason: 'proof does not lead to the signed root' });

    writeFileSync(alteredFile, '{not json');
    assert.equal(coco('receipt', 'verify', alteredFile, '--service-cert', serviceCert).status, 1);
    const missing = coco('receipt', 'verify', receiptFile);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--service-cert/);
  });

  it('--help explains every command', () => {
    const help = coco('--help');
    assert.equal(help.status, 0);
    for (const command of ['keygen', 'ledger', 'receipt']) assert.match(help.stdout, new RegExp(command));
    const verifyHelp = coco('ledger', 'verify', '--help');
    assert.equal(verifyHelp.status, 0);
    assert.match(verifyHelp.stdout, /--ledger-secret/);
    assert.equal(coco('no-such-command').status, 2);
  });
});
