// The voting rules: the default strict majority of Active members, the whitepaper's
// variants (unanimity, M of N, an automatic policy for adding nodes), ballots re-run on
// the current state, and changing the rule itself (decided under the old rule; the next
// proposal follows the new one; proposals still Open are Dropped).
import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import {
  CONSTITUTION_KEY,
  CONSTITUTION_MAP,
  DEFAULT_CONSTITUTION,
  GovernanceError,
  JsSandbox,
  NODES_MAP,
  UNANIMITY_CONSTITUTION,
  automaticNodesConstitution,
  getProposal,
  mOfNConstitution,
  propose,
  submitBallot,
  type NodeInfo,
  type ProposalOutcome,
} from '../../src/gov/index.js';
import type { Store } from '../../src/kv/index.js';
import { BALLOT_NO, BALLOT_YES, governedStore, identity, loadSandbox, members, node, privileged, proposal, read, type Identity } from './governance-fixture.js';

let sandbox: JsSandbox;
let all: Identity[];
let user: Identity;

function open(store: Store, proposer: Identity, text: string): ProposalOutcome {
  return privileged(store, (tx) => propose(tx, sandbox, proposer.id, text));
}

function vote(store: Store, member: Identity, proposalId: string, ballot: string): ProposalOutcome {
  return privileged(store, (tx) => submitBallot(tx, sandbox, member.id, proposalId, ballot));
}

/** Ballots in order; returns the state after each. */
function votes(store: Store, proposalId: string, ballots: Array<[Identity, string]>): string[] {
  return ballots.map(([member, ballot]) => vote(store, member, proposalId, ballot).state);
}

function addUser(): string {
  return proposal({ name: 'set_user', args: { cert: user.certificate } });
}

const pending = (index: number): string => index.toString(16).padStart(2, '0').repeat(32);

function withPendingNodes(store: Store, count: number, measurement?: string): void {
  privileged(store, (tx) => {
    for (let index = 10; index < 10 + count; index += 1) tx.map<string, NodeInfo>(NODES_MAP).set(pending(index), node('Pending', measurement));
  });
}

function trustNode(index: number): string {
  return proposal({ name: 'transition_node_to_trusted', args: { node_id: pending(index) } });
}

