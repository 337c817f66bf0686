// X.509 for Coco's identities: the self-signed service certificate, node certificates
// it endorses (from the node's CSR), and member/user certificates, possibly issued by
// an organisation's intermediate CA. @peculiar/x509 generates; node's X509Certificate
// (OpenSSL) parses and checks signatures, synchronously.
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, randomBytes, verify, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { sha256Hex } from './hash.js';
import { curveHash, keyCurve, type Curve, type KeyPair } from './keys.js';

x509.cryptoProvider.set(webcrypto);

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface SubjectAltNames {
  readonly ip?: readonly string[];
  readonly dns?: readonly string[];
}

const SERIAL_NUMBER_BYTES = 16;
/** RFC 5280 §4.1.2.2: at most 20 octets, positive. */
const SERIAL_NUMBER_BYTES_MAX = 20;

const WEB_CURVES: Readonly<Record<Curve, { namedCurve: string; hash: string }>> = {
  p384: { namedCurve: 'P-384', hash: 'SHA-384' },
  p256: { namedCurve: 'P-256', hash: 'SHA-256' },
};

const CA_KEY_USAGES = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;
// keyAgreement too, so the key also serves static ECDH if a TLS stack asks for it.
const LEAF_KEY_USAGES = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement;

/** A CA certificate (service identity, organisation root) signed by its own key. */
export async function createSelfSignedCertificate(options: {
  readonly subjectName: string;
  readonly keyPair: KeyPair;
  readonly validity: Validity;
  readonly serialNumber?: string;
}): Promise<string> {
  const curve = keyCurve(options.keyPair.privateKey);
  const publicKey = await toCryptoPublicKey(options.keyPair.publicKey);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumberHex(options.serialNumber),
    name: distinguishedName(options.subjectName),
    ...validityDates(options.validity),
    signingAlgorithm: signingAlgorithm(curve),
    keys: { publicKey, privateKey: await toCryptoPrivateKey(options.keyPair.privateKey) },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGES, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return certificate.toString('pem');
}

export async function createCertificateSigningRequest(options: {
  readonly subjectName: string;
  readonly keyPair: KeyPair;
}): Promise<string> {
  const curve = keyCurve(options.keyPair.privateKey);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: distinguishedName(options.subjectName),
    signingAlgorithm: signingAlgorithm(curve),
    keys: {
      publicKey: await toCryptoPublicKey(options.keyPair.publicKey),
      privateKey: await toCryptoPrivateKey(options.keyPair.privateKey),
    },
  });
  return csr.toString('pem');
}

/** Gives access to the exact signed bytes of a CSR, which @peculiar/x509 keeps protected. */
class SignedCertificateRequest extends x509.Pkcs10CertificateRequest {
  get signedBytes(): ArrayBuffer | undefined {
    return this.asn.certificationRequestInfoRaw;
  }
}

/**
 * Parses a PKCS#10 CSR and checks its self-signature, which proves the requester holds
 * the private key. Throws a clear Error for malformed or badly signed requests.
 */
