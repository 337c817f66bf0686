// Every action of the default constitution (docs/governance.md), run for real: proposed,
// accepted by ballot, applied by the constitution in QuickJS against a real store; and
// validate()'s argument checks, each with the message a member would read.
import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import {
  CODE_IDS_MAP,
  CONSTITUTION_KEY,
  CONSTITUTION_MAP,
  DEFAULT_CONSTITUTION,
  GovernanceError,
  JsSandbox,
  MEMBER_ACKS_MAP,
  MEMBER_CERTS_MAP,
  MEMBER_ENCRYPTION_KEYS_MAP,
  MEMBER_INFO_MAP,
  NODES_MAP,
  SERVICE_CONFIG_KEY,
  SERVICE_CONFIG_MAP,
  SERVICE_INFO_KEY,
  SERVICE_INFO_MAP,
  TEE_PLATFORMS_MAP,
  USER_CERTS_MAP,
  USER_INFO_MAP,
  propose,
  submitBallot,
  type NodeInfo,
  type ProposalOutcome,
} from '../../src/gov/index.js';
import type { Store } from '../../src/kv/index.js';
import {
  BALLOT_YES,
  FIRST_NODE_ID,
  MEASUREMENT,
  encryptionPublicKey,
  governedStore,
  identity,
  loadSandbox,
  node,
  privileged,
  proposal,
  read,
  type Identity,
} from './governance-fixture.js';

let sandbox: JsSandbox;
let owner: Identity;

/** A one-member service: its member's own ballot is a strict majority. */
function service(): Store {
  return governedStore({ members: [owner] });
}

/** Proposes and votes for `actions` as the only member; returns the final outcome. */
function enact(store: Store, ...actions: Array<{ name: string; args?: unknown }>): ProposalOutcome {
  const made = privileged(store, (tx) => propose(tx, sandbox, owner.id, proposal(...actions)));
  assert.equal(made.state, 'Open');
  return privileged(store, (tx) => submitBallot(tx, sandbox, owner.id, made.proposal_id, BALLOT_YES));
}

function accepted(outcome: ProposalOutcome): void {
  assert.equal(outcome.state, 'Accepted', JSON.stringify(outcome.failure));
}

function failedWith(outcome: ProposalOutcome, reason: RegExp): void {
  assert.equal(outcome.state, 'Failed');
  assert.match(outcome.failure?.reason ?? '', reason);
}

function get<T>(store: Store, map: string, key: string | number): T | undefined {
  return read(store, (tx) => tx.map<string | number, T>(map).get(key));
}

function invalid(store: Store, actions: Array<{ name: string; args?: unknown }> | string, description: RegExp): void {
  const text = typeof actions === 'string' ? actions : proposal(...actions);
  assert.throws(
    () => privileged(store, (tx) => propose(tx, sandbox, owner.id, text)),
    (error: unknown) => error instanceof GovernanceError && error.code === 'ProposalInvalid' && description.test(error.message),
  );
}

