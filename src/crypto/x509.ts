// X.509 for Coco's identities: the self-signed service certificate, node certificates
// it endorses (from the node's CSR), and member/user certificates, possibly issued by
// an organisation's intermediate CA. @peculiar/x509 generates; node's X509Certificate
// (OpenSSL) parses and checks signatures, synchronously.
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { certificatePublicKey } from './certificate.js';
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

/** The subject's common name, or the whole subject DN if it has no CN. */
export function certificateSubjectName(pem: string): string {
  const certificate = parsePeculiarCertificate(pem);
  return nameOf(certificate.subjectName, certificate.subject);
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
