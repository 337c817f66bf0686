// The `virtual` platform, for development and CI, like CCF's virtual mode. Its evidence
// is a report with the same fields a hardware report has (platform, measurement, report
// data) and nothing vouching for it: no hardware key signs it, so anyone can write one
// with any measurement for any key. It proves nothing against a malicious host; it
// exists so the join path (binding, manifests, refusals) runs where there is no TEE.
//
// The report is deterministic CBOR (cbor-x), a map with these keys in this order:
//   { "platform": "virtual", "format": 1, "measurement": bstr(32), "report_data": bstr(32) }
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { Decoder, Encoder } from 'cbor-x';
import {
  ATTESTATION_FORMAT,
  MEASUREMENT_BYTES,
  attestationReportData,
  decodeBase64Strict,
  isMeasurement,
  quoteUntrusted,
  refused,
  type Attestation,
  type AttestationResult,
  type AttestationVerifier,
} from './attestation.js';

const PLATFORM = 'virtual';
const REPORT_FORMAT = 1;
const REPORT_DATA_BYTES = 32;
const REPORT_KEYS = ['platform', 'format', 'measurement', 'report_data'] as const;

// cbor-x both ways; the structure is checked after decoding.
const options = { useRecords: false, structuredClone: false, mapsAsObjects: false, tagUint8Array: false } as const;
const encoder = new Encoder(options);
const decoder = new Decoder(options);

export interface VirtualReport {
  readonly measurement: Buffer;
  readonly reportData: Buffer;
}

export function encodeVirtualReport(report: VirtualReport): Buffer {
  assert.equal(report.measurement.length, MEASUREMENT_BYTES.virtual, 'a virtual measurement is 32 bytes');
  assert.equal(report.reportData.length, REPORT_DATA_BYTES, 'virtual report data is 32 bytes');
  const map = new Map<string, unknown>([
    ['platform', PLATFORM],
    ['format', REPORT_FORMAT],
    ['measurement', report.measurement],
    ['report_data', report.reportData],
  ]);
  // The encoder returns a view of its reused scratch space: copy it out.
  return Buffer.from(encoder.encode(map));
}

export type DecodedVirtualReport = { readonly ok: true; readonly report: VirtualReport } | { readonly ok: false; readonly reason: string };

/** Reads a report strictly: exactly the fields above, in canonical form; never throws. */
export function decodeVirtualReport(bytes: Buffer): DecodedVirtualReport {
  let decoded: unknown;
  try {
    decoded = decoder.decode(bytes);
  } catch (error) {
    return refused(`the virtual report is not CBOR (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!(decoded instanceof Map)) return refused('the virtual report is not a CBOR map');
  const keys = [...(decoded as Map<unknown, unknown>).keys()];
  if (keys.length !== REPORT_KEYS.length || keys.some((key, index) => key !== REPORT_KEYS[index])) {
    return refused(`the virtual report's fields are not ${REPORT_KEYS.join(', ')}`);
  }
  const platform: unknown = decoded.get('platform');
  const format: unknown = decoded.get('format');
  const measurement: unknown = decoded.get('measurement');
  const reportData: unknown = decoded.get('report_data');
  if (platform !== PLATFORM) return refused(`the virtual report names platform ${typeof platform === 'string' ? quoteUntrusted(platform) : 'of another type'}`);
  if (format !== REPORT_FORMAT) return refused(`the virtual report format is not ${REPORT_FORMAT}`);
  if (!(measurement instanceof Uint8Array) || measurement.length !== MEASUREMENT_BYTES.virtual) {
    return refused(`the virtual report's measurement is not ${MEASUREMENT_BYTES.virtual} bytes`);
  }
  if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_BYTES) {
    return refused(`the virtual report's report_data is not ${REPORT_DATA_BYTES} bytes`);
  }
  const report = { measurement: Buffer.from(measurement), reportData: Buffer.from(reportData) };
  // One encoding per report: refuse what cbor-x accepts but we would not write (longer
  // heads, indefinite lengths, duplicate keys, trailing bytes).
  if (!encodeVirtualReport(report).equals(bytes)) return refused('the virtual report is not in canonical form');
  return { ok: true, report };
}

/** The joiner's side: a report binding `publicKey` to `measurement` (lowercase hex). */
export function produceVirtualAttestation(publicKey: KeyObject, measurement: string): Attestation {
  assert(isMeasurement(PLATFORM, measurement), `a virtual measurement is ${2 * MEASUREMENT_BYTES.virtual} lowercase hex digits`);
  const report = encodeVirtualReport({ measurement: Buffer.from(measurement, 'hex'), reportData: attestationReportData(publicKey) });
  return { format: ATTESTATION_FORMAT, platform: PLATFORM, evidence: report.toString('base64') };
}

export const virtualVerifier: AttestationVerifier = {
  platform: PLATFORM,
  verify(attestation: Attestation, expectedReportData: Buffer): AttestationResult {
    assert.equal(expectedReportData.length, REPORT_DATA_BYTES, 'report data to expect is a SHA-256 digest');
    if (attestation.platform !== PLATFORM) return refused(`the virtual verifier cannot check a ${quoteUntrusted(attestation.platform)} attestation`);
    if (attestation.endorsements !== undefined) return refused('a virtual attestation carries no endorsements');
    const bytes = decodeBase64Strict(attestation.evidence);
    if (bytes === undefined) return refused('the virtual attestation evidence is not canonical base64');
    const decoded = decodeVirtualReport(bytes);
    if (!decoded.ok) return decoded;
    const { measurement, reportData } = decoded.report;
    if (!reportData.equals(expectedReportData)) {
      return refused(
        `the virtual report binds another public key: its report_data ${reportData.toString('hex')} is not ` +
          `${expectedReportData.toString('hex')}, the SHA-256 of the joining node's public key`,
      );
    }
    return { ok: true, platform: PLATFORM, measurement: measurement.toString('hex') };
  },
};
