// `npm run sim:consensus -- [--seeds N] [--first S] [--seed S] [--nodes 3|5]`: the
// deterministic simulation of Raft alone (simulation.ts) from the command line. `--seed`
// replays one seed exactly; exit 1 if any seed breaks an invariant, naming the seed and
// the call that replays it. `npm run sim` runs the whole-cluster simulation instead.
import { runSimulation } from './simulation.js';
import { parseSimArgs } from '../support/sim-args.js';

const { first, count, single, nodes } = parseSimArgs(process.argv.slice(2));

let failures = 0;
const started = Date.now();
for (let seed = first; seed < first + count; seed++) {
  const nodeCount = nodes ?? (seed % 2 === 1 ? 3 : 5);
  const result = runSimulation({ seed, nodeCount });
  if (result.ok) {
    if (single !== undefined) {
      console.log(`seed ${seed} (${nodeCount} nodes, ${result.membership}): ok, commit seqno ${result.commitSeqno}, ${result.views} views, ${result.configurationChanges} configuration changes`);
    }
  } else {
    failures += 1;
    console.log(`seed ${seed} (${nodeCount} nodes) FAILED: ${result.error}\n  replay: npm run sim:consensus -- --seed ${seed} --nodes ${nodeCount}`);
  }
}
console.log(`${count - failures} passed, ${failures} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exitCode = failures === 0 ? 0 : 1;
