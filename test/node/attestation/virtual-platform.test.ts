// The `virtual` platform: a report binds a node's key to a measurement; the verifier
// refuses a report for another key, and refuses malformed evidence with a reason, never
// a throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Encoder } from 'cbor-x';
import { generateKeyPair } from '../../../src/crypto/keys.js';
import { ATTESTATION_FORMAT, attestationReportData, type Attestation } from '../../../src/node/attestation/attestation.js';
import { produceAttestation } from '../../../src/node/attestation/produce-attestation.js';
import { decodeVirtualReport, encodeVirtualReport, virtualVerifier } from '../../../src/node/attestation/virtual-platform.js';

const encoder = new Encoder({ useRecords: false, structuredClone: false, mapsAsObjects: false, tagUint8Array: false });
const measurement = 'ab'.repeat(32);
const node = generateKeyPair('p256');
const reportData = attestationReportData(node.publicKey);

function withEvidence(evidence: Uint8Array | string): Attestation {
  return { format: ATTESTATION_FORMAT, platform: 'virtual', evidence: typeof evidence === 'string' ? evidence : Buffer.from(evidence).toString('base64') };
}

function refusal(attestation: Attestation): string {
  const result = virtualVerifier.verify(attestation, reportData);
  assert.equal(result.ok, false, 'expected a refusal');
  return (result as { reason: string }).reason;
}

describe('the virtual platform', () => {
  it('verifies a report binding the node key, and returns its measurement', () => {
    const attestation = produceAttestation('virtual', node.publicKey, measurement);
    assert.deepEqual(JSON.parse(JSON.stringify(attestation)), attestation, 'JSON-serialisable');
    assert.deepEqual(virtualVerifier.verify(attestation, reportData), { ok: true, platform: 'virtual', measurement });
  });

  it('binds the key as SHA-256 of its SPKI DER, for P-384 keys too', () => {
    const p384 = generateKeyPair('p384');
    const decoded = decodeVirtualReport(Buffer.from(produceAttestation('virtual', p384.publicKey, measurement).evidence, 'base64'));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.report.reportData, attestationReportData(p384.publicKey));
  });

  it('refuses a report made for another key', () => {
    const other = generateKeyPair('p256');
    const reason = refusal(produceAttestation('virtual', other.publicKey, measurement));
    assert.match(reason, /binds another public key/);
    assert.ok(reason.includes(reportData.toString('hex')), reason);
  });

  it('refuses evidence that is not canonical base64', () => {
    for (const evidence of ['not base64!', 'YWJj=', 'YR==', `${produceAttestation('virtual', node.publicKey, measurement).evidence}\n`]) {
      assert.match(refusal(withEvidence(evidence)), /not canonical base64/, evidence);
    }
  });

  it('refuses garbage and malformed reports with a reason', () => {
    const report = (entries: Array<[unknown, unknown]>) => encoder.encode(new Map(entries));
    const good: Array<[unknown, unknown]> = [['platform', 'virtual'], ['format', 1], ['measurement', Buffer.alloc(32, 1)], ['report_data', reportData]];
    const cases: Array<[Uint8Array | string, RegExp]> = [
      ['', /not CBOR/],
      [Buffer.from('garbage in, garbage out'), /not CBOR|not a CBOR map/],
      [Buffer.from([0xff]), /not CBOR/],
      [encoder.encode(['virtual', 1]), /not a CBOR map/],
      [report(good.slice(0, 3)), /fields are not/],
      [report([...good, ['extra', 1]]), /fields are not/],
      [report([good[1]!, good[0]!, good[2]!, good[3]!]), /fields are not/],
      [report([['platform', 'sev-snp'], ...good.slice(1)]), /names platform "sev-snp"/],
      [report([good[0]!, ['format', 2], good[2]!, good[3]!]), /format is not 1/],
      [report([good[0]!, good[1]!, ['measurement', Buffer.alloc(31)], good[3]!]), /measurement is not 32 bytes/],
      [report([good[0]!, good[1]!, ['measurement', 'ab'.repeat(32)], good[3]!]), /measurement is not 32 bytes/],
      [report([good[0]!, good[1]!, good[2]!, ['report_data', Buffer.alloc(64)]]), /report_data is not 32 bytes/],
      [Buffer.concat([report(good), Buffer.from([0])]), /not CBOR|canonical/],
    ];
    for (const [evidence, expected] of cases) assert.match(refusal(withEvidence(evidence)), expected, String(expected));
  });

  it('refuses a report in a non-canonical encoding', () => {
    const canonical = encodeVirtualReport({ measurement: Buffer.alloc(32, 7), reportData });
    assert.equal(canonical[0], 0xa4, 'a map of four pairs');
    // The same map with its length in a one-byte argument (0xb8 0x04) instead of the head.
    const longHead = Buffer.concat([Buffer.from([0xb8, 0x04]), canonical.subarray(1)]);
    assert.match(refusal(withEvidence(longHead)), /canonical form/);
  });

  it('refuses endorsements and attestations for other platforms', () => {
    const attestation = produceAttestation('virtual', node.publicKey, measurement);
    assert.match(refusal({ ...attestation, endorsements: 'AAAA' }), /carries no endorsements/);
    assert.match(refusal({ ...attestation, platform: 'sev-snp' }), /cannot check a "sev-snp" attestation/);
  });

  it('never throws on random evidence', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 })), (evidence) => {
        assert.equal(virtualVerifier.verify(withEvidence(evidence), reportData).ok, false);
      }),
    );
  });

  it('produces only well-formed measurements', () => {
    assert.throws(() => produceAttestation('virtual', node.publicKey, 'AB'.repeat(32)), /lowercase hex/);
    assert.throws(() => produceAttestation('virtual', node.publicKey, 'ab'.repeat(48)), /lowercase hex/);
  });
});
