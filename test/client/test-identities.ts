// TLS identities for the client tests: the service certificate and the node
// certificate it issued (SAN IP 127.0.0.1), the same pair the ledger fixture signs
// with, so the receipts the test node serves verify against the certificate the
// client trusts; a user certificate from a users' CA; and an impostor, a node of
// another service.
import { identities } from '../../examples/demo-ledger.js';
import { generateKeyPair, privateKeyToPem } from '../../src/crypto/keys.js';
import { createSelfSignedCertificate, issueCertificate } from '../../src/crypto/x509.js';
import { sharedIdentities } from '../ledger/primary-fixture.js';

export interface PemIdentity {
  readonly certificate: string;
  readonly privateKey: string;
}

export interface TestIdentities {
  readonly serviceCertificate: string;
  readonly node: PemIdentity;
  readonly usersCa: string;
  readonly user: PemIdentity;
  /** A node certificate issued by a different service. */
  readonly impostorNode: PemIdentity;
}

let cached: Promise<TestIdentities> | undefined;

export function testIdentities(): Promise<TestIdentities> {
  cached ??= make();
  return cached;
}

async function make(): Promise<TestIdentities> {
  const now = new Date();
  const validity = { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 24 * 3600 * 1000) };
  const { serviceCertificate, signer } = await sharedIdentities();
  const usersCaKeys = generateKeyPair();
  const usersCa = await createSelfSignedCertificate({ subjectName: 'users CA', keyPair: usersCaKeys, validity });
  const userKeys = generateKeyPair();
  const userCertificate = await issueCertificate({
    subjectName: 'user0',
    subjectPublicKey: userKeys.publicKey,
    issuerCertificate: usersCa,
    issuerPrivateKey: usersCaKeys.privateKey,
    validity,
  });
  const impostor = await identities();
  return {
    serviceCertificate,
    node: { certificate: signer.certificate, privateKey: privateKeyToPem(signer.privateKey) },
    usersCa,
    user: { certificate: userCertificate, privateKey: privateKeyToPem(userKeys.privateKey) },
    impostorNode: { certificate: impostor.signer.certificate, privateKey: privateKeyToPem(impostor.signer.privateKey) },
  };
}
