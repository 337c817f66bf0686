// `npm run sim -- [--seeds N] [--first S] [--seed S] [--nodes 3|5] [--jobs N]`: the
// whole-cluster simulation (consensus, KV, ledger, signatures) from the command line,
// seeds spread over one worker thread per core (run-seeds.ts). `--seed` replays one seed
// exactly and prints what it did (and the stack of a failure); exit 1 if any seed breaks
// an invariant, naming the seed and the command that replays it.
import { runSeeds } from './run-seeds.js';
import { parseSimArgs } from '../support/sim-args.js';

const { first, count, single, nodes, jobs } = parseSimArgs(process.argv.slice(2));

let failures = 0;
const started = Date.now();
/** A progress line on stderr about every tenth of a long run. */
const progressEvery = count >= 200 ? Math.ceil(count / 10) : Infinity;
const results = await runSeeds({
  first, count, ...(nodes === undefined ? {} : { nodes }), jobs: single === undefined ? jobs : 1,
  onResult: (result, done) => {
    const nodeCount = nodes ?? (result.seed % 2 === 1 ? 3 : 5);
    if (!result.ok) {
      failures += 1;
      console.log(`seed ${result.seed} (${nodeCount} nodes, ${result.stats.membership}) FAILED: ${result.error}`);
      if (single !== undefined && result.stack !== undefined) console.log(result.stack);
      console.log(`  replay: npm run sim -- --seed ${result.seed} --nodes ${nodeCount}`);
    }
    if (done % progressEvery === 0) console.error(`${done}/${count} seeds, ${failures} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  },
});
if (single !== undefined) for (const result of results) console.log(`seed ${result.seed}: ${JSON.stringify(result.stats)}`);
const seconds = (Date.now() - started) / 1000;
console.log(`${count - failures} passed, ${failures} failed (${seconds.toFixed(1)} s, ${(count / seconds).toFixed(1)} seeds/s)`);
process.exitCode = failures === 0 ? 0 : 1;
