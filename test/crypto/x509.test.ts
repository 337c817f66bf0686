// Certificates as Coco uses them: the service certificate endorsing nodes from their
// CSRs, organisations issuing members through an intermediate CA, and the chain check
// that receipts and TLS authentication rely on.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { generateKeyPair, type Curve, type KeyPair } from '../../src/crypto/keys.js';
import { certificateFingerprint, certificatePublicKey, parseCertificate, verifyCertificateChain } from '../../src/crypto/certificate.js';
import {
  certificateSubjectName,
  createCertificateSigningRequest,
  createSelfSignedCertificate,
  issueCertificate,
  verifyCertificateSigningRequest,
  type Validity,
} from '../../src/crypto/x509.js';

const validity: Validity = { notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2034-01-01T00:00:00Z') };
const during = new Date('2025-06-01T00:00:00Z');

interface Identity {
  readonly keyPair: KeyPair;
  readonly certificate: string;
}

async function selfSigned(subjectName: string, curve: Curve = 'p384'): Promise<Identity> {
  const keyPair = generateKeyPair(curve);
  return { keyPair, certificate: await createSelfSignedCertificate({ subjectName, keyPair, validity }) };
}

async function issued(subjectName: string, issuer: Identity, options: { isCa?: boolean; validity?: Validity; curve?: Curve } = {}): Promise<Identity> {
  const keyPair = generateKeyPair(options.curve ?? 'p384');
  const certificate = await issueCertificate({
    subjectName,
    subjectPublicKey: keyPair.publicKey,
    issuerCertificate: issuer.certificate,
    issuerPrivateKey: issuer.keyPair.privateKey,
    validity: options.validity ?? validity,
    isCa: options.isCa ?? false,
  });
  return { keyPair, certificate };
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function pemOf(der: Buffer, label: string): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----\n`;
}

/** Changes one byte of the first occurrence of `text` inside the DER, keeping it parseable. */
function tamper(pem: string, label: string, text: string): string {
  const der = derOf(pem);
  const at = der.indexOf(Buffer.from(text));
  assert.ok(at >= 0, `${text} not found in ${label}`);
  der.writeUInt8(der.readUInt8(at) ^ 0x01, at);
  return pemOf(der, label);
}

describe('self-signed certificates', () => {
  for (const [curve, hash] of [['p384', 'SHA-384'], ['p256', 'SHA-256']] as const) {
    test(`a ${curve} service certificate is a CA signed with ECDSA ${hash}`, async () => {
      const service = await selfSigned('service', curve);
      const parsed = parseCertificate(service.certificate);
      assert.equal(parsed.ca, true);
      assert.ok(parsed.verify(service.keyPair.publicKey));
      assert.ok(parsed.checkIssued(parsed));
      assert.ok(certificatePublicKey(service.certificate).equals(service.keyPair.publicKey));
      const peculiar = new x509.X509Certificate(service.certificate);
      assert.equal((peculiar.signatureAlgorithm.hash as { name: string }).name, hash);
      const keyUsage = peculiar.getExtension(x509.KeyUsagesExtension);
      assert.equal(keyUsage?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature);
      assert.ok(peculiar.getExtension(x509.SubjectKeyIdentifierExtension));
      assert.equal(new Date(parsed.validFrom).getTime(), validity.notBefore.getTime());
      assert.equal(new Date(parsed.validTo).getTime(), validity.notAfter.getTime());
    });
  }

  test('the fingerprint is the SHA-256 of the DER and the subject name is the CN', async () => {
    const member = await selfSigned('member0');
    assert.equal(certificateFingerprint(member.certificate), createHash('sha256').update(derOf(member.certificate)).digest('hex'));
    assert.equal(certificateSubjectName(member.certificate), 'member0');
  });

  test('a subject name with DN syntax in it stays one common name', async () => {
    const name = 'Acme, Inc. O=Evil+CN=admin';
    const identity = await selfSigned(name);
    assert.equal(certificateSubjectName(identity.certificate), name);
  });

  test('serial numbers are random and positive unless given', async () => {
    const keyPair = generateKeyPair();
    const serials = await Promise.all([1, 2, 3].map(async () =>
      parseCertificate(await createSelfSignedCertificate({ subjectName: 's', keyPair, validity })).serialNumber));
    assert.equal(new Set(serials).size, 3);
    for (const serial of serials) assert.ok(parseInt(serial.slice(0, 2), 16) < 0x80, serial);
    const fixed = await createSelfSignedCertificate({ subjectName: 's', keyPair, validity, serialNumber: '0a1b2c' });
    assert.equal(parseCertificate(fixed).serialNumber.toLowerCase(), '0a1b2c');
    await assert.rejects(createSelfSignedCertificate({ subjectName: 's', keyPair, validity, serialNumber: 'ff' }), TypeError);
  });

  test('malformed PEM gets a clear error', () => {
    assert.throws(() => parseCertificate('garbage'), /malformed certificate PEM/);
    assert.throws(() => certificateFingerprint(pemOf(Buffer.from('not der'), 'CERTIFICATE')), /malformed certificate PEM/);
    assert.throws(() => certificateSubjectName('garbage'), /malformed certificate PEM/);
  });
});

describe('certificate signing requests', () => {
  test('a node CSR round trips to its subject and public key', async () => {
    for (const curve of ['p384', 'p256'] as const) {
      const keyPair = generateKeyPair(curve);
      const csr = await createCertificateSigningRequest({ subjectName: 'node-1', keyPair });
      const request = verifyCertificateSigningRequest(csr);
      assert.equal(request.subjectName, 'node-1');
      assert.ok(request.publicKey.equals(keyPair.publicKey));
    }
  });

  test('a tampered CSR is rejected', async () => {
    const csr = await createCertificateSigningRequest({ subjectName: 'node-1', keyPair: generateKeyPair() });
    assert.throws(() => verifyCertificateSigningRequest(tamper(csr, 'CERTIFICATE REQUEST', 'node-1')), /does not verify/);
  });

  test('a CSR whose key was swapped is rejected', async () => {
    const csr = await createCertificateSigningRequest({ subjectName: 'node-1', keyPair: generateKeyPair() });
    const der = derOf(csr);
    const victim = generateKeyPair().publicKey.export({ format: 'der', type: 'spki' });
    const ownKey = new x509.Pkcs10CertificateRequest(csr).publicKey.rawData;
    const at = der.indexOf(Buffer.from(ownKey));
    assert.ok(at > 0);
    victim.copy(der, at);
    assert.throws(() => verifyCertificateSigningRequest(pemOf(der, 'CERTIFICATE REQUEST')), /does not verify/);
  });

  test('malformed CSR PEM gets a clear error', () => {
    assert.throws(() => verifyCertificateSigningRequest('garbage'), /malformed certificate signing request/);
    assert.throws(() => verifyCertificateSigningRequest(pemOf(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), 'CERTIFICATE REQUEST')), /malformed certificate signing request/);
  });
});

describe('issued certificates and chains', () => {
  test('the service endorses a node from its CSR, with SANs for TLS', async () => {
    const service = await selfSigned('service');
    const nodeKeys = generateKeyPair();
    const request = verifyCertificateSigningRequest(await createCertificateSigningRequest({ subjectName: 'node-1', keyPair: nodeKeys }));
    const nodeCertificate = await issueCertificate({
      subjectName: request.subjectName,
      subjectPublicKey: request.publicKey,
      issuerCertificate: service.certificate,
      issuerPrivateKey: service.keyPair.privateKey,
      validity,
      subjectAltNames: { ip: ['127.0.0.1'], dns: ['localhost'] },
    });
    const parsed = new X509Certificate(nodeCertificate);
    assert.equal(parsed.ca, false);
    assert.equal(parsed.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(parsed.checkHost('localhost'), 'localhost');
    assert.ok(parsed.checkIssued(new X509Certificate(service.certificate)), 'authority key id matches the service key id');
    assert.ok(certificatePublicKey(nodeCertificate).equals(nodeKeys.publicKey));
    assert.deepEqual(verifyCertificateChain({ leaf: nodeCertificate, trustedRoots: [service.certificate], at: during }), { ok: true });
  });

  test('root → intermediate → member verifies, intermediates in any order', async () => {
    const root = await selfSigned('Acme root CA', 'p256');
    const intermediate = await issued('Acme members CA', root, { isCa: true });
    const member = await issued('member0', intermediate, { curve: 'p256' });
    const unrelated = await issued('unrelated CA', await selfSigned('other root'), { isCa: true });
    assert.equal(parseCertificate(intermediate.certificate).ca, true);
    assert.deepEqual(
      verifyCertificateChain({ leaf: member.certificate, intermediates: [unrelated.certificate, intermediate.certificate], trustedRoots: [root.certificate], at: during }),
      { ok: true },
    );
    const missing = verifyCertificateChain({ leaf: member.certificate, trustedRoots: [root.certificate] });
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.reason : '', /"CN=member0" was not issued by a trusted root/);
  });

  test('a trusted root is accepted as its own leaf', async () => {
    const service = await selfSigned('service');
    assert.deepEqual(verifyCertificateChain({ leaf: service.certificate, trustedRoots: [service.certificate] }), { ok: true });
  });

  test('a certificate from another issuer with the same name is rejected', async () => {
    const service = await selfSigned('service');
    const impostor = await selfSigned('service');
    const node = await issued('node-1', impostor);
    const result = verifyCertificateChain({ leaf: node.certificate, trustedRoots: [service.certificate] });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /signature on "CN=node-1" by "CN=service" does not verify/);
  });

  test('a certificate from an untrusted issuer is rejected', async () => {
    const node = await issued('node-1', await selfSigned('other service'));
    const result = verifyCertificateChain({ leaf: node.certificate, trustedRoots: [(await selfSigned('service')).certificate] });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /not issued by a trusted root.*issuer CN=other service/);
  });

  test('a non-CA intermediate cannot issue', async () => {
    const root = await selfSigned('root');
    const notCa = await issued('user0', root);
    const member = await issued('member0', notCa);
    const result = verifyCertificateChain({ leaf: member.certificate, intermediates: [notCa.certificate], trustedRoots: [root.certificate] });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /"CN=user0" is not a CA certificate/);
  });

  test('a non-CA trusted root cannot issue', async () => {
    const root = await selfSigned('root');
    const notCa = await issued('user0', root);
    const member = await issued('member0', notCa);
    const result = verifyCertificateChain({ leaf: member.certificate, trustedRoots: [notCa.certificate] });
    assert.match(!result.ok ? result.reason : '', /not a CA certificate/);
  });

  test('every certificate on the path must be valid at `at`', async () => {
    const root = await selfSigned('root');
    const shortLived = { notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2025-01-01T00:00:00Z') };
    const intermediate = await issued('intermediate', root, { isCa: true, validity: shortLived });
    const member = await issued('member0', intermediate);
    const chain = { leaf: member.certificate, intermediates: [intermediate.certificate], trustedRoots: [root.certificate] };
    assert.deepEqual(verifyCertificateChain({ ...chain, at: new Date('2024-06-01T00:00:00Z') }), { ok: true });
    assert.deepEqual(verifyCertificateChain(chain), { ok: true }, 'validity is only checked when `at` is given');
    const expired = verifyCertificateChain({ ...chain, at: during });
    assert.match(!expired.ok ? expired.reason : '', /"CN=intermediate" is not valid at 2025-06-01T00:00:00.000Z/);
    const early = verifyCertificateChain({ ...chain, at: new Date('2023-12-31T23:59:59Z') });
    assert.match(!early.ok ? early.reason : '', /"CN=member0" is not valid at/);
    const late = verifyCertificateChain({ ...chain, at: new Date('2040-01-01T00:00:00Z') });
    assert.equal(late.ok, false);
  });

  test('a tampered certificate is rejected', async () => {
    const service = await selfSigned('service');
    const node = await issued('node-1', service);
    const result = verifyCertificateChain({ leaf: tamper(node.certificate, 'CERTIFICATE', 'node-1'), trustedRoots: [service.certificate] });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /does not verify/);
  });

  test('bad input returns a reason instead of throwing', async () => {
    const service = await selfSigned('service');
    const cases: Array<[Parameters<typeof verifyCertificateChain>[0], RegExp]> = [
      [{ leaf: 'garbage', trustedRoots: [service.certificate] }, /leaf certificate is unreadable/],
      [{ leaf: service.certificate, trustedRoots: ['garbage'] }, /trusted root 0 is unreadable/],
      [{ leaf: service.certificate, intermediates: [42 as unknown as string], trustedRoots: [service.certificate] }, /intermediate 0 is unreadable/],
      [{ leaf: service.certificate, trustedRoots: [] }, /no trusted roots/],
      [{ leaf: service.certificate, trustedRoots: [service.certificate], at: new Date('not a date') }, /invalid date/],
    ];
    for (const [input, reason] of cases) {
      const result = verifyCertificateChain(input);
      assert.equal(result.ok, false);
      assert.match(!result.ok ? result.reason : '', reason);
    }
  });

  test('issuing with a key that is not the issuer certificate\'s is a programming error', async () => {
    const service = await selfSigned('service');
    await assert.rejects(
      issueCertificate({ subjectName: 'n', subjectPublicKey: generateKeyPair().publicKey, issuerCertificate: service.certificate, issuerPrivateKey: generateKeyPair().privateKey, validity }),
      assert.AssertionError,
    );
  });
});
