// The primary's check of a joining node's attestation (CCF:
// verify_quote_against_store): the evidence must be genuine and bind the node's public
// key, its platform must be in the TEE manifest and its measurement in the code
// manifest, for that platform. The manifests are read in the join transaction, so a
// concurrent governance change to them makes the join conflict and re-run rather than
// pass on stale manifests.
import type { KeyObject } from 'node:crypto';
import type { Transaction } from '../../kv/transaction.js';
import { CODE_IDS_MAP, TEE_PLATFORMS_MAP, type CodeIdInfo, type TeePlatformInfo } from '../../gov/service-maps.js';
import { attestationReportData, parseAttestation, quoteUntrusted, refused, type AttestationResult } from './attestation.js';
import { defaultVerifiers, verifyAttestation, type VerifierRegistry } from './verifier-registry.js';

/**
 * Checks an attestation as received (untrusted JSON) from the node holding
 * `nodePublicKey`. Reads the manifests in `tx` and writes nothing.
 */
export function checkJoinAttestation(
  tx: Transaction,
  attestation: unknown,
  nodePublicKey: KeyObject,
  verifiers: VerifierRegistry = defaultVerifiers,
): AttestationResult {
  const parsed = parseAttestation(attestation);
  if (!parsed.ok) return parsed;
  const verified = verifyAttestation(parsed.attestation, attestationReportData(nodePublicKey), verifiers);
  if (!verified.ok) return verified;
  const { platform, measurement } = verified;

  // Governance writes the manifests; a malformed value refuses the join, never crashes it.
  const tee = tx.map<string, Partial<TeePlatformInfo> | null>(TEE_PLATFORMS_MAP).get(platform);
  if (tee === undefined) return refused(`platform ${platform} is not in the TEE manifest`);
  if (tee?.status !== 'Allowed') return refused(`platform ${platform} is in the TEE manifest with status ${quoteUntrusted(String(tee?.status))}, not Allowed`);

  const code = tx.map<string, Partial<CodeIdInfo> | null>(CODE_IDS_MAP).get(measurement);
  if (code === undefined) return refused(`measurement ${measurement} is not in the code manifest`);
  if (code?.platform !== platform) {
    return refused(`measurement ${measurement} is in the code manifest for platform ${quoteUntrusted(String(code?.platform))}, not ${platform}`);
  }
  if (code.status !== 'AllowedToJoin') {
    return refused(`measurement ${measurement} is in the code manifest with status ${quoteUntrusted(String(code.status))}, not AllowedToJoin`);
  }
  return verified;
}
