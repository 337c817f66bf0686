// Genesis seeds the code and TEE manifests with the first node's measurement and
// platform, so that nodes running the same code on the same platform may join, and
// starts governance: the default constitution, members Accepted, the service Opening.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { createSelfSignedCertificate } from '../../src/crypto/x509.js';
import { DEFAULT_CONSTITUTION } from '../../src/gov/default-constitution.js';
import {
  CODE_IDS_MAP,
  CONSTITUTION_KEY,
  CONSTITUTION_MAP,
  MEMBER_INFO_MAP,
  NODES_MAP,
  SERVICE_CONFIG_KEY,
  SERVICE_CONFIG_MAP,
  SERVICE_INFO_KEY,
  SERVICE_INFO_MAP,
  TEE_PLATFORMS_MAP,
  type CodeIdInfo,
  type NodeInfo,
  type TeePlatformInfo,
} from '../../src/gov/service-maps.js';
import { Store } from '../../src/kv/index.js';
import { checkJoinAttestation } from '../../src/node/attestation/check-join-attestation.js';
import { produceAttestation } from '../../src/node/attestation/produce-attestation.js';
import { writeGenesis, type Genesis } from '../../src/node/genesis.js';

const measurement = '5e'.repeat(32);

const genesis: Genesis = {
  serviceCertificate: 'service certificate PEM',
  members: [],
  users: [],
  nodeId: '00'.repeat(32),
  node: { status: 'Trusted', cert: 'node certificate PEM', rpc_address: '127.0.0.1:8000', node_to_node_address: '127.0.0.1:8001' },
  platform: 'virtual',
  measurement,
};

function storeAfterGenesis(value: Genesis): Store {
  const store = new Store();
  const tx = store.begin({ privileged: true });
  writeGenesis(tx, value);
  assert.equal(tx.commit().status, 'committed');
  return store;
}

describe('genesis', () => {
  it('seeds the code and TEE manifests with the first node', () => {
    const read = storeAfterGenesis(genesis).begin();
    assert.deepEqual([...read.map<string, CodeIdInfo>(CODE_IDS_MAP).entries()], [[measurement, { status: 'AllowedToJoin', platform: 'virtual' }]]);
    assert.deepEqual([...read.map<string, TeePlatformInfo>(TEE_PLATFORMS_MAP).entries()], [['virtual', { status: 'Allowed' }]]);
    assert.equal(read.map(NODES_MAP).size, 1);
  });

  it('lets a node with the first node\'s measurement pass the join check, and no other', () => {
    const store = storeAfterGenesis(genesis);
    const joiner = generateKeyPair('p256');
    const same = checkJoinAttestation(store.begin(), produceAttestation('virtual', joiner.publicKey, measurement), joiner.publicKey);
    assert.deepEqual(same, { ok: true, platform: 'virtual', measurement });
    const other = checkJoinAttestation(store.begin(), produceAttestation('virtual', joiner.publicKey, 'ee'.repeat(32)), joiner.publicKey);
    assert.equal(other.ok, false);
  });

  it('starts governance: the default constitution, members Accepted, the service Opening, the first node with its measurement', async () => {
    const keyPair = generateKeyPair('p256');
    const certificate = await createSelfSignedCertificate({ subjectName: 'member0', keyPair, validity: { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 60_000) } });
    const read = storeAfterGenesis({ ...genesis, members: [{ certificate, encryptionPublicKey: 'encryption key PEM', data: { org: 'A' } }] }).begin();
    assert.equal(read.map<number, string>(CONSTITUTION_MAP).get(CONSTITUTION_KEY), DEFAULT_CONSTITUTION);
    assert.deepEqual(read.map(MEMBER_INFO_MAP).get(certificateFingerprint(certificate)), { status: 'Accepted', member_data: { org: 'A' } });
    assert.deepEqual(read.map(SERVICE_INFO_MAP).get(SERVICE_INFO_KEY), { cert: 'service certificate PEM', status: 'Opening' });
    assert.deepEqual(read.map(SERVICE_CONFIG_MAP).get(SERVICE_CONFIG_KEY), { recovery_threshold: 1 });
    assert.deepEqual(read.map<string, NodeInfo>(NODES_MAP).get(genesis.nodeId), { ...genesis.node, measurement, platform: 'virtual' });
  });

  it('asserts that the measurement fits the platform before writing', () => {
    const store = new Store();
    for (const bad of ['5E'.repeat(32), '5e'.repeat(31), '', 'zz'.repeat(32)]) {
      const tx = store.begin({ privileged: true });
      assert.throws(() => writeGenesis(tx, { ...genesis, measurement: bad }), /is not a virtual measurement/);
      tx.abort();
    }
  });
});
