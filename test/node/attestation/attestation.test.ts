// The attestation envelope: its shape is checked before any verifier reads it, and an
// unknown platform is refused by the verifier registry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '../../../src/crypto/keys.js';
import { attestationReportData, decodeBase64Strict, parseAttestation } from '../../../src/node/attestation/attestation.js';
import { attestationFieldCharsMax } from '../../../src/limits.js';
import { produceAttestation } from '../../../src/node/attestation/produce-attestation.js';
import { verifyAttestation } from '../../../src/node/attestation/verifier-registry.js';

const node = generateKeyPair('p256');
const attestation = produceAttestation('virtual', node.publicKey, '01'.repeat(32));

function parseRefusal(value: unknown): string {
  const parsed = parseAttestation(value);
  assert.equal(parsed.ok, false, 'expected a refusal');
  return (parsed as { reason: string }).reason;
}

describe('attestations', () => {
  it('parse from their JSON form', () => {
    assert.deepEqual(parseAttestation(JSON.parse(JSON.stringify(attestation))), { ok: true, attestation });
    const endorsed = { ...attestation, endorsements: 'AAAA' };
    assert.deepEqual(parseAttestation(endorsed), { ok: true, attestation: endorsed });
  });

  it('refuse a malformed shape with a reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /not a JSON object/],
      [[attestation], /not a JSON object/],
      ['virtual', /not a JSON object/],
      [{ ...attestation, extra: 1 }, /unknown field "extra"/],
      [{ ...attestation, format: 2 }, /format is 2; this node reads format 1/],
      [{ platform: 'virtual', evidence: '' }, /format is not a number/],
      [{ ...attestation, platform: '' }, /platform is not a non-empty string/],
      [{ ...attestation, platform: 7 }, /platform is not a non-empty string/],
      [{ ...attestation, evidence: 7 }, /evidence is not a string/],
      [{ ...attestation, evidence: 'A'.repeat(attestationFieldCharsMax + 4) }, /evidence is over/],
      [{ ...attestation, endorsements: {} }, /endorsements are not a string/],
      [{ ...attestation, endorsements: 'A'.repeat(attestationFieldCharsMax + 4) }, /endorsements are over/],
    ];
    for (const [value, expected] of cases) assert.match(parseRefusal(value), expected, String(expected));
  });

  it('refuse an unknown platform, naming it and the known ones', () => {
    const result = verifyAttestation({ ...attestation, platform: 'sgx' }, attestationReportData(node.publicKey));
    assert.deepEqual(result, { ok: false, reason: 'platform "sgx" is not one this node can verify (it knows: virtual)' });
    const long = verifyAttestation({ ...attestation, platform: 'x'.repeat(10_000) }, attestationReportData(node.publicKey));
    assert.ok(!long.ok && long.reason.length < 200, 'an untrusted name is cut short in the reason');
  });

  it('decode canonical base64 only', () => {
    assert.deepEqual(decodeBase64Strict('YWJj'), Buffer.from('abc'));
    assert.deepEqual(decodeBase64Strict(''), Buffer.alloc(0));
    for (const text of ['YWJ', 'YW Jj', 'YWJj\n', 'YR==', 'YWJj====', '-_-_']) assert.equal(decodeBase64Strict(text), undefined, text);
  });
});