export function verifyCertificateSigningRequest(csrPem: string): { subjectName: string; publicKey: KeyObject } {
  let csr: SignedCertificateRequest;
  let publicKey: KeyObject;
  try {
    csr = new SignedCertificateRequest(csrPem);
    publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (error) {
    throw new Error(`malformed certificate signing request: ${(error as Error).message}`);
  }
  const signedBytes = csr.signedBytes;
  const hash = csr.signatureAlgorithm.hash?.name;
  if (signedBytes === undefined || hash === undefined) {
    throw new Error('certificate signing request has no verifiable signature');
  }
  let curve: Curve;
  try {
    curve = keyCurve(publicKey);
  } catch (error) {
    throw new Error(`certificate signing request key is unusable: ${(error as Error).message}`);
  }
  if (hash !== WEB_CURVES[curve].hash) {
    throw new Error(`certificate signing request is signed with ${hash}; a ${curve} key signs with ${WEB_CURVES[curve].hash}`);
  }
  // X.509 carries ECDSA signatures as DER SEQUENCE { r, s }, node's default encoding.
  const valid = verify(curveHash(curve), Buffer.from(signedBytes), publicKey, Buffer.from(csr.signature));
  if (!valid) throw new Error('certificate signing request signature does not verify');
  return { subjectName: nameOf(csr.subjectName, csr.subject), publicKey };
}

/**
 * Issues a certificate for subjectPublicKey, signed by the issuer: node certificates
 * endorsed by the service (with SANs for TLS), member and user certificates, and
 * organisation intermediate CAs (isCa).
 */
export async function issueCertificate(options: {
  readonly subjectName: string;
  readonly subjectPublicKey: KeyObject;
  readonly issuerCertificate: string;
  readonly issuerPrivateKey: KeyObject;
  readonly validity: Validity;
  readonly isCa?: boolean;
  readonly subjectAltNames?: SubjectAltNames;
  readonly serialNumber?: string;
}): Promise<string> {
  const issuer = parsePeculiarCertificate(options.issuerCertificate);
  const issuerCurve = keyCurve(options.issuerPrivateKey);
  assert(
    createPublicKey(options.issuerPrivateKey).equals(certificatePublicKey(options.issuerCertificate)),
    'issuerPrivateKey does not belong to issuerCertificate',
  );
  const subjectPublicKey = await toCryptoPublicKey(options.subjectPublicKey);
  const isCa = options.isCa ?? false;
  const issuerKeyId = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(isCa, undefined, true),
    new x509.KeyUsagesExtension(isCa ? CA_KEY_USAGES : LEAF_KEY_USAGES, true),
    await x509.SubjectKeyIdentifierExtension.create(subjectPublicKey),
    issuerKeyId === undefined
      ? await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey)
      : new x509.AuthorityKeyIdentifierExtension(issuerKeyId),
  ];
  const names = subjectAltNames(options.subjectAltNames);
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumberHex(options.serialNumber),
    subject: distinguishedName(options.subjectName),
    issuer: issuer.subjectName,
    ...validityDates(options.validity),
    signingAlgorithm: signingAlgorithm(issuerCurve),
    publicKey: subjectPublicKey,
    signingKey: await toCryptoPrivateKey(options.issuerPrivateKey),
    extensions,
  });
  return certificate.toString('pem');
}

/** Parses a PEM certificate; throws a clear Error if it is not one. */
export function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new Error(`malformed certificate PEM: ${(error as Error).message}`);
  }
}

/** Hex SHA-256 of the certificate DER: the id of a member or user. */
export function certificateFingerprint(pem: string): string {
  return sha256Hex(parseCertificate(pem).raw);
}

export function certificatePublicKey(pem: string): KeyObject {
  return parseCertificate(pem).publicKey;
}

/** The subject's common name, or the whole subject DN if it has no CN. */
export function certificateSubjectName(pem: string): string {
  const certificate = parsePeculiarCertificate(pem);
  return nameOf(certificate.subjectName, certificate.subject);
}

export type ChainResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks that leaf chains, through intermediates (in any order, each used at most
 * once), to one of trustedRoots: every signature verifies, every issuer is a CA
 * whose name and key identifier match, and, given `at`, every certificate on the
 * path is valid then. Untrusted input never throws; the reason names the problem.
 */
export function verifyCertificateChain(options: {
  readonly leaf: string;
  readonly intermediates?: readonly string[];
  readonly trustedRoots: readonly string[];
  readonly at?: Date;
}): ChainResult {
  const leaf = tryParse(options.leaf, 'leaf certificate');
  if (!leaf.ok) return leaf;
  const roots: X509Certificate[] = [];
  for (const [index, pem] of options.trustedRoots.entries()) {
    const root = tryParse(pem, `trusted root ${index}`);
    if (!root.ok) return root;
    roots.push(root.certificate);
  }
  const unused: X509Certificate[] = [];
  for (const [index, pem] of (options.intermediates ?? []).entries()) {
    const intermediate = tryParse(pem, `intermediate ${index}`);
    if (!intermediate.ok) return intermediate;
    unused.push(intermediate.certificate);
  }
  if (roots.length === 0) return { ok: false, reason: 'no trusted roots given' };
  if (options.at !== undefined && Number.isNaN(options.at.getTime())) return { ok: false, reason: 'the time to check validity at is an invalid date' };

  let current = leaf.certificate;
  for (;;) {
    const expired = validityProblem(current, options.at);
    if (expired !== undefined) return { ok: false, reason: expired };
    const root = roots.find((candidate) => issuerProblem(current, candidate) === undefined);
    if (root !== undefined) {
      const rootExpired = validityProblem(root, options.at);
      return rootExpired === undefined ? { ok: true } : { ok: false, reason: rootExpired };
    }
    const next = unused.findIndex((candidate) => issuerProblem(current, candidate) === undefined);
    if (next === -1) return { ok: false, reason: noIssuerReason(current, [...roots, ...unused]) };
    [current] = unused.splice(next, 1) as [X509Certificate];
  }
}

function tryParse(pem: string, what: string): { ok: true; certificate: X509Certificate } | { ok: false; reason: string } {
  try {
    if (typeof pem !== 'string') throw new Error('not a string');
    return { ok: true, certificate: parseCertificate(pem) };
  } catch (error) {
    return { ok: false, reason: `${what} is unreadable: ${(error as Error).message}` };
  }
}