describe('the default constitution', () => {
  before(async () => {
    sandbox = await loadSandbox();
    owner = await identity('owner');
  });

  describe('members', () => {
    test('set_member adds an Accepted member with its certificate, encryption key and data', async () => {
      const store = service();
      const newcomer = await identity('newcomer');
      accepted(enact(store, { name: 'set_member', args: { cert: newcomer.certificate, encryption_pub_key: encryptionPublicKey(), member_data: { role: 'auditor' } } }));
      assert.equal(get(store, MEMBER_CERTS_MAP, newcomer.id), newcomer.certificate);
      assert.equal(get(store, MEMBER_ENCRYPTION_KEYS_MAP, newcomer.id), encryptionPublicKey());
      assert.deepEqual(get(store, MEMBER_INFO_MAP, newcomer.id), { status: 'Accepted', member_data: { role: 'auditor' } });
    });

    test('set_member on an existing member keeps its status', () => {
      const store = service();
      accepted(enact(store, { name: 'set_member', args: { cert: owner.certificate, encryption_pub_key: encryptionPublicKey(), member_data: 'updated' } }));
      assert.deepEqual(get(store, MEMBER_INFO_MAP, owner.id), { status: 'Active', member_data: 'updated' });
    });

    test('remove_member removes a member by id or by certificate, with its ack', async () => {
      const store = service();
      const [first, second] = [await identity('leaver0'), await identity('leaver1')];
      accepted(enact(store, { name: 'set_member', args: { cert: first.certificate } }, { name: 'set_member', args: { cert: second.certificate } }));
      privileged(store, (tx) => tx.map(MEMBER_ACKS_MAP).set(first.id, { state_digest: '00'.repeat(32) }));
      accepted(enact(store, { name: 'remove_member', args: { member_id: first.id } }, { name: 'remove_member', args: { cert: second.certificate } }));
      for (const member of [first, second]) {
        for (const map of [MEMBER_CERTS_MAP, MEMBER_INFO_MAP, MEMBER_ENCRYPTION_KEYS_MAP, MEMBER_ACKS_MAP]) assert.equal(get(store, map, member.id), undefined);
      }
    });

    test('remove_member refuses the last Active member, an unknown one, and breaking the recovery threshold', async () => {
      const store = service();
      failedWith(enact(store, { name: 'remove_member', args: { member_id: owner.id } }), /is the last Active member/);
      failedWith(enact(store, { name: 'remove_member', args: { member_id: 'ff'.repeat(32) } }), /member f+ does not exist/);
      const other = await identity('recovery');
      accepted(enact(store, { name: 'set_member', args: { cert: other.certificate, encryption_pub_key: encryptionPublicKey() } }, { name: 'set_recovery_threshold', args: { recovery_threshold: 2 } }));
      failedWith(enact(store, { name: 'remove_member', args: { member_id: other.id } }), /fewer recovery members than the recovery threshold 2/);
    });

    test('set_member_data replaces a member\'s data', () => {
      const store = service();
      accepted(enact(store, { name: 'set_member_data', args: { member_id: owner.id, member_data: { org: 'Contoso' } } }));
      assert.deepEqual(get(store, MEMBER_INFO_MAP, owner.id), { status: 'Active', member_data: { org: 'Contoso' } });
      failedWith(enact(store, { name: 'set_member_data', args: { member_id: 'ee'.repeat(32), member_data: 1 } }), /does not exist/);
    });
  });

  describe('users', () => {
    test('set_user, set_user_data and remove_user', async () => {
      const store = service();
      const user = await identity('user');
      accepted(enact(store, { name: 'set_user', args: { cert: user.certificate, user_data: { tier: 1 } } }));
      assert.equal(get(store, USER_CERTS_MAP, user.id), user.certificate);
      assert.deepEqual(get(store, USER_INFO_MAP, user.id), { user_data: { tier: 1 } });
      accepted(enact(store, { name: 'set_user_data', args: { user_id: user.id, user_data: { tier: 2 } } }));
      assert.deepEqual(get(store, USER_INFO_MAP, user.id), { user_data: { tier: 2 } });
      accepted(enact(store, { name: 'remove_user', args: { cert: user.certificate } }));
      assert.equal(get(store, USER_CERTS_MAP, user.id), undefined);
      assert.equal(get(store, USER_INFO_MAP, user.id), undefined);
      failedWith(enact(store, { name: 'remove_user', args: { user_id: user.id } }), /user [0-9a-f]+ does not exist/);
      failedWith(enact(store, { name: 'set_user_data', args: { user_id: user.id, user_data: 0 } }), /does not exist/);
    });
  });

  describe('nodes and manifests', () => {
    const joiner = '02'.repeat(32);

    test('transition_node_to_trusted trusts a Pending node whose code and platform are approved', () => {
      const store = service();
      privileged(store, (tx) => tx.map<string, NodeInfo>(NODES_MAP).set(joiner, node('Pending')));
      accepted(enact(store, { name: 'transition_node_to_trusted', args: { node_id: joiner } }));
      assert.equal(get<NodeInfo>(store, NODES_MAP, joiner)?.status, 'Trusted');
      assert.equal(get<NodeInfo>(store, NODES_MAP, joiner)?.measurement, MEASUREMENT);
    });

    test('transition_node_to_trusted refuses code or platforms the manifests do not approve', () => {
      const store = service();
      privileged(store, (tx) => {
        tx.map<string, NodeInfo>(NODES_MAP).set(joiner, node('Pending', 'cd'.repeat(32)));
        tx.map<string, NodeInfo>(NODES_MAP).set('03'.repeat(32), { ...node('Pending'), platform: 'sev-snp' });
        const unattested: NodeInfo = { status: 'Pending', cert: 'node certificate PEM', rpc_address: '127.0.0.1:8000', node_to_node_address: '127.0.0.1:8001' };
        tx.map<string, NodeInfo>(NODES_MAP).set('04'.repeat(32), unattested);
      });
      failedWith(enact(store, { name: 'transition_node_to_trusted', args: { node_id: joiner } }), /runs measurement (cd)+ on virtual, which is not in the code manifest/);
      failedWith(enact(store, { name: 'transition_node_to_trusted', args: { node_id: '03'.repeat(32) } }), /platform sev-snp, which is not in the TEE manifest/);
      failedWith(enact(store, { name: 'transition_node_to_trusted', args: { node_id: '04'.repeat(32) } }), /no attested measurement and platform on record/);
      failedWith(enact(store, { name: 'transition_node_to_trusted', args: { node_id: '05'.repeat(32) } }), /node 0505.* does not exist/);
      assert.equal(get<NodeInfo>(store, NODES_MAP, joiner)?.status, 'Pending');
    });

    test('remove_node retires a node, but never the last Trusted one', () => {
      const store = service();
      failedWith(enact(store, { name: 'remove_node', args: { node_id: FIRST_NODE_ID } }), /last Trusted node/);
      privileged(store, (tx) => tx.map<string, NodeInfo>(NODES_MAP).set(joiner, node('Trusted')));
      accepted(enact(store, { name: 'remove_node', args: { node_id: joiner } }));
      assert.equal(get<NodeInfo>(store, NODES_MAP, joiner)?.status, 'Retired');
    });

    test('add_node_code, remove_node_code, add_tee_platform and remove_tee_platform edit the manifests', () => {
      const store = service();
      const snp = 'ef'.repeat(48);
      accepted(enact(store, { name: 'add_tee_platform', args: { platform: 'sev-snp' } }, { name: 'add_node_code', args: { measurement: snp, platform: 'sev-snp' } }));
      assert.deepEqual(get(store, TEE_PLATFORMS_MAP, 'sev-snp'), { status: 'Allowed' });
      assert.deepEqual(get(store, CODE_IDS_MAP, snp), { status: 'AllowedToJoin', platform: 'sev-snp' });
      accepted(enact(store, { name: 'remove_node_code', args: { measurement: snp } }, { name: 'remove_tee_platform', args: { platform: 'sev-snp' } }));
      assert.equal(get(store, CODE_IDS_MAP, snp), undefined);
      assert.equal(get(store, TEE_PLATFORMS_MAP, 'sev-snp'), undefined);
      failedWith(enact(store, { name: 'remove_node_code', args: { measurement: snp } }), /is not in the code manifest/);
      failedWith(enact(store, { name: 'remove_tee_platform', args: { platform: 'sev-snp' } }), /is not in the TEE manifest/);
    });
  });

  describe('the service', () => {
    test('transition_service_to_open opens an Opening service, once', () => {
      const store = service();
      accepted(enact(store, { name: 'transition_service_to_open' }));
      assert.deepEqual(get(store, SERVICE_INFO_MAP, SERVICE_INFO_KEY), { cert: 'service certificate PEM', status: 'Open' });
      failedWith(enact(store, { name: 'transition_service_to_open', args: {} }), /the service is Open, not Opening/);
    });

    test('set_recovery_threshold records the threshold, at most the recovery members', () => {
      const store = service();
      accepted(enact(store, { name: 'set_recovery_threshold', args: { recovery_threshold: 1 } }));
      assert.deepEqual(get(store, SERVICE_CONFIG_MAP, SERVICE_CONFIG_KEY), { recovery_threshold: 1 });
      failedWith(enact(store, { name: 'set_recovery_threshold', args: { recovery_threshold: 2 } }), /more than the 1 members with recovery keys/);
    });

    test('set_constitution installs a new constitution', () => {
      const store = service();
      const changed = `${DEFAULT_CONSTITUTION}\n// amended\n`;
      accepted(enact(store, { name: 'set_constitution', args: { constitution: changed } }));
      assert.equal(get(store, CONSTITUTION_MAP, CONSTITUTION_KEY), changed);
    });

    test('a proposal\'s actions apply together, or not at all', async () => {
      const store = service();
      const user = await identity('atomic-user');
      failedWith(enact(store, { name: 'set_user', args: { cert: user.certificate } }, { name: 'remove_user', args: { user_id: 'aa'.repeat(32) } }), /actions\[1\] \(remove_user\): user a+ does not exist/);
      assert.equal(get(store, USER_CERTS_MAP, user.id), undefined);
    });
  });

  describe('validate()', () => {
    test('refuses proposals that are not { actions: [...] }', () => {
      const store = service();
      invalid(store, 'not json', /the proposal is not JSON/);
      invalid(store, '[]', /must be a JSON object with an actions array/);
      invalid(store, JSON.stringify({ actions: [] }), /non-empty array/);
      invalid(store, JSON.stringify({ actions: [{ name: 'set_user', args: {} }], extra: 1 }), /unknown field extra/);
      invalid(store, [{ name: 'make_coffee', args: {} }], /actions\[0\]: unknown action "make_coffee"; known actions: set_member, remove_member/);
      invalid(store, JSON.stringify({ actions: [{ name: 'transition_service_to_open', args: {}, why: 1 }] }), /actions\[0\] has an unknown field why/);
    });

    test('checks each action\'s arguments strictly', () => {
      const store = service();
      const cases: Array<[{ name: string; args?: unknown }, RegExp]> = [
        [{ name: 'set_member', args: {} }, /\(set_member\): args\.cert is missing/],
        [{ name: 'set_member', args: { cert: 'not a certificate' } }, /args\.cert must be one X\.509 certificate in PEM/],
        [{ name: 'set_member', args: { cert: owner.certificate, encryption_pub_key: 'x' } }, /args\.encryption_pub_key must be an RSA public key/],
        [{ name: 'set_member', args: { cert: owner.certificate, colour: 'red' } }, /args\.colour is not an argument of this action \(it takes cert, encryption_pub_key, member_data\)/],
        [{ name: 'set_member', args: { cert: `${owner.certificate}\n${owner.certificate}` } }, /one X\.509 certificate/],
        [{ name: 'remove_member', args: {} }, /exactly one of member_id, cert/],
        [{ name: 'remove_member', args: { member_id: 'ABC' } }, /args\.member_id must be 64 lowercase hex characters/],
        [{ name: 'set_member_data', args: { member_id: owner.id } }, /args\.member_data is missing/],
        [{ name: 'set_user', args: { cert: 42 } }, /args\.cert must be one X\.509 certificate/],
        [{ name: 'remove_user', args: { user_id: owner.id, cert: owner.certificate } }, /exactly one of user_id, cert/],
        [{ name: 'set_user_data', args: { user_id: 'x', user_data: 1 } }, /args\.user_id must be 64 lowercase hex/],
        [{ name: 'transition_node_to_trusted', args: { node_id: 7 } }, /args\.node_id must be 64 lowercase hex/],
        [{ name: 'remove_node', args: {} }, /args\.node_id is missing/],
        [{ name: 'add_node_code', args: { measurement: 'ab', platform: 'virtual' } }, /args\.measurement must be 64 lowercase hex characters, the size of a virtual measurement/],
        [{ name: 'add_node_code', args: { measurement: MEASUREMENT, platform: 'sgx' } }, /args\.platform must be one of virtual, sev-snp/],
        [{ name: 'remove_node_code', args: { measurement: 'XYZ' } }, /args\.measurement must be a measurement in lowercase hex/],
        [{ name: 'add_tee_platform', args: { platform: '' } }, /args\.platform must be one of/],
        [{ name: 'remove_tee_platform', args: {} }, /args\.platform is missing/],
        [{ name: 'set_constitution', args: { constitution: '' } }, /args\.constitution must be the constitution's JavaScript source/],
        [{ name: 'transition_service_to_open', args: { now: true } }, /args\.now is not an argument of this action \(it takes none\)/],
        [{ name: 'set_recovery_threshold', args: { recovery_threshold: 0 } }, /integer from 1 to 255/],
        [{ name: 'set_recovery_threshold', args: { recovery_threshold: 1.5 } }, /integer from 1 to 255/],
      ];
      for (const [action, description] of cases) invalid(store, [action], description);
    });

    test('names the failing action by its index', () => {
      const store = service();
      invalid(store, [{ name: 'transition_service_to_open' }, { name: 'remove_node', args: { node_id: 'zz' } }], /actions\[1\] \(remove_node\): args\.node_id must be/);
    });
  });
});
