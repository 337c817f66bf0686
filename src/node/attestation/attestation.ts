// An attestation: what a joining node sends to prove which code it runs. Its platform's
// evidence binds the node's public key (report data = SHA-256 of the key's SPKI DER) to
// a measurement of its code. It travels as JSON and is untrusted input, so its shape is
// checked here before any platform verifier reads it. See docs/attestation.md.
import type { KeyObject } from 'node:crypto';
import { sha256 } from '../../crypto/hash.js';
import { attestationFieldCharsMax } from '../../limits.js';

/** The platforms this node can attest and verify; `sev-snp` joins with its verifier. */
export type AttestationPlatform = 'virtual';

/** The version of the Attestation shape; a change to it is a new format. */
export const ATTESTATION_FORMAT = 1;

export interface Attestation {
  readonly format: typeof ATTESTATION_FORMAT;
  /** Names the verifier. Any string may arrive; unknown platforms are refused. */
  readonly platform: string;
  /** Base64 of the platform's report. */
  readonly evidence: string;
  /** Base64 of what vouches for the report (SEV-SNP: the VCEK certificate chain). */
  readonly endorsements?: string;
}

/** What a verified attestation proves, or why it proves nothing. */
export type AttestationResult =
  | { readonly ok: true; readonly platform: AttestationPlatform; readonly measurement: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks one platform's attestations. Given untrusted evidence it returns a refusal with
 * a reason, never throws: it checks the evidence is genuine (for hardware, signed by a
 * key the vendor's root certifies), that its report data is `expectedReportData`, and
 * returns the measurement it attests.
 */
export interface AttestationVerifier {
  readonly platform: AttestationPlatform;
  verify(attestation: Attestation, expectedReportData: Buffer): AttestationResult;
}


/** Bytes of each platform's measurement: `virtual` is a SHA-256 digest of the code. */
export const MEASUREMENT_BYTES: Readonly<Record<AttestationPlatform, number>> = { virtual: 32 };

/** Whether `measurement` is lowercase hex of the right length for `platform`. */
export function isMeasurement(platform: AttestationPlatform, measurement: string): boolean {
  return measurement.length === 2 * MEASUREMENT_BYTES[platform] && /^[0-9a-f]*$/.test(measurement);
}

/** The report data that binds an attestation to a node's key: SHA-256 of its SPKI DER. */
export function attestationReportData(publicKey: KeyObject): Buffer {
  return sha256(publicKey.export({ format: 'der', type: 'spki' }));
}

/** Decodes canonical base64 only: node's own decoder skips characters it does not know. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

const ATTESTATION_KEYS = new Set(['format', 'platform', 'evidence', 'endorsements']);
/** Untrusted strings (platform names, field names) are quoted in reasons only up to this length. */
const QUOTED_CHARS_MAX = 64;

/** Quotes an untrusted string for a reason, cut short if long. */
export function quoteUntrusted(text: string): string {
  return JSON.stringify(text.length > QUOTED_CHARS_MAX ? `${text.slice(0, QUOTED_CHARS_MAX)}…` : text);
}

export type ParsedAttestation = { readonly ok: true; readonly attestation: Attestation } | { readonly ok: false; readonly reason: string };

/** Checks that untrusted JSON has the Attestation shape; the evidence is not read yet. */
export function parseAttestation(value: unknown): ParsedAttestation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refused('the attestation is not a JSON object');
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).find((key) => !ATTESTATION_KEYS.has(key));
  if (extra !== undefined) return refused(`the attestation has an unknown field ${quoteUntrusted(extra)}`);
  if (record.format !== ATTESTATION_FORMAT) {
    const format = typeof record.format === 'number' ? String(record.format) : 'not a number';
    return refused(`the attestation format is ${format}; this node reads format ${ATTESTATION_FORMAT}`);
  }
  const { platform, evidence, endorsements } = record;
  if (typeof platform !== 'string' || platform.length === 0) return refused('the attestation platform is not a non-empty string');
  if (typeof evidence !== 'string') return refused('the attestation evidence is not a string');
  if (evidence.length > attestationFieldCharsMax) return refused(`the attestation evidence is over ${attestationFieldCharsMax} characters`);
  if (endorsements !== undefined && typeof endorsements !== 'string') return refused('the attestation endorsements are not a string');
  if (endorsements !== undefined && endorsements.length > attestationFieldCharsMax) return refused(`the attestation endorsements are over ${attestationFieldCharsMax} characters`);
  return { ok: true, attestation: { format: ATTESTATION_FORMAT, platform, evidence, ...(endorsements === undefined ? {} : { endorsements }) } };
}

/** The refusal arm of AttestationResult and ParsedAttestation. */
export function refused(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}
