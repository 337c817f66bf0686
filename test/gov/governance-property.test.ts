// Property (fast-check): whatever members send — proposals valid or not, ballots for or
// against or broken, withdrawals, acknowledgements, replays and forgeries, in any order —
// the governed maps change only when a proposal becomes Accepted, or when a member's own
// ack turns it from Accepted to Active; and a refused request changes nothing at all.
import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  GOVERNED_MAPS,
  GovernanceError,
  JsSandbox,
  MEMBER_INFO_MAP,
  ackSigned,
  ballotSigned,
  getProposal,
  proposeSigned,
  readStateDigest,
  updateStateDigestSigned,
  withdrawSigned,
  type MemberInfo,
  type ProposalOutcome,
} from '../../src/gov/index.js';
import type { Store, Transaction } from '../../src/kv/index.js';
import { BALLOT_NO, BALLOT_YES, NOW, ballotBody, dump, governedStore, identity, loadSandbox, members, privileged, proposal, read, sign, type Identity } from './governance-fixture.js';

let sandbox: JsSandbox;
let all: Identity[];
let users: Identity[];

type Operation =
  | { readonly kind: 'propose'; readonly member: number; readonly action: number }
  | { readonly kind: 'ballot'; readonly member: number; readonly proposal: number; readonly ballot: number }
  | { readonly kind: 'withdraw'; readonly member: number; readonly proposal: number }
  | { readonly kind: 'digest'; readonly member: number }
  | { readonly kind: 'ack'; readonly member: number; readonly correct: boolean }
  | { readonly kind: 'replay'; readonly request: number }
  | { readonly kind: 'forge'; readonly request: number };

const BALLOTS = [BALLOT_YES, BALLOT_YES, BALLOT_YES, BALLOT_NO, 'export function vote() { throw new Error("no") }', 'export function vote() { return "maybe" }'];

function actionPool(): string[] {
  return [
    proposal({ name: 'set_user', args: { cert: users[0]!.certificate } }),
    proposal({ name: 'set_user', args: { cert: users[1]!.certificate, user_data: { n: 1 } } }),
    proposal({ name: 'remove_user', args: { user_id: users[0]!.id } }),
    proposal({ name: 'add_tee_platform', args: { platform: 'sev-snp' } }),
    proposal({ name: 'remove_tee_platform', args: { platform: 'sev-snp' } }),
    proposal({ name: 'transition_service_to_open' }),
    proposal({ name: 'set_member_data', args: { member_id: all[0]!.id, member_data: 'chair' } }),
    proposal({ name: 'set_recovery_threshold', args: { recovery_threshold: 2 } }),
    proposal({ name: 'remove_member', args: { member_id: all[3]!.id } }),
    proposal({ name: 'no_such_action' }),
    '{ not json',
  ];
}

// Mostly Active members (0-2; member 3 starts Accepted), mostly the latest proposal.
const member = fc.oneof({ weight: 4, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.constant(3) });
const recent = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(3) });

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('propose' as const), member, action: fc.nat(10) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('ballot' as const), member, proposal: recent, ballot: fc.nat(BALLOTS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), member, proposal: recent }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), member: fc.nat(3), correct: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replay' as const), request: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forge' as const), request: fc.nat(30) }) },
);

/** The governed maps' contents, in a comparable form. */
function governed(store: Store): Record<string, Array<[unknown, unknown]>> {
  return read(store, (tx) => Object.fromEntries(GOVERNED_MAPS.map((name) => [name, [...tx.map(name).entries()]])));
}

interface World {
  readonly store: Store;
  readonly proposals: string[];
  /** Every signed request sent, with how to send it again. */
  readonly sent: Array<{ readonly bytes: Buffer; readonly send: (tx: Transaction, bytes: Buffer) => unknown }>;
}

