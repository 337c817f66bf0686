// Reading and checking X.509 certificates with node's own X509Certificate: ids,
// public keys and chain verification. Kept apart from x509.ts (which issues
// certificates with @peculiar/x509) so that verifiers and the CLI's audit commands do
// not load a certificate-issuing library they never use.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { sha256Hex } from './hash.js';

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

/**
 * The one PEM text of a certificate that Coco writes: 64-character base64 lines, `\n`
 * line ends, no trailing newline (what @peculiar/x509 emits). Signed records require it,
 * so that no character of them can change without changing the certificate.
 */
export function canonicalCertificatePem(der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----'].join('\n');
}

export function certificatePublicKey(pem: string): KeyObject {
  return parseCertificate(pem).publicKey;
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
