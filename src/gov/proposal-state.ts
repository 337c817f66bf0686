// The proposal lifecycle as a small closed state machine (STYLE.md §4). A proposal is
// born Open and leaves Open once, for good:
//
//   Open → Accepted   resolve() accepted it and apply() succeeded
//   Open → Rejected   resolve() rejected it
//   Open → Failed     resolve() or apply() threw, ran away, or returned garbage
//   Open → Withdrawn  its proposer withdrew it
//   Open → Dropped    the constitution changed while it was Open
import assert from 'node:assert/strict';
import type { ProposalState } from './proposal-maps.js';

export const PROPOSAL_STATES: readonly ProposalState[] = ['Open', 'Accepted', 'Withdrawn', 'Rejected', 'Failed', 'Dropped'];

export function isFinalState(state: ProposalState): boolean {
  return state !== 'Open';
}

/** Asserts that `from → to` is a transition of the lifecycle above. */
export function assertTransition(from: ProposalState, to: ProposalState): void {
  assert(PROPOSAL_STATES.includes(to), `unknown proposal state ${String(to)}`);
  assert.equal(from, 'Open', `a proposal leaves only the Open state, not ${from} (to ${to})`);
  assert.notEqual(to, 'Open', 'a proposal never returns to Open');
}
