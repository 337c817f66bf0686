// `npm run bench -- SCENARIO [--json] [--runs N]`: runs one benchmark scenario and
// prints its figures, as a table or one JSON object per figure.
import { printFigures } from './measure.js';
import { coreBenchmark } from './core.js';

const scenarios: Record<string, (options: { runs?: number; log: (line: string) => void }) => Promise<import('./measure.js').Figure[]>> = {
  core: coreBenchmark,
};

const args = process.argv.slice(2);
const name = args.find((arg) => !arg.startsWith('--'));
const json = args.includes('--json');
const runsIndex = args.indexOf('--runs');
const runs = runsIndex === -1 ? undefined : Number(args[runsIndex + 1]);
const scenario = name === undefined ? undefined : scenarios[name];
if (scenario === undefined || (runs !== undefined && (!Number.isSafeInteger(runs) || runs < 1))) {
  console.error(`usage: npm run bench -- <${Object.keys(scenarios).join('|')}> [--json] [--runs N]`);
  process.exit(2);
}
const figures = await scenario({ ...(runs === undefined ? {} : { runs }), log: (line) => console.error(line) });
printFigures(figures, json);
