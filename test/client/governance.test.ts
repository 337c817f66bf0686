// The SDK's governance client (docs/client.md, "Governing as a member"): requests it
// signs are what the governance core verifies (the same protected header as the core's
// own signGovernanceRequest), and against the real /gov endpoints over TLS (the RPC
// server of test/rpc/gov-fixture.ts, after a real genesis) it acknowledges, proposes,
// votes, withdraws and lists, maps refusals to CocoHttpError with the service's code,
// and refuses answers of the wrong shape.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { privateKeyToPem } from '../../src/crypto/keys.js';
import { coseSign1Decode } from '../../src/crypto/cose-sign1.js';
import {
  ACCEPT_BALLOT,
  CocoClient,
  CocoHttpError,
  CocoTransportError,
  GovernanceClient,
  MemberSigner,
  REJECT_BALLOT,
  ballotSource,
  ok,
} from '../../src/client/index.js';
import { checkBallot, signGovernanceRequest, verifySignedRequest } from '../../src/gov/index.js';
import { NOW, NOW_SECONDS, governedStore, identity, loadSandbox, members, privileged, type Identity } from '../gov/governance-fixture.js';
import { startGovService, type GovService, type Member } from '../rpc/gov-fixture.js';

function signerOf(member: Identity, now: () => Date = () => NOW): MemberSigner {
  return MemberSigner.fromPem(member.certificate, privateKeyToPem(member.privateKey), { now });
}

function proposal(...actions: Array<{ name: string; args?: Record<string, unknown> }>): { actions: typeof actions } {
  return { actions };
}

