// Runs the deterministic cluster simulation over many seeds (STYLE.md §11), and checks
// that the simulation would notice a broken commit rule.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RaftNode } from '../../src/consensus/raft-node.js';
import { runSimulation } from './simulation.js';

const SEEDS = 500;

/** A planted bug: the primary commits a signature as soon as it holds it itself. */
class CommitAloneRaftNode extends RaftNode {
  protected override commitQuorumSize(): number {
    return 1;
  }
}

describe('simulation', () => {
  test(`${SEEDS} seeds (odd: 3 nodes, even: 5) keep safety under faults and converge once healed`, () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const nodeCount = seed % 2 === 1 ? 3 : 5;
      const result = runSimulation({ seed, nodeCount });
      if (!result.ok) failures.push(`seed ${seed} (runSimulation({ seed: ${seed}, nodeCount: ${nodeCount} })): ${result.error}`);
    }
    assert.deepEqual(failures, []);
  });

  test('replays: one seed gives the same run twice', () => {
    assert.deepEqual(runSimulation({ seed: 42, nodeCount: 5 }), runSimulation({ seed: 42, nodeCount: 5 }));
  });

  test('catches a planted bug: a primary committing without a majority', () => {
    const caught: number[] = [];
    for (let seed = 1; seed <= SEEDS && caught.length === 0; seed++) {
      const result = runSimulation({ seed, nodeCount: 5, makeNode: (options) => new CommitAloneRaftNode(options) });
      if (!result.ok) caught.push(seed);
    }
    assert.notDeepEqual(caught, [], 'no seed caught a primary committing alone');
  });
});
