// Which verifier checks which platform's attestations. A platform without a verifier
// here is refused, whatever the TEE manifest says: this node cannot check its evidence.
import { quoteUntrusted, type Attestation, type AttestationResult, type AttestationVerifier } from './attestation.js';
import { virtualVerifier } from './virtual-platform.js';

export type VerifierRegistry = ReadonlyMap<string, AttestationVerifier>;

export function verifierRegistry(verifiers: readonly AttestationVerifier[]): VerifierRegistry {
  return new Map(verifiers.map((verifier) => [verifier.platform, verifier]));
}

/** The verifiers this build of Coco has. */
export const defaultVerifiers: VerifierRegistry = verifierRegistry([virtualVerifier]);

/** Verifies `attestation` with its platform's verifier; see AttestationVerifier. */
export function verifyAttestation(attestation: Attestation, expectedReportData: Buffer, verifiers: VerifierRegistry = defaultVerifiers): AttestationResult {
  const verifier = verifiers.get(attestation.platform);
  if (verifier === undefined) {
    const known = [...verifiers.keys()].join(', ');
    return { ok: false, reason: `platform ${quoteUntrusted(attestation.platform)} is not one this node can verify (it knows: ${known})` };
  }
  return verifier.verify(attestation, expectedReportData);
}
