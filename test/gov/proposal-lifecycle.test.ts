// The proposal lifecycle: unique ids, one ballot per member, withdrawal by the proposer
// while Open, only Active members acting; and a constitution or ballot that throws,
// loops, allocates without end or returns garbage fails with a clear message, quickly,
// without stalling the caller or leaving partial writes.
import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import {
  CONSTITUTION_KEY,
  CONSTITUTION_MAP,
  GovernanceError,
  JsSandbox,
  USER_CERTS_MAP,
  USER_INFO_MAP,
  ballotBytesMax,
  getBallot,
  getProposal,
  isProposalId,
  listProposals,
  openProposalsMax,
  proposalBytesMax,
  propose,
  submitBallot,
  withdrawProposal,
  type GovernanceErrorCode,
  type ProposalOutcome,
} from '../../src/gov/index.js';
import type { Store } from '../../src/kv/index.js';
import { BALLOT_NO, BALLOT_YES, dump, governedStore, identity, loadSandbox, members, privileged, proposal, read, type Identity } from './governance-fixture.js';

let sandbox: JsSandbox;
let all: Identity[];
let user: Identity;

function open(store: Store, proposer: Identity, text: string): ProposalOutcome {
  return privileged(store, (tx) => propose(tx, sandbox, proposer.id, text));
}

function vote(store: Store, member: Identity, proposalId: string, ballot: string): ProposalOutcome {
  return privileged(store, (tx) => submitBallot(tx, sandbox, member.id, proposalId, ballot));
}

