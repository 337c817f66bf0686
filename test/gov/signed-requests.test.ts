// Members' signed governance requests (COSE Sign1) end to end over a real store: every
// operation as a signed request, and every kind of bad request — replayed, forged,
// stale, future-dated, of the wrong type, from a non-member, misaddressed, malformed —
// refused with its own code and without changing anything.
import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import { Decoder, Encoder, Tag } from 'cbor-x';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { coseSign1Sign } from '../../src/crypto/cose-sign1.js';
import {
  GovernanceError,
  HEADER_CREATED_AT,
  HEADER_MESSAGE_TYPE,
  JsSandbox,
  MEMBER_INFO_MAP,
  USER_CERTS_MAP,
  ackSigned,
  ballotSigned,
  proposeSigned,
  requestAgeSecondsMax,
  requestClockSkewSecondsMax,
  signGovernanceRequest,
  suggestedHttpStatus,
  updateStateDigestSigned,
  withdrawSigned,
  type GovernanceErrorCode,
  type MemberInfo,
} from '../../src/gov/index.js';
import type { Store } from '../../src/kv/index.js';
import {
  BALLOT_YES,
  NOW,
  NOW_SECONDS,
  ballotBody,
  dump,
  governedStore,
  identity,
  loadSandbox,
  members,
  privileged,
  proposal,
  read,
  sign,
  type Identity,
} from './governance-fixture.js';

let sandbox: JsSandbox;
let all: Identity[];
let newcomer: Identity;
let stranger: Identity;

function service(): Store {
  return governedStore({ members: [...all, newcomer], active: all });
}

function addUser(who: Identity): string {
  return proposal({ name: 'set_user', args: { cert: who.certificate } });
}

