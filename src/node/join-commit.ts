// When the primary may answer a join (docs/operations.md, "Joining a running service").
// A Trusted newcomer's answer carries the service key and the ledger secret, so it must
// not go out for a join that may yet be rolled back: the newcomer would hold the secrets
// and believe itself trusted while no node knows it. So the primary answers once the
// join transaction is committed, waiting a bounded time, and otherwise says to ask again.
//
// A Trusted newcomer becomes a voting node with the join transaction itself, and from
// then on a commit needs a majority of the old configuration and of the new one, newcomer
// included (docs/consensus.md). Two cases follow.
//
// - The primary is the only voting node: the new configuration's majority is both nodes,
//   so the join commits only once the newcomer, which needs the answer to run at all, holds
//   it. The primary answers once the join is signed and on its own disk instead. Nothing
//   can roll it back then: every later election needs this node's vote (a majority of the
//   old configuration), and it votes only for a log holding everything it signed (CCF's
//   election rule), while a new primary drops only unsigned entries.
// - Otherwise the voting nodes the primary can reach must be a majority of the new
//   configuration without the newcomer. If they are not (a node is down), the join could
//   commit only with the newcomer's help, and would stall every later commit and election
//   until then: the primary refuses it up front, recording nothing, and says why.
import assert from 'node:assert/strict';
import type { TxId } from '../ledger/tx-id.js';
import type { TxStatus } from './replica.js';

/** What the primary's node offers for the decision; CocoNode has all of it. */
export interface JoinCommitHost {
  readonly nodeId: string;
  /** Why this node cannot write as primary now, or undefined. */
  writesRefused(): string | undefined;
  /** Signs everything written so far and makes it durable before returning. */
  sign(): unknown;
  txStatus(txId: TxId): TxStatus;
  waitForSettled(txId: TxId, timeoutMs: number): Promise<TxStatus>;
  /** Peers whose node-to-node connection is up. */
  reachablePeers(): ReadonlySet<string>;
}

/** How the join of a Trusted newcomer to `voters` (the Trusted nodes before it) can commit. */
export type JoinQuorum =
  | { readonly kind: 'alone' }
  | { readonly kind: 'enough' }
  | { readonly kind: 'short'; readonly reachable: number; readonly voters: number; readonly needed: number };

export function joinQuorum(host: JoinCommitHost, voters: readonly string[]): JoinQuorum {
  assert(voters.length > 0, 'a service has at least one voting node');
  if (voters.length === 1 && voters[0] === host.nodeId) return { kind: 'alone' };
  const peers = host.reachablePeers();
  const reachable = voters.filter((id) => id === host.nodeId || peers.has(id)).length;
  // A majority of the voters plus the newcomer.
  const needed = Math.floor((voters.length + 1) / 2) + 1;
  return reachable >= needed ? { kind: 'enough' } : { kind: 'short', reachable, voters: voters.length, needed };
}

export type JoinSettlement =
  | { readonly ok: true; readonly how: 'committed' | 'signed' }
  | { readonly ok: false; readonly why: 'rolled-back' | 'not-committed' | 'not-primary'; readonly detail: string };

/**
 * Waits, at most `timeoutMs`, until the join seen at `proof` (its transaction, or one whose
 * state holds its record) can no longer be rolled back. `alone`: the primary was the only
 * voting node before the newcomer (see above).
 */
export async function settleJoin(host: JoinCommitHost, proof: TxId, alone: boolean, timeoutMs: number): Promise<JoinSettlement> {
  const status = host.txStatus(proof);
  if (status === 'Committed') return { ok: true, how: 'committed' };
  if (status === 'Invalid') return { ok: false, why: 'rolled-back', detail: 'its transaction was rolled back' };
  if (alone) {
    const refused = host.writesRefused();
    if (refused !== undefined) return { ok: false, why: 'not-primary', detail: refused };
    assert.equal(status, 'Pending', `the primary holds transaction ${proof.view}.${proof.seqno}, which it wrote or read`);
    host.sign();
    return { ok: true, how: 'signed' };
  }
  const settled = await host.waitForSettled(proof, timeoutMs);
  if (settled === 'Committed') return { ok: true, how: 'committed' };
  if (settled === 'Invalid') return { ok: false, why: 'rolled-back', detail: 'its transaction was rolled back' };
  return { ok: false, why: 'not-committed', detail: `it did not commit within ${timeoutMs} ms` };
}

/**
 * Whether a governance change of the voting nodes, from `before` to `after` (the Trusted
 * nodes, as a proposal's apply() leaves them), can commit without a node that is not
 * running yet. The same reasoning as for a join (above): the change needs a majority of
 * `after`, and a node trusted by the change runs only once its join is answered, which
 * waits for that commit. So the nodes of `after` the primary reaches now (itself included)
 * must be a majority of it, except for a primary alone adding one node, which answers
 * that node's join once the change is signed.
 */
export function votingChangeQuorum(host: Pick<JoinCommitHost, 'nodeId' | 'reachablePeers'>, before: readonly string[], after: readonly string[]): JoinQuorum {
  const old = new Set(before);
  const added = after.filter((id) => !old.has(id));
  if (added.length === 0 && after.length === before.length) return { kind: 'enough' };
  if (before.length === 1 && before[0] === host.nodeId && added.length === 1 && after.length === 2) return { kind: 'alone' };
  const peers = host.reachablePeers();
  const reachable = after.filter((id) => id === host.nodeId || peers.has(id)).length;
  const needed = Math.floor(after.length / 2) + 1;
  return reachable >= needed ? { kind: 'enough' } : { kind: 'short', reachable, voters: after.length, needed };
}
