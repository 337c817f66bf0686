// `node dist/test/cluster-sim/cluster-sim-cli.js [--seeds N] [--first S] [--seed S] [--nodes 3|5]`:
// the whole-cluster simulation from the command line. `--seed` replays one seed exactly
// and prints what it did (and the stack of a failure); exit 1 if any seed breaks an
// invariant, naming the seed and the command that replays it.
import { runClusterSimulation } from './cluster-simulation.js';
import { clusterIdentities } from './identities.js';
import { parseSimArgs } from '../support/sim-args.js';

const { first, count, single, nodes } = parseSimArgs(process.argv.slice(2));

const identities = await clusterIdentities();
let failures = 0;
const started = Date.now();
for (let seed = first; seed < first + count; seed++) {
  const nodeCount = nodes ?? (seed % 2 === 1 ? 3 : 5);
  const result = runClusterSimulation(identities, { seed, nodeCount });
  if (single !== undefined) console.log(`seed ${seed} (${nodeCount} nodes): ${JSON.stringify(result.stats)}`);
  if (!result.ok) {
    failures += 1;
    console.log(`seed ${seed} (${nodeCount} nodes, ${result.stats.membership}) FAILED: ${result.error}`);
    if (single !== undefined && result.stack !== undefined) console.log(result.stack);
    console.log(`  replay: node dist/test/cluster-sim/cluster-sim-cli.js --seed ${seed} --nodes ${nodeCount}`);
  }
}
const seconds = (Date.now() - started) / 1000;
console.log(`${count - failures} passed, ${failures} failed (${seconds.toFixed(1)} s, ${(count / seconds).toFixed(1)} seeds/s)`);
process.exitCode = failures === 0 ? 0 : 1;
