// What verifiers need from a signing node's certificate, remembered per certificate:
// its public key and node id, and whether the service endorsed it. Both depend only on
// the certificates, and a ledger or a batch of receipts names a handful of nodes
// thousands of times, so each certificate is parsed and each chain checked once.
import type { KeyObject } from 'node:crypto';
import { publicKeyFingerprint } from '../crypto/keys.js';
import { canonicalCertificatePem, parseCertificate, verifyCertificateChain, type ChainResult } from '../crypto/certificate.js';

/** Distinct certificates (and certificate pairs) remembered; the oldest is forgotten first. */
const certificateCacheEntriesMax = 1024;

type NodeKey = { readonly ok: true; readonly publicKey: KeyObject; readonly nodeId: string } | { readonly ok: false; readonly reason: string };

const keys = new Map<string, NodeKey>();
const endorsements = new Map<string, ChainResult>();

function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    if (cache.size >= certificateCacheEntriesMax) cache.delete(cache.keys().next().value as string);
    cache.set(key, value);
  }
  return value;
}

/** The public key of a node certificate and the node id it gives (hex SHA-256 of the key). */
export function nodeCertificateKey(nodeCertificate: string): NodeKey {
  return remember(keys, nodeCertificate, () => {
    try {
      const certificate = parseCertificate(nodeCertificate);
      if (canonicalCertificatePem(certificate.raw) !== nodeCertificate) {
        return { ok: false, reason: 'signing node certificate is not in canonical PEM form' };
      }
      const publicKey = certificate.publicKey;
      return { ok: true, publicKey, nodeId: publicKeyFingerprint(publicKey) };
    } catch (error) {
      return { ok: false, reason: `signing node certificate unreadable: ${(error as Error).message}` };
    }
  });
}

/**
 * Whether the service certificate issued the node certificate. Signatures and receipts
 * are checked long after they were made: the endorsement matters, not the clock, so
 * validity periods are not checked here.
 */
export function checkEndorsement(nodeCertificate: string, serviceCertificate: string): ChainResult {
  return remember(endorsements, `${serviceCertificate}\n${nodeCertificate}`, () =>
    verifyCertificateChain({ leaf: nodeCertificate, trustedRoots: [serviceCertificate] }),
  );
}