/** Why `issuer` did not issue `certificate`, or undefined if it did. */
function issuerProblem(certificate: X509Certificate, issuer: X509Certificate): string | undefined {
  if (certificate.issuer !== issuer.subject) return 'issuer name differs';
  let signed: boolean;
  try {
    signed = certificate.verify(issuer.publicKey);
  } catch {
    signed = false;
  }
  if (!signed) return `signature on ${describe(certificate)} by ${describe(issuer)} does not verify`;
  if (!issuer.ca) return `${describe(issuer)} is not a CA certificate, so it cannot issue ${describe(certificate)}`;
  // OpenSSL's check: key identifiers match and the issuer's key usage allows keyCertSign.
  if (!certificate.checkIssued(issuer)) {
    return `${describe(issuer)} may not issue ${describe(certificate)}: key identifier or key usage mismatch`;
  }
  return undefined;
}

function noIssuerReason(certificate: X509Certificate, candidates: readonly X509Certificate[]): string {
  const problems = candidates
    .map((candidate) => issuerProblem(certificate, candidate))
    .filter((problem): problem is string => problem !== undefined && problem !== 'issuer name differs');
  if (problems.length > 0) return problems.join('; ');
  return `${describe(certificate)} was not issued by a trusted root or given intermediate (issuer ${oneLine(certificate.issuer)})`;
}

function validityProblem(certificate: X509Certificate, at: Date | undefined): string | undefined {
  if (at === undefined) return undefined;
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (at < notBefore || at > notAfter) {
    return `${describe(certificate)} is not valid at ${at.toISOString()} (valid ${notBefore.toISOString()} to ${notAfter.toISOString()})`;
  }
  return undefined;
}

function describe(certificate: X509Certificate): string {
  return `"${oneLine(certificate.subject)}"`;
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

function parsePeculiarCertificate(pem: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (error) {
    throw new Error(`malformed certificate PEM: ${(error as Error).message}`);
  }
}

function nameOf(name: x509.Name, wholeName: string): string {
  return name.getField('CN')[0] ?? wholeName;
}

/** A one-attribute DN built as data, so commas or '=' in a name cannot inject attributes. */
function distinguishedName(commonName: string): x509.JsonName {
  assert(typeof commonName === 'string' && commonName.length > 0, 'a certificate subject name must be a non-empty string');
  return [{ CN: [commonName] }];
}

function signingAlgorithm(curve: Curve): webcrypto.EcdsaParams {
  return { name: 'ECDSA', hash: WEB_CURVES[curve].hash };
}

function validityDates(validity: Validity): { notBefore: Date; notAfter: Date } {
  assert(validity.notBefore <= validity.notAfter, 'certificate validity ends before it starts');
  return { notBefore: validity.notBefore, notAfter: validity.notAfter };
}

/** A given serial number (hex, positive, at most 20 bytes) or a random positive one. */
function serialNumberHex(serialNumber: string | undefined): string {
  if (serialNumber === undefined) {
    const bytes = randomBytes(SERIAL_NUMBER_BYTES);
    // Top bit clear keeps the DER INTEGER positive; 0x40 set keeps it minimal and full length.
    bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
    return bytes.toString('hex');
  }
  const valid = /^[0-9a-fA-F]+$/.test(serialNumber) && serialNumber.length % 2 === 0
    && serialNumber.length / 2 <= SERIAL_NUMBER_BYTES_MAX && parseInt(serialNumber.slice(0, 2), 16) < 0x80
    && /[1-9a-fA-F]/.test(serialNumber);
  if (!valid) {
    throw new TypeError(`serial number must be positive hex of at most ${SERIAL_NUMBER_BYTES_MAX} bytes: ${JSON.stringify(serialNumber)}`);
  }
  return serialNumber;
}

function subjectAltNames(names: SubjectAltNames | undefined): x509.JsonGeneralName[] {
  return [
    ...(names?.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(names?.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
}

async function toCryptoPrivateKey(privateKey: KeyObject): Promise<webcrypto.CryptoKey> {
  const curve = keyCurve(privateKey);
  assert.equal(privateKey.type, 'private', 'a signing key must be a private key');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return (await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: WEB_CURVES[curve].namedCurve }, false, ['sign']));
}

async function toCryptoPublicKey(publicKey: KeyObject): Promise<webcrypto.CryptoKey> {
  const curve = keyCurve(publicKey);
  const spki = (publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey).export({ format: 'der', type: 'spki' });
  return (await webcrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: WEB_CURVES[curve].namedCurve }, true, ['verify']));
}
