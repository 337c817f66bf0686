// The /gov endpoints over real TLS, on a store after a real genesis, with requests
// signed by members' real keys: members acknowledge and become Active; proposals, ballots
// and withdrawals run the default constitution; users added by proposal gain access at
// once and lose it when removed; the service opens; a new voting rule applies from the
// next proposal. Every bad request (a stranger, a user, a replay, a second ballot, a
// forged signature, a stale or future request, a malformed proposal, a constitution
// that runs forever) gets a coded JSON error and changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../src/crypto/hash.js';
import {
  CONSTITUTION_KEY,
  CONSTITUTION_MAP,
  DEFAULT_CONSTITUTION,
  NODES_MAP,
  UNANIMITY_CONSTITUTION,
  composeConstitution,
  type NodeInfo,
} from '../../src/gov/index.js';
import { runTransactionSync } from '../../src/kv/index.js';
import { errorOf, json, type Answer } from './rpc-fixture.js';
import {
  ACCEPT,
  MEASUREMENT,
  REJECT,
  SELF_NODE_ID,
  get,
  outcome,
  post,
  proposal,
  signed,
  snapshot,
  startGovService,
  type GovService,
  type Member,
} from './gov-fixture.js';

function expectError(answer: Answer, status: number, code: string, message?: RegExp): void {
  assert.equal(answer.status, status, `status ${answer.status}: ${answer.body.toString('utf8')}`);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  const error = errorOf(answer);
  assert.equal(error.code, code, error.message);
  if (message !== undefined) assert.match(error.message, message);
}

