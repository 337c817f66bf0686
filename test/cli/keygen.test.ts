// `coco keygen`: the files an operator or member gets, their permissions, and that an
// existing identity is never overwritten.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CliError } from '../../src/cli/cli-error.js';
import { keygen } from '../../src/cli/keygen-command.js';
import { keyCurve, privateKeyFromPem, publicKeyFromPem, rsaOaepDecrypt, rsaOaepEncrypt, type Curve } from '../../src/crypto/keys.js';
import { certificatePublicKey, parseCertificate, verifyCertificateChain } from '../../src/crypto/certificate.js';
import { certificateSubjectName } from '../../src/crypto/x509.js';

const root = mkdtempSync(join(tmpdir(), 'coco-keygen-'));
after(() => rmSync(root, { recursive: true, force: true }));
function freshDir(): string {
  return mkdtempSync(join(root, 'case-'));
}

const now = new Date('2025-03-01T12:00:00Z');

describe('keygen', () => {
  for (const curve of ['p384', 'p256'] as Curve[]) {
    test(`writes a ${curve} private key (0600) and a matching self-signed certificate valid for a year`, async () => {
      const dir = freshDir();
      const files = await keygen({ name: 'member0', dir, curve, encryption: false, now });
      assert.deepEqual(files, { privateKey: join(dir, 'member0_privk.pem'), certificate: join(dir, 'member0_cert.pem') });
      assert.equal(statSync(files.privateKey).mode & 0o777, 0o600);
      const privateKey = privateKeyFromPem(readFileSync(files.privateKey, 'utf8'));
      const certificate = readFileSync(files.certificate, 'utf8');
      assert.equal(keyCurve(privateKey), curve);
      assert.ok(certificatePublicKey(certificate).equals(createPublicKey(privateKey)), 'the certificate holds the key');
      assert.equal(certificateSubjectName(certificate), 'member0');
      const parsed = parseCertificate(certificate);
      assert.equal(new Date(parsed.validFrom).getTime(), now.getTime());
      assert.equal(new Date(parsed.validTo).getTime(), now.getTime() + 365 * 24 * 3600 * 1000);
      assert.deepEqual(verifyCertificateChain({ leaf: certificate, trustedRoots: [certificate], at: now }), { ok: true });
      assert.equal(existsSync(join(dir, 'member0_enc_privk.pem')), false);
    });
  }

  test('--encryption also writes an RSA-OAEP key pair for recovery shares', async () => {
    const dir = freshDir();
    const files = await keygen({ name: 'member1', dir, curve: 'p384', encryption: true, now });
    assert.equal(files.encryptionPrivateKey, join(dir, 'member1_enc_privk.pem'));
    assert.equal(files.encryptionPublicKey, join(dir, 'member1_enc_pubk.pem'));
    assert.equal(statSync(files.encryptionPrivateKey).mode & 0o777, 0o600);
    const publicKey = publicKeyFromPem(readFileSync(files.encryptionPublicKey, 'utf8'));
    const privateKey = privateKeyFromPem(readFileSync(files.encryptionPrivateKey, 'utf8'));
    assert.deepEqual(rsaOaepDecrypt(privateKey, rsaOaepEncrypt(publicKey, Buffer.from('share'))), Buffer.from('share'));
  });

  test('refuses to overwrite, and writes nothing, if any of the files exists', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'user0_cert.pem'), 'precious');
    await assert.rejects(
      keygen({ name: 'user0', dir, curve: 'p384', encryption: false, now }),
      (error) => error instanceof CliError && error.exitCode === 2 && /refusing to overwrite .*user0_cert\.pem/.test(error.message),
    );
    assert.equal(existsSync(join(dir, 'user0_privk.pem')), false);
    assert.equal(readFileSync(join(dir, 'user0_cert.pem'), 'utf8'), 'precious');

    await keygen({ name: 'user1', dir, curve: 'p384', encryption: false, now });
    const key = readFileSync(join(dir, 'user1_privk.pem'), 'utf8');
    await assert.rejects(keygen({ name: 'user1', dir, curve: 'p384', encryption: true, now }), CliError);
    assert.equal(readFileSync(join(dir, 'user1_privk.pem'), 'utf8'), key);
    assert.equal(existsSync(join(dir, 'user1_enc_privk.pem')), false);
  });

  test('a bad curve, name or directory is a clear CliError', async () => {
    const dir = freshDir();
    await assert.rejects(keygen({ name: 'm', dir, curve: 'p521' as Curve, encryption: false, now }), { name: 'CliError', message: /unknown curve "p521": use p384 or p256/ });
    await assert.rejects(keygen({ name: '../escape', dir, curve: 'p384', encryption: false, now }), { name: 'CliError', message: /must be letters, digits/ });
    await assert.rejects(keygen({ name: 'm', dir: join(dir, 'missing'), curve: 'p384', encryption: false, now }), { name: 'CliError', message: /does not exist/ });
  });
});
