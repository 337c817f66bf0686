// Runs the whole-cluster simulation over many seeds, and checks that it notices real bugs
// planted in consensus, in the store and in the durability of the ledger files.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RaftNode } from '../../src/consensus/raft-node.js';
import { Store } from '../../src/kv/store.js';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import { runClusterSimulation, type ClusterSimulationOptions, type ClusterSimulationResult } from './cluster-simulation.js';
import { clusterIdentities } from './identities.js';
import { runSeeds } from './run-seeds.js';

/**
 * About 55 s of CPU, spread over one worker thread per core: about 45 s on the 2-core
 * development machine, longer while other work holds a core. `npm run sim -- --seeds N`
 * runs more.
 */
const SEEDS = 500;
/** Planted bugs must be caught within this many seeds. */
const PLANTED_SEEDS_MAX = 30;

/** A planted bug: a primary takes itself alone for a quorum (commit and CheckQuorum). */
class CommitAloneRaftNode extends RaftNode {
  protected override hasQuorum(agrees: (node: string) => boolean): boolean {
    return this.role === 'primary' ? agrees(this.id) : super.hasQuorum(agrees);
  }
}

/** A planted bug: a store that ignores rollback, as a replica that skipped store.rollback would. */
class NoRollbackStore extends Store {
  override rollback(): void {}
}

/** A planted bug: files whose sync returns without making anything durable, as a lying disk does. */
class LyingSyncFiles extends MemoryLedgerFiles {
  override sync(): void {}
}

async function run(options: ClusterSimulationOptions): Promise<ClusterSimulationResult> {
  return runClusterSimulation(await clusterIdentities(), options);
}

/** The first seed (of 1..PLANTED_SEEDS_MAX) at which the simulation fails, and why. */
async function firstFailing(options: (seed: number) => ClusterSimulationOptions): Promise<{ seed: number; error: string } | undefined> {
  for (let seed = 1; seed <= PLANTED_SEEDS_MAX; seed++) {
    const result = await run(options(seed));
    if (!result.ok) return { seed, error: result.error };
  }
  return undefined;
}

describe('cluster simulation', () => {
  test(`${SEEDS} seeds (odd: 3 nodes, even: 5) keep every invariant under faults and converge once healed`, async (t) => {
    const failures: string[] = [];
    const seen = {
      genesis: 0, 'one-by-one': 0, churn: 0, tornTails: 0, crashes: 0, views: 0, receipts: 0, writesRefusedAtLimit: 0, pendingToUnknown: 0, finalForgottenOnRestart: 0,
      compacting: 0, readingFromLedger: 0, entriesReadFromLedger: 0,
    };
    for (const result of await runSeeds({ first: 1, count: SEEDS })) {
      if (!result.ok) {
        failures.push(`${result.error} (replay: npm run sim -- --seed ${result.seed})`);
        continue;
      }
      const { stats } = result;
      seen[stats.membership]++;
      seen.tornTails += stats.tornTails;
      seen.crashes += stats.crashes;
      seen.views += stats.views;
      seen.receipts += stats.receiptsVerified;
      seen.writesRefusedAtLimit += stats.writesRefusedAtLimit;
      seen.pendingToUnknown += stats.pendingToUnknown;
      seen.finalForgottenOnRestart += stats.finalForgottenOnRestart;
      if (stats.entriesInMemoryMax !== undefined) seen.compacting++;
      if (stats.entriesReadFromLedger > 0) seen.readingFromLedger++;
      seen.entriesReadFromLedger += stats.entriesReadFromLedger;
    }
    assert.deepEqual(failures, []);
    t.diagnostic(`seen: ${JSON.stringify(seen)}`);
    // The seeds must exercise what the simulation is for, not pass by doing nothing.
    assert(seen.genesis > 0 && seen['one-by-one'] > 0 && seen.churn > 0, `membership plans: ${JSON.stringify(seen)}`);
    assert(seen.tornTails > 0 && seen.crashes > SEEDS && seen.views > 1.5 * SEEDS && seen.receipts > 5 * SEEDS, `faults: ${JSON.stringify(seen)}`);
    assert(seen.writesRefusedAtLimit > 0, `no primary reached the uncommitted-entries limit: ${JSON.stringify(seen)}`);
    assert(seen.pendingToUnknown > 0 && seen.finalForgottenOnRestart > 0, `the status exceptions docs/consistency.md allows never happened: ${JSON.stringify(seen)}`);
    assert(seen.compacting > SEEDS / 3 && seen.readingFromLedger > SEEDS / 6, `too few seeds caught backups up from the ledger: ${JSON.stringify(seen)}`);
  });

  test('compaction changes nothing but where entries come from: a seed runs the same with a window of 1 as with the default', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const nodeCount = 3 + (seed % 2) * 2;
      const whole = await run({ seed, nodeCount, entriesInMemoryMax: 'default' });
      const compacted = await run({ seed, nodeCount, entriesInMemoryMax: 1 });
      assert(whole.ok && compacted.ok, `seed ${seed}: ${whole.ok ? '' : whole.error} ${compacted.ok ? '' : compacted.error}`);
      assert(compacted.stats.entriesReadFromLedger > 0, `seed ${seed} never read from a ledger`);
      const strip = ({ entriesInMemoryMax: _window, entriesReadFromLedger: _read, ...rest }: typeof whole.stats): object => rest;
      assert.deepEqual(strip(compacted.stats), strip(whole.stats), `seed ${seed} ran differently with compaction`);
    }
  });

  test('replays: one seed gives the same run twice, in this thread or a worker', async () => {
    const first = await run({ seed: 42, nodeCount: 5 });
    const second = await run({ seed: 42, nodeCount: 5 });
    assert.deepEqual(second, first);
    const [, inWorker] = await runSeeds({ first: 41, count: 2, jobs: 2 });
    assert.deepEqual(inWorker, first, 'a worker thread makes its own identities: the run must not depend on them');
  });

  test('catches a planted bug: a primary committing without a majority', async (t) => {
    const caught = await firstFailing((seed) => ({ seed, nodeCount: 3 + (seed % 2) * 2, makeRaft: (options) => new CommitAloneRaftNode(options) }));
    assert(caught !== undefined, 'no seed caught a primary committing alone');
    t.diagnostic(`caught at ${caught.error}`);
  });

  test('catches a planted bug: a replica whose store is not rolled back with the ledger', async (t) => {
    const caught = await firstFailing((seed) => ({ seed, nodeCount: 3 + (seed % 2) * 2, makeStore: () => new NoRollbackStore() }));
    assert(caught !== undefined, 'no seed caught a store that skips rollback');
    t.diagnostic(`caught at ${caught.error}`);
  });

  test('catches a planted bug: a sync that does not make the ledger durable', async (t) => {
    const caught = await firstFailing((seed) => ({ seed, nodeCount: 3 + (seed % 2) * 2, makeFiles: () => new LyingSyncFiles() }));
    assert(caught !== undefined, 'no seed caught a ledger losing synced entries in a crash');
    t.diagnostic(`caught at ${caught.error}`);
  });
});
