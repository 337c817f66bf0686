// `npm run bench -- SCENARIO [options] [--json]`: runs one benchmark scenario and prints
// its figures, as a table or one JSON object per figure.
//   core     [--runs N]
//   logging  [--nodes N] [--duration S] [--concurrency C] [--connections K] [--protocol http1|http2] [--runs N]
//   evm      [--nodes N] [--duration S] [--concurrency C] [--connections K] [--runs N]
import { coreBenchmark } from './core.js';
import { evmBenchmark } from './evm.js';
import type { Protocol } from './load-session.js';
import { loggingBenchmark } from './logging.js';
import { printFigures, type Figure } from './measure.js';

const args = process.argv.slice(2);
const name = args.find((arg) => !arg.startsWith('--') && !/^\d+$/.test(arg));
const json = args.includes('--json');
const log = (line: string): void => console.error(line);

function numberFlag(flag: string, fallback: number): number {
  const index = args.indexOf(flag);
  if (index === -1) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isSafeInteger(value) || value < 1) usage(`${flag} takes a positive whole number`);
  return value;
}

function protocolFlag(): Protocol {
  const index = args.indexOf('--protocol');
  if (index === -1) return 'http1';
  const value = args[index + 1];
  if (value !== 'http1' && value !== 'http2') usage('--protocol takes http1 or http2');
  return value;
}

function usage(problem?: string): never {
  if (problem !== undefined) console.error(problem);
  console.error('usage: npm run bench -- core [--runs N] [--json]');
  console.error('       npm run bench -- logging [--nodes N] [--duration S] [--concurrency C] [--connections K] [--protocol http1|http2] [--runs N] [--json]');
  console.error('       npm run bench -- evm [--nodes N] [--duration S] [--concurrency C] [--connections K] [--runs N] [--json]');
  process.exit(2);
}

let figures: Figure[];
if (name === 'core') {
  figures = await coreBenchmark({ runs: numberFlag('--runs', 5), log });
} else if (name === 'logging') {
  figures = await loggingBenchmark({
    nodes: numberFlag('--nodes', 1),
    durationS: numberFlag('--duration', 10),
    concurrency: numberFlag('--concurrency', 64),
    connections: numberFlag('--connections', 4),
    protocol: protocolFlag(),
    runs: numberFlag('--runs', 1),
    log,
  });
} else if (name === 'evm') {
  figures = await evmBenchmark({
    nodes: numberFlag('--nodes', 1),
    durationS: numberFlag('--duration', 10),
    concurrency: numberFlag('--concurrency', 64),
    connections: numberFlag('--connections', 4),
    runs: numberFlag('--runs', 1),
    log,
  });
} else {
  usage(name === undefined ? undefined : `unknown scenario "${name}"`);
}
printFigures(figures, json);
