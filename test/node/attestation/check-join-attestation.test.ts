// The primary's check at join: genuine evidence binding the joiner's key, a platform in
// the TEE manifest, and a measurement in the code manifest for that platform.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '../../../src/crypto/keys.js';
import { CODE_IDS_MAP, TEE_PLATFORMS_MAP, type CodeIdInfo, type TeePlatformInfo } from '../../../src/gov/service-maps.js';
import { Store } from '../../../src/kv/index.js';
import { checkJoinAttestation } from '../../../src/node/attestation/check-join-attestation.js';
import { produceAttestation } from '../../../src/node/attestation/produce-attestation.js';

const allowed = 'aa'.repeat(32);
const other = 'bb'.repeat(32);
const joiner = generateKeyPair('p256');

/** A store whose manifests hold what `write` puts there. */
function storeWith(write: (codeIds: Map<string, unknown>, platforms: Map<string, unknown>) => void): Store {
  const codeIds = new Map<string, unknown>();
  const platforms = new Map<string, unknown>();
  write(codeIds, platforms);
  const store = new Store();
  const tx = store.begin({ privileged: true });
  for (const [key, value] of codeIds) tx.map(CODE_IDS_MAP).set(key, value);
  for (const [key, value] of platforms) tx.map(TEE_PLATFORMS_MAP).set(key, value);
  assert.equal(tx.commit().status, 'committed');
  return store;
}

const seeded = storeWith((codeIds, platforms) => {
  codeIds.set(allowed, { status: 'AllowedToJoin', platform: 'virtual' } satisfies CodeIdInfo);
  platforms.set('virtual', { status: 'Allowed' } satisfies TeePlatformInfo);
});

function check(store: Store, attestation: unknown) {
  return checkJoinAttestation(store.begin(), attestation, joiner.publicKey);
}

function reason(result: ReturnType<typeof check>): string {
  assert.equal(result.ok, false, 'expected a refusal');
  return (result as { reason: string }).reason;
}

describe('the join attestation check', () => {
  it('admits an allowed measurement on an allowed platform', () => {
    const attestation = JSON.parse(JSON.stringify(produceAttestation('virtual', joiner.publicKey, allowed)));
    assert.deepEqual(check(seeded, attestation), { ok: true, platform: 'virtual', measurement: allowed });
  });

  it('refuses a measurement not in the code manifest, naming it', () => {
    assert.equal(reason(check(seeded, produceAttestation('virtual', joiner.publicKey, other))), `measurement ${other} is not in the code manifest`);
  });

  it('refuses a tampered measurement: the manifest check sees what the report says', () => {
    const attestation = produceAttestation('virtual', joiner.publicKey, allowed);
    const report = Buffer.from(attestation.evidence, 'base64');
    const at = report.indexOf(Buffer.from(allowed, 'hex'));
    assert.ok(at > 0);
    report[at] = report[at]! ^ 0x01;
    const tampered = { ...attestation, evidence: report.toString('base64') };
    assert.match(reason(check(seeded, tampered)), /^measurement abaa.* is not in the code manifest$/);
  });

  it('refuses a report made for another key', () => {
    const stranger = generateKeyPair('p256');
    assert.match(reason(check(seeded, produceAttestation('virtual', stranger.publicKey, allowed))), /binds another public key/);
  });

  it('refuses a platform missing from, or not Allowed in, the TEE manifest', () => {
    const attestation = produceAttestation('virtual', joiner.publicKey, allowed);
    const missing = storeWith((codeIds) => codeIds.set(allowed, { status: 'AllowedToJoin', platform: 'virtual' }));
    assert.equal(reason(check(missing, attestation)), 'platform virtual is not in the TEE manifest');
    const revoked = storeWith((codeIds, platforms) => {
      codeIds.set(allowed, { status: 'AllowedToJoin', platform: 'virtual' });
      platforms.set('virtual', { status: 'Retired' });
    });
    assert.equal(reason(check(revoked, attestation)), 'platform virtual is in the TEE manifest with status "Retired", not Allowed');
  });

  it('refuses a measurement allowed only for another platform', () => {
    const store = storeWith((codeIds, platforms) => {
      codeIds.set(allowed, { status: 'AllowedToJoin', platform: 'sev-snp' });
      platforms.set('virtual', { status: 'Allowed' });
      platforms.set('sev-snp', { status: 'Allowed' });
    });
    assert.equal(
      reason(check(store, produceAttestation('virtual', joiner.publicKey, allowed))),
      `measurement ${allowed} is in the code manifest for platform "sev-snp", not virtual`,
    );
  });

  it('refuses malformed manifest entries without throwing', () => {
    const attestation = produceAttestation('virtual', joiner.publicKey, allowed);
    for (const [codeId, platform] of [[null, { status: 'Allowed' }], [{ status: 'AllowedToJoin', platform: 'virtual' }, null], ['AllowedToJoin', 7], [{ platform: 'virtual' }, { status: 'Allowed' }]]) {
      const store = storeWith((codeIds, platforms) => {
        codeIds.set(allowed, codeId);
        platforms.set('virtual', platform);
      });
      assert.equal(check(store, attestation).ok, false, JSON.stringify([codeId, platform]));
    }
  });

  it('refuses an unknown platform even when the TEE manifest lists it', () => {
    const store = storeWith((codeIds, platforms) => {
      codeIds.set(allowed, { status: 'AllowedToJoin', platform: 'sgx' });
      platforms.set('sgx', { status: 'Allowed' });
    });
    const attestation = { ...produceAttestation('virtual', joiner.publicKey, allowed), platform: 'sgx' };
    assert.match(reason(check(store, attestation)), /platform "sgx" is not one this node can verify/);
  });

  it('refuses malformed input as received', () => {
    assert.match(reason(check(seeded, { format: 1, platform: 'virtual', evidence: '%%%%' })), /not canonical base64/);
    assert.match(reason(check(seeded, { format: 1, platform: 'virtual', evidence: Buffer.from('garbage').toString('base64') })), /virtual report/);
    assert.match(reason(check(seeded, 'attestation')), /not a JSON object/);
  });

  it('only reads the manifests', () => {
    const tx = seeded.begin();
    checkJoinAttestation(tx, produceAttestation('virtual', joiner.publicKey, allowed), joiner.publicKey);
    assert.equal(tx.commit().status, 'read-only');
  });
});
