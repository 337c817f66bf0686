// Runs the deterministic cluster simulation over many seeds (STYLE.md §11), and checks
// that the simulation would notice a broken quorum rule.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasMajority } from '../../src/consensus/configuration.js';
import { RaftNode } from '../../src/consensus/raft-node.js';
import { runSimulation, type SimulationOptions, type SimulationResult } from './simulation.js';

const SEEDS = 500;

/** A planted bug: a primary takes itself alone for a quorum (commit and CheckQuorum). */
class CommitAloneRaftNode extends RaftNode {
  protected override hasQuorum(agrees: (node: string) => boolean): boolean {
    return this.role === 'primary' ? agrees(this.id) : super.hasQuorum(agrees);
  }
}

/** A planted bug: only the newest configuration's majority counts, as if there were no joint consensus. */
class NewestOnlyRaftNode extends RaftNode {
  protected override hasQuorum(agrees: (node: string) => boolean): boolean {
    const newest = this.activeConfigurations.at(-1);
    return newest !== undefined && hasMajority(newest, agrees);
  }
}

function pick(result: ReturnType<typeof runSimulation>): { ok: boolean; seed: number; error?: string } {
  return result.ok ? { ok: true, seed: result.seed } : { ok: false, seed: result.seed, error: result.error };
}

/** The first seed (of 1..SEEDS) at which the simulation fails, if any. */
function firstFailing(options: (seed: number) => SimulationOptions): number | undefined {
  for (let seed = 1; seed <= SEEDS; seed++) {
    if (!runSimulation(options(seed)).ok) return seed;
  }
  return undefined;
}

describe('simulation', () => {
  test(`${SEEDS} seeds (odd: 3 nodes, even: 5; some change membership) keep safety under faults and converge once healed`, (t) => {
    const failures: string[] = [];
    const changes = { static: 0, reconfigure: 0, bootstrap: 0 };
    const compaction = { seeds: 0, readingBack: 0, entriesReadBack: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const nodeCount = seed % 2 === 1 ? 3 : 5;
      const result = runSimulation({ seed, nodeCount });
      if (!result.ok) {
        failures.push(`seed ${seed} (runSimulation({ seed: ${seed}, nodeCount: ${nodeCount} })): ${result.error}`);
        continue;
      }
      changes[result.membership] += result.configurationChanges === 0 ? 0 : 1;
      if (result.entriesInMemoryMax !== undefined) compaction.seeds++;
      if (result.entriesReadBack > 0) compaction.readingBack++;
      compaction.entriesReadBack += result.entriesReadBack;
    }
    assert.deepEqual(failures, []);
    assert(changes.reconfigure > SEEDS / 5 && changes.bootstrap > SEEDS / 10, `too few seeds changed membership: ${JSON.stringify(changes)}`);
    // Compaction must be exercised, lagging nodes caught up from the disk, not just switched on.
    assert(compaction.seeds > SEEDS / 3 && compaction.readingBack > SEEDS / 6, `too few seeds compacted and read back: ${JSON.stringify(compaction)}`);
    t.diagnostic(`compaction: ${JSON.stringify(compaction)}`);
  });

  test('compaction changes nothing but where entries come from: a seed runs the same with a window of 1 as without compaction', () => {
    const strip = ({ entriesInMemoryMax: _window, entriesReadBack: _read, ...rest }: Extract<SimulationResult, { ok: true }>): object => rest;
    for (let seed = 1; seed <= 40; seed++) {
      const nodeCount = seed % 2 === 1 ? 3 : 5;
      const whole = runSimulation({ seed, nodeCount, entriesInMemoryMax: 'off' });
      const compacted = runSimulation({ seed, nodeCount, entriesInMemoryMax: 1 });
      assert(whole.ok && compacted.ok, `seed ${seed}: ${whole.ok ? '' : whole.error} ${compacted.ok ? '' : compacted.error}`);
      assert(whole.entriesReadBack === 0 && compacted.entriesInMemoryMax === 1);
      assert.deepEqual(strip(compacted), strip(whole), `seed ${seed} ran differently with compaction`);
    }
  });

  test('kept seeds: runs that once found a bug', () => {
    // A joiner restarted with its commit marker behind its first configuration kept its
    // empty initial configuration active, and so could never campaign (configuration.ts).
    const kept = [{ seed: 693, nodeCount: 3 }];
    for (const options of kept) assert.deepEqual(pick(runSimulation(options)), { ok: true, seed: options.seed });
  });

  test('replays: one seed gives the same run twice', () => {
    assert.deepEqual(runSimulation({ seed: 42, nodeCount: 5 }), runSimulation({ seed: 42, nodeCount: 5 }));
  });

  test('catches a planted bug: a primary committing without a majority', () => {
    const caught = firstFailing((seed) => ({ seed, nodeCount: 5, makeNode: (options) => new CommitAloneRaftNode(options) }));
    assert.notEqual(caught, undefined, 'no seed caught a primary committing alone');
  });

  test('catches a planted bug: thesis §4.3, a change in flight counted by the new configuration alone', () => {
    const caught = firstFailing((seed) => ({ seed, nodeCount: 3 + (seed % 2) * 2, makeNode: (options) => new NewestOnlyRaftNode(options) }));
    assert.notEqual(caught, undefined, 'no seed caught a quorum of the newest configuration only');
  });
});