describe('voting rules', () => {
  before(async () => {
    sandbox = await loadSandbox();
    all = await members(5);
    user = await identity('voter-user');
  });

  describe('the default: a strict majority of Active members', () => {
    test('accepts once more than half the Active members vote for it', () => {
      const store = governedStore({ members: all.slice(0, 3) });
      const made = open(store, all[0]!, addUser());
      assert.equal(made.state, 'Open');
      assert.deepEqual(votes(store, made.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_YES]]), ['Open', 'Accepted']);
    });

    test('rejects once more than half vote against it', () => {
      const store = governedStore({ members: all.slice(0, 3) });
      const made = open(store, all[0]!, addUser());
      assert.deepEqual(votes(store, made.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_NO], [all[2]!, BALLOT_NO]]), ['Open', 'Open', 'Rejected']);
    });

    test('a tie is no majority: the proposal stays Open', () => {
      const store = governedStore({ members: all.slice(0, 4) });
      const made = open(store, all[0]!, addUser());
      const states = votes(store, made.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_YES], [all[2]!, BALLOT_NO], [all[3]!, BALLOT_NO]]);
      assert.deepEqual(states, ['Open', 'Open', 'Open', 'Open']);
    });

    test('only Active members count: Accepted members are not in the majority and cannot vote', () => {
      const store = governedStore({ members: all.slice(0, 3), active: all.slice(0, 2) });
      const made = open(store, all[0]!, addUser());
      assert.deepEqual(votes(store, made.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_YES]]), ['Open', 'Accepted']);
      const next = open(store, all[0]!, proposal({ name: 'set_user_data', args: { user_id: user.id, user_data: 1 } }));
      assert.throws(() => vote(store, all[2]!, next.proposal_id, BALLOT_YES), (error: unknown) => error instanceof GovernanceError && error.code === 'MemberNotActive');
    });

    test('ballots are re-run on the current state at each resolution', () => {
      const store = governedStore({ members: all.slice(0, 3) });
      const whileOpening = 'export function vote() { return coco.kv.get("public:coco.gov.service.info", 0).status === "Opening"; }';
      const made = open(store, all[0]!, addUser());
      assert.equal(vote(store, all[0]!, made.proposal_id, whileOpening).state, 'Open');
      const opening = open(store, all[1]!, proposal({ name: 'transition_service_to_open' }));
      votes(store, opening.proposal_id, [[all[1]!, BALLOT_YES], [all[2]!, BALLOT_YES]]);
      // member0's ballot now says no, so two ballots in favour are not two votes in favour.
      const after = vote(store, all[1]!, made.proposal_id, BALLOT_YES);
      assert.equal(after.state, 'Open');
      const final = vote(store, all[2]!, made.proposal_id, BALLOT_YES);
      assert.equal(final.state, 'Accepted');
      assert.deepEqual(final.final_votes, { [all[0]!.id]: false, [all[1]!.id]: true, [all[2]!.id]: true });
    });

    test('a ballot that fails on a later run is recorded and does not count', () => {
      const store = governedStore({ members: all.slice(0, 3) });
      const brittle = 'export function vote() { if (coco.kv.get("public:coco.gov.service.info", 0).status !== "Opening") throw new Error("only while opening"); return true; }';
      const made = open(store, all[0]!, addUser());
      vote(store, all[0]!, made.proposal_id, brittle);
      const opening = open(store, all[1]!, proposal({ name: 'transition_service_to_open' }));
      votes(store, opening.proposal_id, [[all[1]!, BALLOT_YES], [all[2]!, BALLOT_YES]]);
      const after = vote(store, all[1]!, made.proposal_id, BALLOT_YES);
      assert.equal(after.state, 'Open');
      assert.match(after.vote_failures?.[all[0]!.id]?.reason ?? '', /ballot\.js threw while running vote: Error: only while opening/);
    });

    test('a ballot may vote on the proposal\'s content', () => {
      const store = governedStore({ members: all.slice(0, 3) });
      const usersOnly = 'export function vote(proposal) { return JSON.parse(proposal).actions.every((a) => a.name === "set_user"); }';
      const users = open(store, all[0]!, addUser());
      const code = open(store, all[0]!, proposal({ name: 'add_tee_platform', args: { platform: 'sev-snp' } }));
      assert.deepEqual(votes(store, users.proposal_id, [[all[0]!, usersOnly], [all[1]!, usersOnly]]), ['Open', 'Accepted']);
      assert.deepEqual(votes(store, code.proposal_id, [[all[0]!, usersOnly], [all[1]!, usersOnly]]), ['Open', 'Rejected']);
    });
  });

  describe('the whitepaper\'s variants', () => {
    test('unanimity: every Active member must accept; one rejection rejects', () => {
      const store = governedStore({ members: all.slice(0, 3), constitution: UNANIMITY_CONSTITUTION });
      const first = open(store, all[0]!, addUser());
      assert.deepEqual(votes(store, first.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_YES], [all[2]!, BALLOT_YES]]), ['Open', 'Open', 'Accepted']);
      const second = open(store, all[0]!, proposal({ name: 'remove_user', args: { user_id: user.id } }));
      assert.deepEqual(votes(store, second.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_NO]]), ['Open', 'Rejected']);
    });

    test('M of N: 2 of 4 accept; rejected once 2 can no longer be reached', () => {
      const store = governedStore({ members: all.slice(0, 4), constitution: mOfNConstitution(2) });
      const first = open(store, all[0]!, addUser());
      assert.deepEqual(votes(store, first.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_YES]]), ['Open', 'Accepted']);
      const second = open(store, all[0]!, proposal({ name: 'remove_user', args: { user_id: user.id } }));
      assert.deepEqual(votes(store, second.proposal_id, [[all[0]!, BALLOT_NO], [all[1]!, BALLOT_NO], [all[2]!, BALLOT_NO]]), ['Open', 'Open', 'Rejected']);
      assert.throws(() => mOfNConstitution(0), RangeError);
    });

    test('automatic: a member trusts up to K nodes running approved code without a vote', () => {
      const store = governedStore({ members: all.slice(0, 3), constitution: automaticNodesConstitution(2) });
      withPendingNodes(store, 4);
      assert.equal(open(store, all[0]!, trustNode(10)).state, 'Accepted');
      assert.equal(open(store, all[0]!, trustNode(11)).state, 'Accepted');
      const third = open(store, all[0]!, trustNode(12));
      assert.equal(third.state, 'Open', 'the third node of the same member needs a vote');
      assert.equal(open(store, all[1]!, trustNode(13)).state, 'Accepted', 'another member has its own allowance');
      assert.deepEqual(votes(store, third.proposal_id, [[all[0]!, BALLOT_YES], [all[2]!, BALLOT_YES]]), ['Open', 'Accepted']);
      const statuses = read(store, (tx) => [10, 11, 12, 13].map((index) => tx.map<string, NodeInfo>(NODES_MAP).get(pending(index))?.status));
      assert.deepEqual(statuses, ['Trusted', 'Trusted', 'Trusted', 'Trusted']);
    });

    test('automatic: unapproved code, or anything else in the proposal, needs a vote', () => {
      const store = governedStore({ members: all.slice(0, 3), constitution: automaticNodesConstitution(5) });
      withPendingNodes(store, 1, 'cd'.repeat(32));
      assert.equal(open(store, all[0]!, trustNode(10)).state, 'Open');
      withPendingNodes(store, 2);
      const mixed = proposal({ name: 'transition_node_to_trusted', args: { node_id: pending(11) } }, { name: 'set_user', args: { cert: user.certificate } });
      assert.equal(open(store, all[0]!, mixed).state, 'Open');
      assert.equal(open(store, all[0]!, addUser()).state, 'Open');
    });
  });

  describe('changing the rule', () => {
    test('is decided under the old rule; the next proposal follows the new one; open ones are Dropped', () => {
      const store = governedStore({ members: all.slice(0, 3) });
      const bystander = open(store, all[2]!, addUser());
      const change = open(store, all[0]!, proposal({ name: 'set_constitution', args: { constitution: UNANIMITY_CONSTITUTION } }));
      // Two of three is a majority (the old rule), though not unanimity (the new one).
      assert.deepEqual(votes(store, change.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_YES]]), ['Open', 'Accepted']);
      assert.equal(read(store, (tx) => tx.map(CONSTITUTION_MAP).get(CONSTITUTION_KEY)), UNANIMITY_CONSTITUTION);
      assert.equal(read(store, (tx) => getProposal(tx, bystander.proposal_id))?.state, 'Dropped');
      assert.throws(() => vote(store, all[0]!, bystander.proposal_id, BALLOT_YES), (error: unknown) => error instanceof GovernanceError && error.code === 'ProposalNotOpen');

      const next = open(store, all[0]!, addUser());
      assert.deepEqual(votes(store, next.proposal_id, [[all[0]!, BALLOT_YES], [all[1]!, BALLOT_YES], [all[2]!, BALLOT_YES]]), ['Open', 'Open', 'Accepted']);
    });

    test('a new constitution that does not load fails the proposal and changes nothing', () => {
      const store = governedStore({ members: all.slice(0, 1) });
      const bystander = open(store, all[0]!, addUser());
      for (const broken of ['export function validate() {', 'export function validate() {} export function apply() {}']) {
        const change = open(store, all[0]!, proposal({ name: 'set_constitution', args: { constitution: broken } }));
        const outcome = vote(store, all[0]!, change.proposal_id, BALLOT_YES);
        assert.equal(outcome.state, 'Failed');
        assert.match(outcome.failure?.reason ?? '', /the new constitution does not load, so it was not installed: constitution\.js (does not parse|does not export a function named resolve)/);
      }
      assert.equal(read(store, (tx) => tx.map(CONSTITUTION_MAP).get(CONSTITUTION_KEY)), DEFAULT_CONSTITUTION);
      assert.equal(read(store, (tx) => getProposal(tx, bystander.proposal_id))?.state, 'Open');
    });
  });
});