describe('the /gov endpoints', () => {
  let service: GovService;
  let m0: Member;
  let m1: Member;
  let m2: Member;

  before(async () => {
    service = await startGovService();
    [m0, m1, m2] = service.members as [Member, Member, Member];
  });

  after(async () => {
    await service.server.close();
  });

  async function propose(by: Member, text: string): Promise<Answer> {
    return post(service, '/gov/proposals', signed(by, 'proposal', text));
  }

  async function vote(by: Member, proposalId: string, ballot = ACCEPT): Promise<Answer> {
    return post(service, `/gov/proposals/${proposalId}/ballots`, signed(by, 'ballot', ballot, { proposalId }));
  }

  /** Proposes `text` as member0 and accepts it with member0's and member1's ballots. */
  async function pass(text: string): Promise<string> {
    const made = outcome(await propose(m0, text));
    assert.equal(made.state, 'Open');
    assert.equal(outcome(await vote(m0, made.proposal_id)).state, 'Open', 'one of three is no majority');
    const decided = outcome(await vote(m1, made.proposal_id));
    assert.equal(decided.state, 'Accepted', JSON.stringify(decided));
    return made.proposal_id;
  }

  /** Sends `request` and checks it was refused with `code` and wrote nothing. */
  async function refused(send: () => Promise<Answer>, status: number, code: string, message?: RegExp): Promise<void> {
    const before = snapshot(service.host);
    const commits = service.host.committedWriteSets.length;
    expectError(await send(), status, code, message);
    assert.equal(snapshot(service.host), before, `${code}: the store is unchanged`);
    assert.equal(service.host.committedWriteSets.length, commits, `${code}: nothing committed`);
  }

  it('starts members Accepted; each becomes Active by acknowledging the state digest it asked for', async () => {
    const members = json(await get(service, '/gov/service/members')) as { members: Array<{ member_id: string; status: string; cert: string; encryption_pub_key?: string }> };
    assert.deepEqual(members.members.map((member) => member.member_id).sort(), [m0.id, m1.id, m2.id].sort());
    for (const member of members.members) {
      assert.equal(member.status, 'Accepted');
      assert.match(member.encryption_pub_key ?? '', /BEGIN PUBLIC KEY/);
    }
    await refused(() => propose(m0, proposal({ name: 'transition_service_to_open' })), 403, 'MemberNotActive', /not Active: acknowledge the state digest first/);
    await refused(() => get(service, `/gov/members/state-digests/${m0.id}`), 404, 'ResourceNotFound');
    await refused(() => post(service, '/gov/members/state-digests/ack', signed(m0, 'ack', JSON.stringify({ state_digest: 'ab'.repeat(32) }))), 400, 'StateDigestNotRequested');

    for (const member of [m0, m1, m2]) {
      const update = await post(service, '/gov/members/state-digests/update', signed(member, 'state_digest', ''));
      assert.equal(update.status, 200, update.body.toString());
      assert.ok(typeof update.headers['x-coco-tx-id'] === 'string', 'a write carries its transaction id');
      const digest = (json(update) as { state_digest: string }).state_digest;
      assert.match(digest, /^[0-9a-f]{64}$/);
      assert.deepEqual(json(await get(service, `/gov/members/state-digests/${member.id}`)), { state_digest: digest });
      if (member === m0) {
        await refused(() => post(service, '/gov/members/state-digests/ack', signed(member, 'ack', JSON.stringify({ state_digest: 'cd'.repeat(32) }))), 400, 'StateDigestMismatch');
      }
      const ack = await post(service, '/gov/members/state-digests/ack', signed(member, 'ack', JSON.stringify({ state_digest: digest })));
      assert.equal(ack.status, 200, ack.body.toString());
      const record = json(ack) as { member_id: string; status: string; cert: string };
      assert.equal(record.member_id, member.id);
      assert.equal(record.status, 'Active');
      assert.equal(record.cert, member.certificate);
    }
    const one = json(await get(service, `/gov/service/members/${m1.id}`)) as { status: string };
    assert.equal(one.status, 'Active');
  });

  it('shows the service as governance records it', async () => {
    const info = json(await get(service, '/gov/service/info')) as Record<string, unknown>;
    assert.deepEqual(info, {
      status: 'Opening',
      service_certificate: service.identities.service.certificate,
      recovery_threshold: 1,
      constitution_digest: sha256Hex(Buffer.from(DEFAULT_CONSTITUTION, 'utf8')),
    });
    const constitution = await get(service, '/gov/service/constitution');
    assert.equal(constitution.status, 200);
    assert.match(String(constitution.headers['content-type']), /^text\/javascript/);
    assert.equal(constitution.body.toString('utf8'), DEFAULT_CONSTITUTION);
    const nodes = json(await get(service, '/gov/service/nodes')) as { nodes: Array<{ node_id: string; status: string; measurement: string; platform: string }> };
    assert.deepEqual(nodes.nodes.map(({ node_id, status, measurement, platform }) => ({ node_id, status, measurement, platform })),
      [{ node_id: SELF_NODE_ID, status: 'Trusted', measurement: MEASUREMENT, platform: 'virtual' }]);
    assert.equal((json(await get(service, `/gov/service/nodes/${SELF_NODE_ID}`)) as { status: string }).status, 'Trusted');
    expectError(await get(service, `/gov/service/nodes/${'00'.repeat(32)}`), 404, 'ResourceNotFound');
    expectError(await get(service, '/gov/service/nodes/not-an-id'), 400, 'InvalidInput', /node_id must be 64 lowercase hex/);
    assert.deepEqual(json(await get(service, '/gov/service/code-ids')), { code_ids: [{ measurement: MEASUREMENT, status: 'AllowedToJoin', platform: 'virtual' }] });
    assert.deepEqual(json(await get(service, '/gov/service/tee-platforms')), { tee_platforms: [{ platform: 'virtual', status: 'Allowed' }] });
    const users = json(await get(service, '/gov/service/users')) as { users: Array<{ user_id: string }> };
    assert.deepEqual(users.users.map((user) => user.user_id), [service.identities.user.id]);
    assert.deepEqual(json(await get(service, '/gov/proposals')), { proposals: [] });
  });

  it('adds a user by a proposal and two ballots: it gains access at once; removed, it gets 401', async () => {
    const newcomer = service.identities.stranger;
    expectError(await get(service, '/app/whoami', newcomer), 401, 'Unauthenticated');

    const text = proposal({ name: 'set_user', args: { cert: newcomer.certificate, user_data: { team: 'audit' } } });
    const made = outcome(await propose(m0, text));
    assert.deepEqual({ ...made, proposal_id: '' }, { proposal_id: '', proposer_id: m0.id, state: 'Open', ballot_count: 0 });
    const listed = json(await get(service, '/gov/proposals')) as { proposals: Array<{ proposal_id: string; state: string }> };
    assert.deepEqual(listed.proposals.map(({ proposal_id, state }) => ({ proposal_id, state })), [{ proposal_id: made.proposal_id, state: 'Open' }]);
    const record = json(await get(service, `/gov/proposals/${made.proposal_id}`)) as { state: string; proposal: string };
    assert.equal(record.state, 'Open');
    assert.equal(record.proposal, text);
    const actions = await get(service, `/gov/proposals/${made.proposal_id}/actions`);
    assert.match(String(actions.headers['content-type']), /^application\/json/);
    assert.deepEqual(json(actions), JSON.parse(text));

    assert.deepEqual(outcome(await vote(m0, made.proposal_id)), { proposal_id: made.proposal_id, proposer_id: m0.id, state: 'Open', ballot_count: 1 });
    assert.deepEqual(json(await get(service, `/gov/proposals/${made.proposal_id}/ballots/${m0.id}`)), { ballot: JSON.parse(ACCEPT).ballot });
    expectError(await get(service, `/gov/proposals/${made.proposal_id}/ballots/${m1.id}`), 404, 'ResourceNotFound', /has no ballot/);
    expectError(await get(service, '/app/whoami', newcomer), 401, 'Unauthenticated');

    const accepted = outcome(await vote(m1, made.proposal_id));
    assert.equal(accepted.state, 'Accepted');
    assert.deepEqual(accepted.final_votes, { [m0.id]: true, [m1.id]: true });
    assert.deepEqual(json(await get(service, '/app/whoami', newcomer)), { user_id: newcomer.id });
    const user = json(await get(service, `/gov/service/users/${newcomer.id}`)) as { cert: string; user_data: unknown };
    assert.deepEqual(user.user_data, { team: 'audit' });
    await refused(() => vote(m2, made.proposal_id), 409, 'ProposalNotOpen', /is Accepted, no longer Open/);

    await pass(proposal({ name: 'remove_user', args: { user_id: newcomer.id } }));
    expectError(await get(service, '/app/whoami', newcomer), 401, 'Unauthenticated', /not a registered user/);
  });

  it('refuses bad requests with a coded JSON error, writing nothing', async () => {
    const text = proposal({ name: 'set_member_data', args: { member_id: m2.id, member_data: { role: 'auditor' } } });
    const open = outcome(await propose(m0, text)).proposal_id;
    const ballot = signed(m0, 'ballot', ACCEPT, { proposalId: open });
    assert.equal(outcome(await post(service, `/gov/proposals/${open}/ballots`, ballot)).ballot_count, 1);
    const now = Math.floor(Date.now() / 1000);
    const user = { ...service.identities.user };
    const stranger = service.identities.stranger;

    await refused(() => post(service, '/gov/proposals', signed(stranger, 'proposal', text)), 401, 'UnknownMember', /not a member of this service/);
    await refused(() => post(service, '/gov/proposals', signed(user, 'proposal', text), { as: user }), 401, 'UnknownMember');
    await refused(() => post(service, `/gov/proposals/${open}/ballots`, ballot), 401, 'ReplayedRequest', /received already/);
    await refused(() => vote(m0, open), 409, 'BallotAlreadySubmitted', /cannot be changed/);
    // Signed with member1's key, claiming to be member0.
    await refused(() => post(service, `/gov/proposals/${open}/ballots`, signed({ keyPair: m1.keyPair, id: m0.id }, 'ballot', ACCEPT, { proposalId: open })), 401, 'InvalidSignature');
    const tampered = Buffer.from(signed(m1, 'ballot', ACCEPT, { proposalId: open }));
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    await refused(() => post(service, `/gov/proposals/${open}/ballots`, tampered), 401, 'InvalidSignature');
    await refused(() => post(service, `/gov/proposals/${open}/ballots`, signed(m1, 'ballot', ACCEPT, { proposalId: open, createdAtSeconds: now - 600 })), 401, 'StaleRequest', /sign it again/);
    await refused(() => post(service, `/gov/proposals/${open}/ballots`, signed(m1, 'ballot', ACCEPT, { proposalId: open, createdAtSeconds: now + 600 })), 401, 'FutureRequest', /clock/);
    await refused(() => post(service, `/gov/proposals/${open}/ballots`, signed(m1, 'proposal', ACCEPT)), 400, 'WrongMessageType');
    const other = 'ef'.repeat(32);
    await refused(() => post(service, `/gov/proposals/${open}/ballots`, signed(m1, 'ballot', ACCEPT, { proposalId: other })), 400, 'ProposalIdMismatch');
    await refused(() => vote(m1, other), 404, 'ProposalNotFound');
    await refused(() => post(service, '/gov/proposals/not-an-id/ballots', signed(m1, 'ballot', ACCEPT, { proposalId: 'not-an-id' })), 400, 'InvalidInput');
    await refused(() => vote(m1, open, JSON.stringify({ ballot: 'export const notVote = 1;' })), 400, 'BallotInvalid', /vote/);
    await refused(() => vote(m1, open, JSON.stringify({ ballot: 'export function vote() { for (;;) {} }' })), 400, 'BallotInvalid', /step/i);
    await refused(() => vote(m1, open, '{"ballot": 42}'), 400, 'MalformedRequest');

    await refused(() => propose(m1, 'not JSON'), 400, 'ProposalInvalid', /not JSON/);
    await refused(() => propose(m1, JSON.stringify({ actions: [] })), 400, 'ProposalInvalid', /non-empty array/);
    await refused(() => propose(m1, proposal({ name: 'make_me_king' })), 400, 'ProposalInvalid', /unknown action "make_me_king"/);
    await refused(() => propose(m1, proposal({ name: 'set_user', args: { cert: 'not a certificate' } })), 400, 'ProposalInvalid', /args.cert must be one X.509 certificate/);
    await refused(() => post(service, '/gov/proposals', Buffer.from('{"actions": []}')), 400, 'MalformedRequest', /COSE Sign1/);
    await refused(() => post(service, '/gov/proposals', signed(m1, 'proposal', text), { contentType: 'application/json' }), 415, 'UnsupportedMediaType', /application\/cose/);
    await refused(() => post(service, `/gov/proposals/${open}/withdraw`, signed(m1, 'withdrawal', '', { proposalId: open })), 403, 'NotProposer');

    expectError(await get(service, `/gov/proposals/${other}`), 404, 'ProposalNotFound');
    expectError(await get(service, `/gov/proposals/${other}/actions`), 404, 'ProposalNotFound');

    // The proposal itself is untouched by all that: one ballot, still Open.
    assert.deepEqual(outcome(await get(service, `/gov/proposals/${open}`)).ballot_count, 1);
    const withdrawn = outcome(await post(service, `/gov/proposals/${open}/withdraw`, signed(m0, 'withdrawal', '', { proposalId: open })));
    assert.equal(withdrawn.state, 'Withdrawn');
    await refused(() => vote(m1, open), 409, 'ProposalNotOpen');
  });

  it('rejects a proposal a majority votes against', async () => {
    const made = outcome(await propose(m0, proposal({ name: 'set_recovery_threshold', args: { recovery_threshold: 2 } })));
    assert.equal(outcome(await vote(m1, made.proposal_id, REJECT)).state, 'Open');
    const rejected = outcome(await vote(m2, made.proposal_id, REJECT));
    assert.equal(rejected.state, 'Rejected');
    assert.equal((json(await get(service, '/gov/service/info')) as { recovery_threshold: number }).recovery_threshold, 1);
  });

  it('refuses a change of the voting nodes the reachable nodes could not commit, and takes it once they can', async () => {
    const other = 'b2'.repeat(32);
    const newcomer = 'c3'.repeat(32);
    const record = (status: NodeInfo['status']): NodeInfo => ({ status, cert: 'node certificate PEM', rpc_address: '127.0.0.1:9000', node_to_node_address: '127.0.0.1:9001', measurement: MEASUREMENT, platform: 'virtual' });
    runTransactionSync(service.host.store, (tx) => {
      tx.map<string, NodeInfo>(NODES_MAP).set(other, record('Trusted'));
      tx.map<string, NodeInfo>(NODES_MAP).set(newcomer, record('Pending'));
    }, { privileged: true });

    const made = outcome(await propose(m0, proposal({ name: 'transition_node_to_trusted', args: { node_id: newcomer } })));
    assert.equal(outcome(await vote(m0, made.proposal_id)).state, 'Open');
    service.host.reachable = new Set();
    await refused(() => vote(m1, made.proposal_id), 503, 'ServiceUnavailable', /reaches only 1 of them, fewer than the 2 every commit would then need/);
    service.host.reachable = new Set([other]);
    assert.equal(outcome(await vote(m1, made.proposal_id)).state, 'Accepted');
    assert.equal((json(await get(service, `/gov/service/nodes/${newcomer}`)) as { status: string }).status, 'Trusted');

    // Removing the one reachable peer would leave this node and the newcomer, which does not run.
    const removal = outcome(await propose(m0, proposal({ name: 'remove_node', args: { node_id: other } })));
    await vote(m0, removal.proposal_id);
    await refused(() => vote(m1, removal.proposal_id), 503, 'ServiceUnavailable', /from 3 to 2, and the primary reaches only 1 of them/);
    service.host.reachable = new Set([other, newcomer]);
    assert.equal(outcome(await vote(m1, removal.proposal_id)).state, 'Accepted');
    const nodes = json(await get(service, '/gov/service/nodes')) as { nodes: Array<{ node_id: string; status: string }> };
    assert.deepEqual(Object.fromEntries(nodes.nodes.map((node) => [node.node_id, node.status])), { [SELF_NODE_ID]: 'Trusted', [other]: 'Retired', [newcomer]: 'Trusted' });
  });

  it('opens the service by proposal', async () => {
    await pass(proposal({ name: 'transition_service_to_open' }));
    assert.equal((json(await get(service, '/gov/service/info')) as { status: string }).status, 'Open');
    const again = outcome(await propose(m0, proposal({ name: 'transition_service_to_open' })));
    await vote(m0, again.proposal_id);
    const failed = outcome(await vote(m1, again.proposal_id));
    assert.equal(failed.state, 'Failed');
    assert.match(failed.failure?.reason ?? '', /the service is Open, not Opening/);
  });

  it('changes the voting rule under the old one; open proposals are dropped and the next follows the new rule', async () => {
    const pending = outcome(await propose(m1, proposal({ name: 'set_member_data', args: { member_id: m1.id, member_data: 'pending' } })));
    await pass(proposal({ name: 'set_constitution', args: { constitution: UNANIMITY_CONSTITUTION } }));
    assert.equal(outcome(await get(service, `/gov/proposals/${pending.proposal_id}`)).state, 'Dropped');
    assert.equal((await get(service, '/gov/service/constitution')).body.toString('utf8'), UNANIMITY_CONSTITUTION);
    assert.equal((json(await get(service, '/gov/service/info')) as { constitution_digest: string }).constitution_digest, sha256Hex(Buffer.from(UNANIMITY_CONSTITUTION, 'utf8')));

    const next = outcome(await propose(m0, proposal({ name: 'set_member_data', args: { member_id: m0.id, member_data: 'unanimous' } })));
    await vote(m0, next.proposal_id);
    assert.equal(outcome(await vote(m1, next.proposal_id)).state, 'Open', 'two of three no longer decide');
    assert.equal(outcome(await vote(m2, next.proposal_id)).state, 'Accepted');
  });

  it('fails a constitution that runs forever with a clear error, changing nothing', async () => {
    const forever = 'export function validate(proposal) { for (;;) {} }\nexport function resolve() { return "Accepted"; }\nexport function apply() {}\n';
    runTransactionSync(service.host.store, (tx) => tx.map<number, string>(CONSTITUTION_MAP).set(CONSTITUTION_KEY, forever), { privileged: true });
    await refused(() => propose(m0, proposal({ name: 'transition_service_to_open' })), 500, 'ConstitutionFailed', /validate\(\) failed: .*step/i);

    const resolveForever = composeConstitution('export function resolve(proposal, proposerId, votes) { while (true) {} }\n');
    runTransactionSync(service.host.store, (tx) => tx.map<number, string>(CONSTITUTION_MAP).set(CONSTITUTION_KEY, resolveForever), { privileged: true });
    const before = JSON.stringify(json(await get(service, '/gov/service/members')));
    const failed = outcome(await propose(m0, proposal({ name: 'set_member_data', args: { member_id: m0.id, member_data: 'never' } })));
    assert.equal(failed.state, 'Failed');
    assert.match(failed.failure?.reason ?? '', /resolve\(\) failed: .*step/i);
    assert.equal(JSON.stringify(json(await get(service, '/gov/service/members'))), before, 'the action was not applied');

    runTransactionSync(service.host.store, (tx) => tx.map<number, string>(CONSTITUTION_MAP).set(CONSTITUTION_KEY, 'export const broken = ;'), { privileged: true });
    await refused(() => propose(m0, proposal({ name: 'transition_service_to_open' })), 500, 'ConstitutionUnavailable', /does not load/);
  });
});
