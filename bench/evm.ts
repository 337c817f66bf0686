// The `evm` benchmark (issue 6): ERC-20 transfers from many accounts, pre-signed, sent as
// eth_sendRawTransaction to a `coco sandbox --app evm` of N nodes by a separate load
// process (bench/evm-load.ts). Reports transfers acknowledged and committed per second,
// latency percentiles, and the CPU the nodes spent per transfer (from /proc). With
// --runs N each figure is the median of N runs against the same sandbox.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { medianFigures, percentile, processCpuSeconds, withBenchSandbox } from './bench-sandbox.js';
import type { EvmLoadResult } from './evm-load.js';
import type { Figure } from './measure.js';

const LOAD = fileURLToPath(new URL('./evm-load.js', import.meta.url));

export interface EvmBenchmarkOptions {
  readonly nodes: number;
  readonly durationS: number;
  /** Senders, each a closed loop with one transfer in flight. */
  readonly concurrency: number;
  readonly connections: number;
  readonly runs: number;
  readonly log: (line: string) => void;
}

function runOnce(run: number, scenario: string, url: string, workspace: string, pids: readonly number[], options: EvmBenchmarkOptions): Figure[] {
  const cpuBefore = pids.map(processCpuSeconds);
  const result = spawnSync(process.execPath, [LOAD, url, workspace, String(options.durationS), String(options.concurrency), String(options.connections)], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, COCO_BENCH_RUN: String(run) },
  });
  if (result.status !== 0) throw new Error(`load generator failed (${result.status}): ${result.stderr}`);
  const load = JSON.parse(result.stdout) as EvmLoadResult;
  if (load.firstError !== undefined) options.log(`  first error: ${load.firstError}`);
  if (load.lanesExhausted > 0) options.log(`  ${load.lanesExhausted} sender(s) ran out of pre-signed transfers: raise TRANSFERS_PER_SECOND_MAX`);
  // Setup (deployment, funding) is in the CPU figures too, but it is a handful of blocks.
  const cpuSeconds = pids.map((pid, index) => processCpuSeconds(pid) - (cpuBefore[index] as number));
  const perTransfer = (seconds: number): number => (seconds * 1_000_000) / Math.max(1, load.transfers);
  const backups = cpuSeconds.slice(1);
  const figure = (metric: string, value: number, unit: string): Figure => ({ scenario, metric, value, unit });
  return [
    figure('transfers_acked_per_s', load.transfers / load.transferSeconds, 'transfers/s'),
    figure('transfers_committed_per_s', load.transfers / load.commitSeconds, 'transfers/s'),
    figure('transfer_latency_p50_ms', percentile(load.latencyMs, 50), 'ms'),
    figure('transfer_latency_p99_ms', percentile(load.latencyMs, 99), 'ms'),
    figure('cpu_us_per_transfer', perTransfer(cpuSeconds.reduce((sum, seconds) => sum + seconds, 0)), 'us/transfer'),
    figure('primary_cpu_us_per_transfer', perTransfer(cpuSeconds[0] as number), 'us/transfer'),
    ...(backups.length === 0 ? [] : [figure('backup_cpu_us_per_transfer', perTransfer(backups.reduce((sum, seconds) => sum + seconds, 0) / backups.length), 'us/transfer')]),
    figure('load_generator_cpu_us_per_transfer', perTransfer(load.loadCpuSeconds), 'us/transfer'),
    figure('errors', load.errors, 'requests'),
  ];
}

export async function evmBenchmark(options: EvmBenchmarkOptions): Promise<Figure[]> {
  const scenario = options.nodes === 1 ? 'evm' : `evm-${options.nodes}`;
  return withBenchSandbox('evm', ['--app', 'evm', '--nodes', String(options.nodes)], options.log, async ({ url, workspace, pids }) => {
    const runs: Figure[][] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      options.log(`run ${run}/${options.runs}: ERC-20 transfers for ${options.durationS} s from ${options.concurrency} senders over ${options.connections} connections`);
      const figures = runOnce(run - 1, scenario, url, workspace, pids, options);
      const value = (metric: string): number => figures.find((figure) => figure.metric === metric)?.value ?? Number.NaN;
      options.log(`  ${Math.round(value('transfers_committed_per_s'))} committed transfers/s, ${Math.round(value('primary_cpu_us_per_transfer'))} us of primary CPU per transfer`);
      runs.push(figures);
    }
    return medianFigures(runs);
  });
}