/** Asserts `action` is refused with `code` (and message), quickly, and changes nothing in `store`. */
function refused(store: Store, code: GovernanceErrorCode, message: RegExp, action: () => unknown): void {
  const before = dump(store);
  const start = performance.now();
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof GovernanceError, `expected a GovernanceError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
  assert.ok(performance.now() - start < 5_000, `refusal took ${performance.now() - start} ms`);
  assert.equal(dump(store), before, 'a refused request changes nothing');
}

function addUser(): string {
  return proposal({ name: 'set_user', args: { cert: user.certificate } });
}

/** A constitution whose validate accepts everything and whose resolve/apply are `parts`. */
function constitution(parts: { validate?: string; resolve?: string; apply?: string }): string {
  return [
    `export function validate(input) { ${parts.validate ?? 'return { valid: true, description: "OK" };'} }`,
    `export function resolve(proposal, proposerId, votes) { ${parts.resolve ?? 'return "Accepted";'} }`,
    `export function apply(proposal, proposalId) { ${parts.apply ?? ''} }`,
  ].join('\n');
}

function quickly<T>(body: () => T): T {
  const start = performance.now();
  const result = body();
  const ms = performance.now() - start;
  assert.ok(ms < 5_000, `took ${ms} ms`);
  return result;
}

describe('the proposal lifecycle', () => {
  before(async () => {
    sandbox = await loadSandbox();
    all = await members(3);
    user = await identity('lifecycle-user');
  });

  test('a proposal gets a unique id, even when its bytes repeat', () => {
    const store = governedStore({ members: all });
    const first = open(store, all[0]!, addUser());
    const second = open(store, all[0]!, addUser());
    const both = privileged(store, (tx) => [propose(tx, sandbox, all[0]!.id, addUser()), propose(tx, sandbox, all[0]!.id, addUser())]);
    const ids = [first, second, ...both].map((outcome) => outcome.proposal_id);
    assert.ok(ids.every(isProposalId));
    assert.equal(new Set(ids).size, 4);
    assert.deepEqual(read(store, (tx) => listProposals(tx)).map((outcome) => outcome.proposal_id).sort(), [...ids].sort());
    assert.equal(read(store, (tx) => getProposal(tx, first.proposal_id))?.proposal, addUser());
  });

  test('a one-member service accepts with the proposer\'s own ballot', () => {
    const store = governedStore({ members: all.slice(0, 1) });
    const made = open(store, all[0]!, addUser());
    assert.equal(vote(store, all[0]!, made.proposal_id, BALLOT_YES).state, 'Accepted');
    assert.equal(read(store, (tx) => tx.map(USER_CERTS_MAP).get(user.id)), user.certificate);
  });

  test('resolve() runs at creation: a rule may accept with no ballots at all', () => {
    const store = governedStore({ members: all, constitution: constitution({ apply: `coco.kv.set("${USER_INFO_MAP}", "x", {});` }) });
    const made = open(store, all[0]!, addUser());
    assert.equal(made.state, 'Accepted');
    assert.deepEqual(made.final_votes, {});
  });

  test('each member has one ballot per proposal; a second is refused', () => {
    const store = governedStore({ members: all });
    const made = open(store, all[0]!, addUser());
    vote(store, all[0]!, made.proposal_id, BALLOT_YES);
    refused(store, 'BallotAlreadySubmitted', /has a ballot on proposal [0-9a-f]+ already/, () => vote(store, all[0]!, made.proposal_id, BALLOT_NO));
    assert.equal(read(store, (tx) => getBallot(tx, made.proposal_id, all[0]!.id)), BALLOT_YES);
    assert.equal(read(store, (tx) => getBallot(tx, made.proposal_id, all[1]!.id)), undefined);
  });

  test('only the proposer withdraws, and only while the proposal is Open', () => {
    const store = governedStore({ members: all });
    const made = open(store, all[0]!, addUser());
    refused(store, 'NotProposer', /only the proposer, [0-9a-f]+, may withdraw/, () => privileged(store, (tx) => withdrawProposal(tx, all[1]!.id, made.proposal_id)));
    assert.equal(privileged(store, (tx) => withdrawProposal(tx, all[0]!.id, made.proposal_id)).state, 'Withdrawn');
    refused(store, 'ProposalNotOpen', /is Withdrawn, no longer Open/, () => privileged(store, (tx) => withdrawProposal(tx, all[0]!.id, made.proposal_id)));
    refused(store, 'ProposalNotOpen', /is Withdrawn/, () => vote(store, all[1]!, made.proposal_id, BALLOT_YES));
    refused(store, 'ProposalNotFound', /there is no proposal f+/, () => privileged(store, (tx) => withdrawProposal(tx, all[0]!.id, 'f'.repeat(64))));
    refused(store, 'ProposalNotFound', /there is no proposal/, () => vote(store, all[0]!, 'f'.repeat(64), BALLOT_YES));
  });

  test('an Accepted (not yet Active) member or a stranger can neither propose nor vote', async () => {
    const store = governedStore({ members: all, active: all.slice(0, 2) });
    const made = open(store, all[0]!, addUser());
    refused(store, 'MemberNotActive', /is Accepted, not Active: acknowledge the state digest first/, () => open(store, all[2]!, addUser()));
    refused(store, 'MemberNotActive', /not Active/, () => vote(store, all[2]!, made.proposal_id, BALLOT_YES));
    const stranger = await identity('stranger');
    refused(store, 'UnknownMember', /is not a member of this service/, () => open(store, stranger, addUser()));
  });

  test('a service without a loadable constitution refuses proposals clearly', () => {
    const placeholder = governedStore({ members: all, constitution: '// The constitution arrives with governance: proposals cannot be made yet.\n' });
    refused(placeholder, 'ConstitutionUnavailable', /the service's constitution does not load: constitution\.js does not export a function named validate/, () => open(placeholder, all[0]!, addUser()));
    const none = governedStore({ members: all });
    privileged(none, (tx) => tx.map(CONSTITUTION_MAP).delete(CONSTITUTION_KEY));
    refused(none, 'ConstitutionUnavailable', /has no constitution/, () => open(none, all[0]!, addUser()));
  });

  test('proposals and ballots over their size limits are refused', () => {
    const store = governedStore({ members: all });
    refused(store, 'TooLarge', /over the \d+-byte maximum/, () => open(store, all[0]!, ' '.repeat(proposalBytesMax + 1)));
    const made = open(store, all[0]!, addUser());
    refused(store, 'TooLarge', /the ballot is \d+ bytes/, () => vote(store, all[0]!, made.proposal_id, `${BALLOT_YES}//${'x'.repeat(ballotBytesMax)}`));
  });

  test('at most openProposalsMax proposals are Open at once', () => {
    const store = governedStore({ members: all, constitution: constitution({ resolve: 'return "Open";' }) });
    privileged(store, (tx) => {
      for (let index = 0; index < openProposalsMax; index += 1) propose(tx, sandbox, all[index % 3]!.id, proposal({ name: 'note', args: { index } }));
    });
    refused(store, 'TooManyOpenProposals', new RegExp(`${openProposalsMax} proposals are Open, the most allowed`), () => open(store, all[0]!, addUser()));
  });

  describe('a constitution that misbehaves', () => {
    test('in validate(): the proposal is refused with the reason, and nothing is stored', () => {
      const cases: Array<[string, RegExp]> = [
        ['for (;;) {}', /validate\(\) failed: constitution\.js ran out of its execution budget/],
        ['throw new TypeError("cannot read the proposal")', /validate\(\) failed: constitution\.js threw while running validate: TypeError: cannot read the proposal/],
        ['return 42', /validate\(\) returned 42, not \{ valid: boolean, description: string \}/],
        ['const a = []; for (;;) a.push({ n: a.length })', /validate\(\) failed: constitution\.js used more than its \d+-byte memory limit/],
      ];
      for (const [body, message] of cases) {
        const store = governedStore({ members: all, constitution: constitution({ validate: body }) });
        refused(store, 'ConstitutionFailed', message, () => open(store, all[0]!, addUser()));
      }
      const strict = governedStore({ members: all, constitution: constitution({ validate: 'return { valid: false, description: "no thanks" }' }) });
      refused(strict, 'ProposalInvalid', /the proposal is invalid: no thanks/, () => open(strict, all[0]!, addUser()));
    });

    test('in resolve(): the proposal is Failed with the reason', () => {
      const cases: Array<[string, RegExp]> = [
        ['for (;;) {}', /resolve\(\) failed: constitution\.js ran out of its execution budget of \d+ steps while running resolve/],
        ['throw new Error("no quorum rule")', /resolve\(\) failed: constitution\.js threw while running resolve: Error: no quorum rule \(at constitution\.js:2:\d+\)/],
        ['return "Maybe"', /resolve\(\) returned "Maybe", not "Open", "Accepted" or "Rejected"/],
        ['return undefined', /resolve\(\) returned nothing/],
        ['let s = "x"; for (;;) s = s + s', /resolve\(\) failed: constitution\.js threw while running resolve: InternalError: string too long/],
        ['const a = []; for (;;) a.push("y".repeat(1000) + a.length)', /resolve\(\) failed: constitution\.js (used more than|ran out of) its/],
      ];
      for (const [body, reason] of cases) {
        const store = governedStore({ members: all, constitution: constitution({ resolve: body }) });
        const made = quickly(() => open(store, all[0]!, addUser()));
        assert.equal(made.state, 'Failed', body);
        assert.match(made.failure?.reason ?? '', reason);
        assert.equal(read(store, (tx) => getProposal(tx, made.proposal_id))?.state, 'Failed');
      }
    });

    test('in apply(): the proposal is Failed and none of apply\'s writes remain', () => {
      const cases: Array<[string, RegExp]> = [
        [`coco.kv.set("${USER_INFO_MAP}", "half", {}); throw new Error("halfway")`, /apply\(\) failed: constitution\.js threw while running apply: Error: halfway/],
        [`coco.kv.set("${USER_INFO_MAP}", "half", {}); for (;;) {}`, /apply\(\) failed: constitution\.js ran out of its execution budget/],
        ['coco.kv.set("public:coco.gov.proposals_info", "forged", { state: "Accepted" })', /public:coco\.gov\.proposals_info is kept by the governance framework/],
        ['coco.kv.set("public:app.data", "k", 1)', /may use only the public:coco\.gov\.\* maps/],
        [`coco.kv.set("${USER_INFO_MAP}", "k", undefined)`, /coco\.kv\.set needs a value/],
        [`coco.kv.set("${USER_INFO_MAP}", { not: "a key" }, 1)`, /a governance map key is a string/],
      ];
      for (const [body, reason] of cases) {
        const store = governedStore({ members: all, constitution: constitution({ apply: body }) });
        const before = read(store, (tx) => [...tx.map(USER_INFO_MAP).entries()]);
        const made = quickly(() => open(store, all[0]!, addUser()));
        assert.equal(made.state, 'Failed', body);
        assert.match(made.failure?.reason ?? '', reason);
        assert.deepEqual(read(store, (tx) => [...tx.map(USER_INFO_MAP).entries()]), before);
      }
    });

    test('validate(), resolve() and ballots may read but not write', () => {
      const write = `coco.kv.set("${USER_INFO_MAP}", "x", {});`;
      const store = governedStore({ members: all, constitution: constitution({ validate: `${write} return { valid: true }` }) });
      refused(store, 'ConstitutionFailed', /coco\.kv may only be written by apply\(\)/, () => open(store, all[0]!, addUser()));
      const resolving = governedStore({ members: all, constitution: constitution({ resolve: `${write} return "Open"` }) });
      assert.match(open(resolving, all[0]!, addUser()).failure?.reason ?? '', /may only be written by apply/);
    });
  });

  describe('a ballot that misbehaves when submitted is refused, and nothing is recorded', () => {
    const cases: Array<[string, RegExp]> = [
      ['export function vote() { for (;;) {} }', /the ballot failed: ballot\.js ran out of its execution budget/],
      ['export function vote() { throw new Error("undecided") }', /the ballot failed: ballot\.js threw while running vote: Error: undecided/],
      ['export function vote() { return "yes" }', /the ballot failed: vote\(\) returned "yes", not true or false/],
      ['export function vote() { const a = []; for (;;) a.push({ i: a.length }) }', /ballot\.js used more than its \d+-byte memory limit/],
      ['export function vote( {', /the ballot does not load: ballot\.js does not parse/],
      ['export function ballot() { return true }', /the ballot does not load: ballot\.js does not export a function named vote/],
      [`export function vote() { coco.kv.set("${USER_INFO_MAP}", "x", {}); return true }`, /may only be written by apply/],
    ];
    for (const [source, message] of cases) {
      test(source, () => {
        const store = governedStore({ members: all });
        const made = open(store, all[0]!, addUser());
        refused(store, 'BallotInvalid', message, () => vote(store, all[1]!, made.proposal_id, source));
      });
    }
  });
});