function refused(store: Store, code: GovernanceErrorCode, message: RegExp, action: () => unknown): void {
  const before = dump(store);
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof GovernanceError, `expected a GovernanceError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
  assert.equal(dump(store), before, 'a refused request changes nothing');
}

function proposeAs(store: Store, request: Uint8Array, now = NOW): ReturnType<typeof proposeSigned> {
  return privileged(store, (tx) => proposeSigned(tx, sandbox, request, now));
}

describe('signed governance requests', () => {
  before(async () => {
    sandbox = await loadSandbox();
    all = await members(3);
    newcomer = await identity('newcomer-signed');
    stranger = await identity('stranger-signed');
  });

  test('propose, vote and withdraw by signed requests', () => {
    const store = service();
    const made = proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger)));
    assert.equal(made.state, 'Open');
    assert.equal(made.proposer_id, all[0]!.id);
    const first = privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[0]!, 'ballot', ballotBody(BALLOT_YES), { proposalId: made.proposal_id }), made.proposal_id, NOW));
    assert.equal(first.state, 'Open');
    const second = privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[1]!, 'ballot', ballotBody(BALLOT_YES), { proposalId: made.proposal_id }), made.proposal_id, NOW));
    assert.equal(second.state, 'Accepted');
    assert.equal(read(store, (tx) => tx.map(USER_CERTS_MAP).get(stranger.id)), stranger.certificate);

    const other = proposeAs(store, sign(all[1]!, 'proposal', proposal({ name: 'remove_user', args: { user_id: stranger.id } })));
    const withdrawn = privileged(store, (tx) => withdrawSigned(tx, sign(all[1]!, 'withdrawal', '', { proposalId: other.proposal_id }), other.proposal_id, NOW));
    assert.equal(withdrawn.state, 'Withdrawn');
  });

  test('a member becomes Active by signing the state digest, and then may propose', () => {
    const store = service();
    refused(store, 'MemberNotActive', /Accepted, not Active/, () => proposeAs(store, sign(newcomer, 'proposal', addUser(stranger))));
    refused(store, 'StateDigestNotRequested', /request one first/, () => privileged(store, (tx) => ackSigned(tx, sign(newcomer, 'ack', JSON.stringify({ state_digest: '00'.repeat(32) })), NOW)));
    const { state_digest: digest } = privileged(store, (tx) => updateStateDigestSigned(tx, sign(newcomer, 'state_digest', ''), NOW, newcomer.id));
    assert.match(digest, /^[0-9a-f]{64}$/);
    refused(store, 'StateDigestMismatch', /is not member [0-9a-f]+'s current state digest/, () => privileged(store, (tx) => ackSigned(tx, sign(newcomer, 'ack', JSON.stringify({ state_digest: 'ff'.repeat(32) })), NOW)));
    refused(store, 'MalformedRequest', /signed by member [0-9a-f]+, but addressed to member/, () => privileged(store, (tx) => ackSigned(tx, sign(newcomer, 'ack', JSON.stringify({ state_digest: digest })), NOW, all[0]!.id)));
    const acked = privileged(store, (tx) => ackSigned(tx, sign(newcomer, 'ack', JSON.stringify({ state_digest: digest })), NOW, newcomer.id));
    assert.equal(acked.info.status, 'Active');
    assert.equal(read(store, (tx) => tx.map<string, MemberInfo>(MEMBER_INFO_MAP).get(newcomer.id))?.status, 'Active');
    assert.equal(proposeAs(store, sign(newcomer, 'proposal', addUser(stranger))).state, 'Open');
  });

  test('the state digest changes when governance does', () => {
    const store = service();
    const before = privileged(store, (tx) => updateStateDigestSigned(tx, sign(newcomer, 'state_digest', ''), NOW)).state_digest;
    const made = proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger)));
    for (const member of all.slice(0, 2)) privileged(store, (tx) => ballotSigned(tx, sandbox, sign(member, 'ballot', ballotBody(BALLOT_YES), { proposalId: made.proposal_id }), made.proposal_id, NOW));
    const after = privileged(store, (tx) => updateStateDigestSigned(tx, sign(newcomer, 'state_digest', ''), NOW)).state_digest;
    assert.notEqual(after, before);
    refused(store, 'StateDigestMismatch', /current state digest/, () => privileged(store, (tx) => ackSigned(tx, sign(newcomer, 'ack', JSON.stringify({ state_digest: before })), NOW)));
  });

  describe('refused, changing nothing', () => {
    test('a replayed request', () => {
      const store = service();
      const request = sign(all[0]!, 'proposal', addUser(stranger));
      const made = proposeAs(store, request);
      refused(store, 'ReplayedRequest', /was received already/, () => proposeAs(store, request));
      const ballot = sign(all[0]!, 'ballot', ballotBody(BALLOT_YES), { proposalId: made.proposal_id });
      privileged(store, (tx) => ballotSigned(tx, sandbox, ballot, made.proposal_id, NOW));
      refused(store, 'ReplayedRequest', /received already/, () => privileged(store, (tx) => ballotSigned(tx, sandbox, ballot, made.proposal_id, NOW)));
    });

    test('a replay in another envelope: untagged, or with unprotected headers added', () => {
      const store = service();
      const request = sign(all[0]!, 'proposal', addUser(stranger));
      proposeAs(store, request);
      const tagged = new Decoder({ mapsAsObjects: false }).decode(request) as Tag;
      const [protectedBytes, , payload, signature] = tagged.value as [Buffer, Map<number, unknown>, Buffer, Buffer];
      const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });
      const untagged = encoder.encode([protectedBytes, new Map(), payload, signature]);
      const decorated = encoder.encode(new Tag([protectedBytes, new Map([[99, 'noise']]), payload, signature], 18));
      refused(store, 'ReplayedRequest', /received already/, () => proposeAs(store, untagged));
      refused(store, 'ReplayedRequest', /received already/, () => proposeAs(store, decorated));
    });

    test('a forged signature, another key under the member\'s kid, or a changed payload', () => {
      const store = service();
      const request = sign(all[0]!, 'proposal', addUser(stranger));
      const flipped = Buffer.from(request);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0x01;
      refused(store, 'InvalidSignature', /does not verify with member [0-9a-f]+'s certificate/, () => proposeAs(store, flipped));
      const impostor = signGovernanceRequest({ privateKey: generateKeyPair('p256').privateKey, memberId: all[0]!.id, type: 'proposal', createdAtSeconds: NOW_SECONDS, payload: addUser(stranger) });
      refused(store, 'InvalidSignature', /does not verify/, () => proposeAs(store, impostor));
      const text = request.toString('latin1');
      const changed = Buffer.from(text.replace('set_user', 'set_usex'), 'latin1');
      assert.notDeepEqual(changed, request);
      refused(store, 'InvalidSignature', /does not verify/, () => proposeAs(store, changed));
    });

    test('a stale or future-dated request', () => {
      const store = service();
      refused(store, 'StaleRequest', new RegExp(`${requestAgeSecondsMax + 1} s ago, more than the ${requestAgeSecondsMax} s allowed`), () =>
        proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger), { createdAtSeconds: NOW_SECONDS - requestAgeSecondsMax - 1 })));
      refused(store, 'FutureRequest', /s in the future, more than the \d+ s of clock skew allowed/, () =>
        proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger), { createdAtSeconds: NOW_SECONDS + requestClockSkewSecondsMax + 1 })));
      assert.equal(proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger), { createdAtSeconds: NOW_SECONDS + requestClockSkewSecondsMax })).state, 'Open');
    });

    test('a forgotten request stays refused, even by a primary whose clock is behind', () => {
      const store = service();
      const old = sign(all[0]!, 'proposal', addUser(stranger), { createdAtSeconds: NOW_SECONDS });
      proposeAs(store, old);
      const later = new Date(NOW.getTime() + (requestAgeSecondsMax + 100) * 1000);
      proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger), { createdAtSeconds: NOW_SECONDS + requestAgeSecondsMax + 100 }), later);
      // A new primary whose clock reads NOW again: by its clock the old request is fresh.
      refused(store, 'StaleRequest', /is not after \d+, the newest request time this service no longer remembers/, () => proposeAs(store, old, NOW));
    });

    test('a request of the wrong message type', () => {
      const store = service();
      const made = proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger)));
      refused(store, 'WrongMessageType', /signed as a "ballot" message, but this operation takes a "proposal" message/, () =>
        proposeAs(store, sign(all[0]!, 'ballot', addUser(stranger), { proposalId: made.proposal_id })));
      refused(store, 'WrongMessageType', /signed as a "proposal" message, but this operation takes a "ballot"/, () =>
        privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[0]!, 'proposal', ballotBody(BALLOT_YES)), made.proposal_id, NOW)));
      refused(store, 'WrongMessageType', /takes a "withdrawal"/, () =>
        privileged(store, (tx) => withdrawSigned(tx, sign(all[0]!, 'ack', '', { proposalId: made.proposal_id }), made.proposal_id, NOW)));
    });

    test('a request from a non-member, including a user', async () => {
      const store = service();
      const user = await identity('signed-user');
      proposeAs(store, sign(all[0]!, 'proposal', addUser(user)));
      refused(store, 'UnknownMember', /signed by [0-9a-f]+, which is not a member of this service/, () => proposeAs(store, sign(stranger, 'proposal', addUser(stranger))));
      refused(store, 'UnknownMember', /not a member/, () => proposeAs(store, sign(user, 'proposal', addUser(stranger))));
    });

    test('a ballot or withdrawal addressed to another proposal, or a second ballot', () => {
      const store = service();
      const first = proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger)));
      const second = proposeAs(store, sign(all[0]!, 'proposal', addUser(newcomer)));
      refused(store, 'ProposalIdMismatch', /signed for proposal [0-9a-f]+, not [0-9a-f]+/, () =>
        privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[1]!, 'ballot', ballotBody(BALLOT_YES), { proposalId: first.proposal_id }), second.proposal_id, NOW)));
      refused(store, 'ProposalIdMismatch', /signed for proposal/, () =>
        privileged(store, (tx) => withdrawSigned(tx, sign(all[0]!, 'withdrawal', '', { proposalId: first.proposal_id }), second.proposal_id, NOW)));
      privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[1]!, 'ballot', ballotBody(BALLOT_YES), { proposalId: first.proposal_id }), first.proposal_id, NOW));
      refused(store, 'BallotAlreadySubmitted', /already/, () =>
        privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[1]!, 'ballot', ballotBody(BALLOT_YES), { proposalId: first.proposal_id }), first.proposal_id, NOW)));
      refused(store, 'NotProposer', /only the proposer/, () =>
        privileged(store, (tx) => withdrawSigned(tx, sign(all[1]!, 'withdrawal', '', { proposalId: first.proposal_id }), first.proposal_id, NOW)));
    });

    test('malformed requests', () => {
      const store = service();
      const made = proposeAs(store, sign(all[0]!, 'proposal', addUser(stranger)));
      const key = all[0]!.privateKey;
      const raw = (headers: Map<string | number, unknown>, kid: Uint8Array | null = Buffer.from(all[0]!.id)): Buffer =>
        coseSign1Sign({ privateKey: key, ...(kid === null ? {} : { kid }), protectedHeaders: headers, payload: Buffer.from(addUser(stranger)) });
      const base = (): Map<string | number, unknown> => new Map<string | number, unknown>([[HEADER_MESSAGE_TYPE, 'proposal'], [HEADER_CREATED_AT, NOW_SECONDS]]);
      const cases: Array<[string, RegExp, Buffer]> = [
        ['garbage', /not a valid COSE Sign1 message/, Buffer.from('not cbor at all')],
        ['no kid', /has no kid/, raw(base(), null)],
        ['a binary kid', /kid must be the ASCII hex SHA-256/, raw(base(), Buffer.from(all[0]!.id, 'hex'))],
        ['no type', /has no coco\.gov\.msg\.type/, raw(new Map([[HEADER_CREATED_AT, NOW_SECONDS]]))],
        ['a text created_at', /created_at must be a non-negative integer/, raw(new Map([[HEADER_MESSAGE_TYPE, 'proposal'], [HEADER_CREATED_AT, 'yesterday']]))],
        ['a proposal with a proposal id', /a proposal message carries no coco\.gov\.msg\.proposal_id/, sign(all[0]!, 'proposal', addUser(stranger), { proposalId: made.proposal_id })],
      ];
      for (const [what, message, request] of cases) {
        assert.doesNotThrow(() => refused(store, 'MalformedRequest', message, () => proposeAs(store, request)), what);
      }
      refused(store, 'MalformedRequest', /a ballot must carry coco\.gov\.msg\.proposal_id/, () =>
        privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[1]!, 'ballot', ballotBody(BALLOT_YES)), made.proposal_id, NOW)));
      refused(store, 'MalformedRequest', /the ballot is not JSON \(it must be \{"ballot": string\}\)/, () =>
        privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[1]!, 'ballot', BALLOT_YES, { proposalId: made.proposal_id }), made.proposal_id, NOW)));
      refused(store, 'MalformedRequest', /the ballot must be a JSON object \{"ballot": string\}/, () =>
        privileged(store, (tx) => ballotSigned(tx, sandbox, sign(all[1]!, 'ballot', JSON.stringify({ ballot: BALLOT_YES, also: 1 }), { proposalId: made.proposal_id }), made.proposal_id, NOW)));
      refused(store, 'MalformedRequest', /a withdrawal carries no payload/, () =>
        privileged(store, (tx) => withdrawSigned(tx, sign(all[0]!, 'withdrawal', 'please', { proposalId: made.proposal_id }), made.proposal_id, NOW)));
      refused(store, 'ProposalInvalid', /the proposal is not JSON/, () => proposeAs(store, sign(all[0]!, 'proposal', '{ nope')));
    });
  });

  test('every error code suggests an HTTP status for the edge', () => {
    const codes = Object.keys(suggestedHttpStatus) as GovernanceErrorCode[];
    assert.ok(codes.length >= 20);
    for (const code of codes) assert.ok(suggestedHttpStatus[code] >= 400 && suggestedHttpStatus[code] < 600, code);
    assert.equal(suggestedHttpStatus.UnknownMember, 401);
    assert.equal(suggestedHttpStatus.MemberNotActive, 403);
  });
});