describe('MemberSigner', () => {
  let all: Identity[];
  before(async () => {
    all = await members(2);
  });

  it('signs the protected header the core signs, and the core verifies it as the member', async () => {
    const [member] = all as [Identity];
    const signer = signerOf(member);
    assert.equal(signer.memberId, member.id);
    const payload = JSON.stringify({ ballot: ACCEPT_BALLOT });
    const ours = coseSign1Decode(signer.sign({ type: 'ballot', payload, proposalId: 'ab'.repeat(32) }));
    const core = coseSign1Decode(signGovernanceRequest({ privateKey: member.privateKey, memberId: member.id, type: 'ballot', createdAtSeconds: NOW_SECONDS, proposalId: 'ab'.repeat(32), payload }));
    assert.deepEqual(ours.protectedBytes, core.protectedBytes);
    assert.deepEqual(ours.payload, core.payload);

    const store = governedStore({ members: all });
    const verified = privileged(store, (tx) => verifySignedRequest(tx, signer.sign({ type: 'proposal', payload: '{"actions":[]}' }), { type: 'proposal' }, NOW));
    assert.equal(verified.memberId, member.id);
    assert.equal(verified.createdAtSeconds, NOW_SECONDS);
  });

  it('dates a repeat of the same request a second later, so the service does not take it for a replay', async () => {
    const [member] = all as [Identity];
    const signer = signerOf(member);
    const store = governedStore({ members: all });
    const times = [1, 2, 3].map(() => privileged(store, (tx) => verifySignedRequest(tx, signer.sign({ type: 'state_digest', payload: '' }), { type: 'state_digest' }, NOW)).createdAtSeconds);
    assert.deepEqual(times, [NOW_SECONDS, NOW_SECONDS + 1, NOW_SECONDS + 2]);
    // Different requests in the same second keep the clock's time.
    const other = privileged(store, (tx) => verifySignedRequest(tx, signer.sign({ type: 'proposal', payload: '{}' }), { type: 'proposal' }, NOW));
    assert.equal(other.createdAtSeconds, NOW_SECONDS);
  });

  it('refuses a key that is not the certificate\'s, a certificate that is not one, and a key that cannot sign', async () => {
    const [first, second] = all as [Identity, Identity];
    assert.throws(() => MemberSigner.fromPem(first.certificate, privateKeyToPem(second.privateKey)), /private key does not belong to the member certificate/);
    assert.throws(() => MemberSigner.fromPem('not a certificate', privateKeyToPem(first.privateKey)), /member certificate is not a PEM certificate/);
    assert.throws(() => MemberSigner.fromPem(first.certificate, 'not a key'), /member private key is not a PEM private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.throws(() => MemberSigner.fromPem(first.certificate, rsa), /member private key cannot sign governance requests: expected an EC key, got rsa/);
  });

  it('has accept and reject ballots the constitution runtime loads, and takes custom sources', async () => {
    const sandbox = await loadSandbox();
    for (const source of [ACCEPT_BALLOT, REJECT_BALLOT]) assert.equal(checkBallot(sandbox, source).ok, true, source);
    assert.equal(ballotSource('accept'), ACCEPT_BALLOT);
    assert.equal(ballotSource({ source: 'export function vote() { return true }' }), 'export function vote() { return true }');
    assert.throws(() => ballotSource({ source: ' ' }), TypeError);
  });
});

describe('GovernanceClient', () => {
  let service: GovService;
  let url: string;
  const clients: GovernanceClient[] = [];

  function connect(member: { certificate: string; key: string }, now?: () => Date): GovernanceClient {
    const client = GovernanceClient.connect({
      url,
      serviceCertificate: service.identities.service.certificate,
      signingCertificate: member.certificate,
      signingKey: member.key,
      ...(now === undefined ? {} : { now }),
    });
    clients.push(client);
    return client;
  }

  function membersOf(): [GovernanceClient, GovernanceClient, GovernanceClient] {
    return service.members.map((member) => connect(member)) as [GovernanceClient, GovernanceClient, GovernanceClient];
  }

  before(async () => {
    service = await startGovService();
    url = `https://127.0.0.1:${service.port}`;
  });
  after(async () => {
    for (const client of clients) await client.close();
    await service.server.close();
  });

  it('acknowledges the state digest: each Accepted member becomes Active; acknowledging again is harmless', async () => {
    const members = membersOf();
    await assert.rejects(members[0].propose(proposal({ name: 'transition_service_to_open' })), { name: 'CocoHttpError', status: 403, code: 'MemberNotActive' });
    for (const [index, member] of members.entries()) {
      const digest = await member.updateStateDigest();
      assert.match(digest, /^[0-9a-f]{64}$/);
      const record = await member.ack(digest);
      assert.deepEqual([record.member_id, record.status], [service.members[index]?.id, 'Active']);
    }
    assert.equal((await members[0].ack()).status, 'Active');
    const listed = await members[0].service('members');
    assert.ok(JSON.stringify(listed).includes(service.members[2]?.id ?? 'missing'));
  });

  it('proposes and votes until the proposal is Accepted and applied: the new user is let in', async () => {
    const [first, second, third] = membersOf();
    const user = await identity('user-by-proposal');
    const userClient = CocoClient.connect({ url, serviceCertificate: service.identities.service.certificate, certificate: user.certificate, privateKey: privateKeyToPem(user.privateKey) });
    try {
      assert.equal((await userClient.get('/app/whoami')).status, 401);
      const proposed = await first.propose(proposal({ name: 'set_user', args: { cert: user.certificate } }));
      assert.equal(proposed.state, 'Open');
      assert.equal(proposed.proposer_id, first.memberId);

      const afterFirst = await second.accept(proposed.proposal_id);
      assert.deepEqual([afterFirst.state, afterFirst.ballot_count], ['Open', 1]);
      const accepted = await third.vote(proposed.proposal_id, 'accept');
      assert.equal(accepted.state, 'Accepted');
      assert.deepEqual(ok(await userClient.get('/app/whoami')).body, { user_id: user.id });

      assert.equal(await second.ballot(proposed.proposal_id), ACCEPT_BALLOT);
      assert.equal(await first.ballot(proposed.proposal_id, third.memberId), ACCEPT_BALLOT);
      const record = await first.proposal(proposed.proposal_id);
      assert.equal(record.state, 'Accepted');
      assert.deepEqual(await first.proposalActions(proposed.proposal_id), [{ name: 'set_user', args: { cert: user.certificate } }]);
      const listed = await first.proposals();
      assert.ok(listed.some((outcome) => outcome.proposal_id === proposed.proposal_id && outcome.state === 'Accepted'));
      assert.equal((await first.serviceInfo()).status, 'Opening');
    } finally {
      await userClient.close();
    }
  });

  it('rejects with reject ballots (one custom), withdraws, and sends the same proposal text twice as two proposals', async () => {
    const [first, second, third] = membersOf();
    const text = JSON.stringify(proposal({ name: 'set_recovery_threshold', args: { recovery_threshold: 2 } }));
    const rejected = await first.propose(text);
    await second.reject(rejected.proposal_id);
    assert.equal((await third.vote(rejected.proposal_id, { source: REJECT_BALLOT })).state, 'Rejected');

    const again = await first.propose(text);
    assert.notEqual(again.proposal_id, rejected.proposal_id);
    assert.equal((await first.withdraw(again.proposal_id)).state, 'Withdrawn');
  });

  it('rejects a refusal with CocoHttpError carrying the service\'s status, code and message', async () => {
    const [first, second] = membersOf();
    const open = await first.propose(proposal({ name: 'set_recovery_threshold', args: { recovery_threshold: 1 } }));
    await assert.rejects(second.withdraw(open.proposal_id), (error: unknown) => {
      assert.ok(error instanceof CocoHttpError);
      assert.equal(error.status, 403);
      assert.equal(error.code, 'NotProposer');
      assert.match(error.message, /^POST \/gov\/proposals\/[0-9a-f]{64}\/withdraw: 403 NotProposer: /);
      return true;
    });
    await second.accept(open.proposal_id);
    await assert.rejects(second.reject(open.proposal_id), { name: 'CocoHttpError', status: 409, code: 'BallotAlreadySubmitted' });
    await assert.rejects(first.propose(proposal({ name: 'no_such_action' })), { name: 'CocoHttpError', status: 400, code: 'ProposalInvalid' });
    await assert.rejects(first.proposal('00'.repeat(32)), { name: 'CocoHttpError', status: 404, code: 'ProposalNotFound' });
    const stranger = service.identities.stranger;
    await assert.rejects(connect(stranger).propose(proposal({ name: 'transition_service_to_open' })), { name: 'CocoHttpError', status: 401, code: 'UnknownMember' });
  });

  it('dates requests by its clock: one signed an hour ago is refused as stale', async () => {
    const late = connect(service.members[0] as Member, () => new Date(Date.now() - 3_600_000));
    await assert.rejects(late.propose(proposal({ name: 'transition_service_to_open' })), { name: 'CocoHttpError', status: 401, code: 'StaleRequest' });
  });

  it('refuses malformed ids before sending, and answers of the wrong shape with BAD_RESPONSE', async () => {
    const [first] = membersOf();
    await assert.rejects(first.accept('../../app/log'), TypeError);
    await assert.rejects(first.ballot('ab'.repeat(32), 'member0'), TypeError);

    // A server that answers 200 with the wrong shapes.
    const odd = createSecureServer({ cert: service.identities.node.certificate, key: service.identities.node.key, minVersion: 'TLSv1.3' });
    odd.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end('{"proposal_id": "x", "state": "Open"}');
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    try {
      const wrong = GovernanceClient.over(
        CocoClient.connect({ url: `https://127.0.0.1:${(odd.address() as AddressInfo).port}`, serviceCertificate: service.identities.service.certificate }),
        first.signer,
      );
      await assert.rejects(wrong.proposals(), (error: unknown) => error instanceof CocoTransportError && error.code === 'BAD_RESPONSE' && /no proposals array/.test(error.message));
      await assert.rejects(wrong.propose(proposal({ name: 'transition_service_to_open' })), (error: unknown) => error instanceof CocoTransportError && /no proposal_id/.test(error.message));
      await assert.rejects(wrong.ack('ab'.repeat(32)), (error: unknown) => error instanceof CocoTransportError && /not this member's record/.test(error.message));
      await wrong.client.close();
    } finally {
      odd.close();
    }
  });
});