/** Sends one signed request; returns what it did to a proposal, if anything. */
function perform(world: World, op: Operation, pool: string[]): { outcome?: ProposalOutcome; acked?: string } {
  const send = (bytes: Buffer, run: (tx: Transaction, bytes: Buffer) => unknown): unknown => {
    world.sent.push({ bytes, send: run });
    return privileged(world.store, (tx) => run(tx, bytes));
  };
  // Mostly the latest proposals, so ballots gather on the same ones.
  const pick = (index: number): string => world.proposals[world.proposals.length - 1 - (index % Math.max(world.proposals.length, 1))] ?? 'f'.repeat(64);
  switch (op.kind) {
    case 'propose': {
      const outcome = send(sign(all[op.member]!, 'proposal', pool[op.action]!), (tx, bytes) => proposeSigned(tx, sandbox, bytes, NOW)) as ProposalOutcome;
      world.proposals.push(outcome.proposal_id);
      return { outcome };
    }
    case 'ballot': {
      const id = pick(op.proposal);
      return { outcome: send(sign(all[op.member]!, 'ballot', ballotBody(BALLOTS[op.ballot]!), { proposalId: id }), (tx, bytes) => ballotSigned(tx, sandbox, bytes, id, NOW)) as ProposalOutcome };
    }
    case 'withdraw': {
      const id = pick(op.proposal);
      return { outcome: send(sign(all[op.member]!, 'withdrawal', '', { proposalId: id }), (tx, bytes) => withdrawSigned(tx, bytes, id, NOW)) as ProposalOutcome };
    }
    case 'digest':
      send(sign(all[op.member]!, 'state_digest', ''), (tx, bytes) => updateStateDigestSigned(tx, bytes, NOW));
      return {};
    case 'ack': {
      const member = all[op.member]!;
      const digest = op.correct ? (read(world.store, (tx) => readStateDigest(tx, member.id))?.state_digest ?? '00'.repeat(32)) : 'ab'.repeat(32);
      send(sign(member, 'ack', JSON.stringify({ state_digest: digest })), (tx, bytes) => ackSigned(tx, bytes, NOW));
      return { acked: member.id };
    }
    case 'replay':
    case 'forge': {
      const previous = world.sent[op.request % Math.max(world.sent.length, 1)];
      if (previous === undefined) return {};
      const bytes = Buffer.from(previous.bytes);
      if (op.kind === 'forge') bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x80;
      const result = privileged(world.store, (tx) => previous.send(tx, bytes));
      return typeof result === 'object' && result !== null && 'proposal_id' in result ? { outcome: result as ProposalOutcome } : {};
    }
  }
}

describe('governance property', () => {
  before(async () => {
    sandbox = await loadSandbox();
    all = await members(4);
    users = [await identity('property-user0'), await identity('property-user1')];
  });

  test('no governed map changes except through an accepted proposal (or a member\'s own ack)', () => {
    const pool = actionPool();
    const seen = { accepted: 0, acked: 0, refused: 0, unchanged: 0 };
    fc.assert(
      // Each run starts with a valid proposal, so there is something to vote on.
      fc.property(fc.nat(8), fc.array(operation, { minLength: 1, maxLength: 16 }), (firstAction, rest) => {
        const operations: Operation[] = [{ kind: 'propose', member: 0, action: firstAction }, ...rest];
        const world: World = { store: governedStore({ members: all, active: all.slice(0, 3) }), proposals: [], sent: [] };
        // An ack is preceded by the member asking for its digest, a request of its own.
        const expanded = operations.flatMap((op): Operation[] => (op.kind === 'ack' ? [{ kind: 'digest', member: op.member }, op] : [op]));
        for (const op of expanded) {
          const before = governed(world.store);
          const everything = dump(world.store);
          const statesBefore = read(world.store, (tx) => new Map(world.proposals.map((id) => [id, getProposal(tx, id)?.state])));
          let result: { outcome?: ProposalOutcome; acked?: string } = {};
          try {
            result = perform(world, op, pool);
          } catch (error) {
            if (!(error instanceof GovernanceError)) throw error;
            assert.equal(dump(world.store), everything, `refused ${op.kind} (${error.code}) changed the store`);
            seen.refused += 1;
            continue;
          }
          const after = governed(world.store);
          if (JSON.stringify(after) === JSON.stringify(before)) {
            seen.unchanged += 1;
            continue;
          }
          const outcome = result.outcome;
          if (outcome !== undefined && outcome.state === 'Accepted' && statesBefore.get(outcome.proposal_id) !== 'Accepted') {
            seen.accepted += 1;
            continue;
          }
          // Otherwise the only allowed change: the acking member's status, Accepted → Active.
          assert.ok(result.acked !== undefined, `${op.kind} changed governed maps without an accepted proposal`);
          const changed = GOVERNED_MAPS.filter((name) => JSON.stringify(after[name]) !== JSON.stringify(before[name]));
          assert.deepEqual(changed, [MEMBER_INFO_MAP]);
          const infoBefore = new Map(before[MEMBER_INFO_MAP] as Array<[string, MemberInfo]>);
          const infoAfter = new Map(after[MEMBER_INFO_MAP] as Array<[string, MemberInfo]>);
          for (const [id, info] of infoAfter) {
            if (id === result.acked) assert.deepEqual(info, { ...infoBefore.get(id), status: 'Active' });
            else assert.deepEqual(info, infoBefore.get(id));
          }
          seen.acked += 1;
        }
      }),
      { numRuns: 40, seed: 20_300_101 },
    );
    // The runs must reach every branch, or the property says little.
    for (const [branch, count] of Object.entries(seen)) assert.ok(count > 0, `no run reached ${branch}: ${JSON.stringify(seen)}`);
  });
});
