// Whether a node certificate is endorsed (issued) by the service certificate, as
// receipts and the ledger verifier require. The answer depends only on the two
// certificates, so it is remembered: an auditor checking thousands of receipts or
// signatures from a handful of nodes pays for each chain once.
import { verifyCertificateChain, type ChainResult } from '../crypto/x509.js';

/** Distinct (node, service) certificate pairs remembered; the oldest is forgotten first. */
const endorsementCacheEntriesMax = 1024;
const cache = new Map<string, ChainResult>();

export function checkEndorsement(nodeCertificate: string, serviceCertificate: string): ChainResult {
  const key = `${serviceCertificate}\n${nodeCertificate}`;
  let result = cache.get(key);
  if (result === undefined) {
    // Signatures and receipts are checked long after they were made: the endorsement
    // matters, not the clock, so validity periods are not checked here.
    result = verifyCertificateChain({ leaf: nodeCertificate, trustedRoots: [serviceCertificate] });
    if (cache.size >= endorsementCacheEntriesMax) cache.delete(cache.keys().next().value as string);
    cache.set(key, result);
  }
  return result;
}
