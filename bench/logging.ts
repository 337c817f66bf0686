// The logging benchmark: starts its own sandbox, drives it from a separate load
// process (bench/logging-load.ts), and reports acknowledged and committed writes/s,
// reads/s, write and commit latency percentiles, and the CPU the node processes spent
// per write (from /proc, so the load generator's own CPU is not counted), for the
// primary and for the backups apart. With --runs N, each figure is the median of N
// runs against the same sandbox.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { medianFigures, percentile, processCpuSeconds, withBenchSandbox } from './bench-sandbox.js';
import type { Figure } from './measure.js';
import type { Protocol } from './load-session.js';
import type { ReadResult, WriteResult } from './logging-load.js';

const LOAD = fileURLToPath(new URL('./logging-load.js', import.meta.url));

export interface LoggingOptions {
  readonly nodes: number;
  readonly durationS: number;
  readonly concurrency: number;
  readonly connections: number;
  readonly protocol: Protocol;
  readonly runs: number;
  readonly log: (line: string) => void;
}

function runLoad<T>(mode: 'write' | 'read', url: string, workspace: string, options: LoggingOptions): T {
  const result = spawnSync(process.execPath, [LOAD, mode, url, workspace, options.protocol, String(options.durationS), String(options.concurrency), String(options.connections)], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`load generator failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** One write phase then one read phase; every figure of the run. */
function runOnce(scenario: string, url: string, workspace: string, pids: readonly number[], options: LoggingOptions): Figure[] {
  const cpuBefore = pids.map(processCpuSeconds);
  const writes = runLoad<WriteResult>('write', url, workspace, options);
  const cpuSeconds = pids.map((pid, index) => processCpuSeconds(pid) - (cpuBefore[index] as number));
  const reads = runLoad<ReadResult>('read', url, workspace, options);
  const perWrite = (seconds: number): number => (seconds * 1_000_000) / Math.max(1, writes.writes);
  const backups = cpuSeconds.slice(1);
  const figure = (metric: string, value: number, unit: string): Figure => ({ scenario, metric, value, unit });
  return [
    figure('writes_acked_per_s', writes.writes / writes.writeSeconds, 'writes/s'),
    figure('writes_committed_per_s', writes.writes / writes.commitSeconds, 'writes/s'),
    figure('reads_per_s', reads.reads / reads.readSeconds, 'reads/s'),
    figure('write_latency_p50_ms', percentile(writes.writeLatencyMs, 50), 'ms'),
    figure('write_latency_p99_ms', percentile(writes.writeLatencyMs, 99), 'ms'),
    figure('commit_latency_p50_ms', percentile(writes.commitLatencyMs, 50), 'ms'),
    figure('commit_latency_p99_ms', percentile(writes.commitLatencyMs, 99), 'ms'),
    figure('cpu_us_per_write', perWrite(cpuSeconds.reduce((sum, seconds) => sum + seconds, 0)), 'us/write'),
    figure('primary_cpu_us_per_write', perWrite(cpuSeconds[0] as number), 'us/write'),
    ...(backups.length === 0 ? [] : [figure('backup_cpu_us_per_write', perWrite(backups.reduce((sum, seconds) => sum + seconds, 0) / backups.length), 'us/write')]),
    // The client's share of the machine: when it nears a core, throughput is the client's limit.
    figure('load_generator_cpu_us_per_write', perWrite(writes.loadCpuSeconds), 'us/write'),
    figure('errors', writes.errors + reads.errors, 'requests'),
  ];
}

export async function loggingBenchmark(options: LoggingOptions): Promise<Figure[]> {
  const scenario = options.nodes === 1 ? 'logging' : `logging-${options.nodes}`;
  return withBenchSandbox('logging', ['--nodes', String(options.nodes)], options.log, async ({ url, workspace, pids }) => {
    const runs: Figure[][] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      options.log(`run ${run}/${options.runs}: writes then reads, ${options.durationS} s each, concurrency ${options.concurrency} over ${options.connections} ${options.protocol} connections`);
      const figures = runOnce(scenario, url, workspace, pids, options);
      const value = (metric: string): number => figures.find((figure) => figure.metric === metric)?.value ?? Number.NaN;
      options.log(`  ${Math.round(value('writes_committed_per_s'))} committed writes/s, ${Math.round(value('cpu_us_per_write'))} us of node CPU per write`);
      runs.push(figures);
    }
    return medianFigures(runs);
  });
}
