// The logging benchmark: starts its own sandbox, drives it from a separate load
// process (bench/logging-load.ts), and reports acknowledged and committed writes/s,
// reads/s, write and commit latency percentiles, and the CPU the node processes spent
// per write (from /proc, so the load generator's own CPU is not counted), for the
// primary and for the backups apart. With --runs N, each figure is the median of N
// runs against the same sandbox.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type Figure } from './measure.js';
import type { Protocol } from './load-session.js';
import type { ReadResult, WriteResult } from './logging-load.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const LOAD = fileURLToPath(new URL('./logging-load.js', import.meta.url));
const CLOCK_TICKS_PER_S = 100;

export interface LoggingOptions {
  readonly nodes: number;
  readonly durationS: number;
  readonly concurrency: number;
  readonly connections: number;
  readonly protocol: Protocol;
  readonly runs: number;
  readonly log: (line: string) => void;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** User + system CPU seconds a process has used so far. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

async function startSandbox(workspace: string, nodes: number, log: (line: string) => void): Promise<{ child: ChildProcess; url: string; pids: number[] }> {
  const child = spawn(process.execPath, [CLI, 'sandbox', '--port', '0', '--nodes', String(nodes), '--workspace', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const networkFile = join(workspace, 'network.json');
  const deadline = Date.now() + 60_000;
  while (!existsSync(networkFile)) {
    if (child.exitCode !== null) throw new Error(`sandbox exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`sandbox not ready within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const network = JSON.parse(readFileSync(networkFile, 'utf8')) as { nodes: Array<{ rpc: string; pid: number }> };
  log(`sandbox ready: ${network.nodes.map((n) => n.rpc).join(', ')}`);
  return { child, url: `https://${(network.nodes[0] as { rpc: string }).rpc}`, pids: network.nodes.map((n) => n.pid) };
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
  const workspace = mkdtempSync(join(tmpdir(), 'coco-bench-logging-'));
  // Node0 starts the service, so it is the primary the load goes to.
  const { child, url, pids } = await startSandbox(workspace, options.nodes, options.log);
  const scenario = options.nodes === 1 ? 'logging' : `logging-${options.nodes}`;
  try {
    const runs: Figure[][] = [];
    for (let run = 1; run <= options.runs; run += 1) {
      options.log(`run ${run}/${options.runs}: writes then reads, ${options.durationS} s each, concurrency ${options.concurrency} over ${options.connections} ${options.protocol} connections`);
      const figures = runOnce(scenario, url, workspace, pids, options);
      const value = (metric: string): number => figures.find((figure) => figure.metric === metric)?.value ?? Number.NaN;
      options.log(`  ${Math.round(value('writes_committed_per_s'))} committed writes/s, ${Math.round(value('cpu_us_per_write'))} us of node CPU per write`);
      runs.push(figures);
    }
    return (runs[0] as Figure[]).map((first, index) => ({
      ...first,
      metric: options.runs > 1 ? `${first.metric}_median` : first.metric,
      value: median(runs.map((figures) => (figures[index] as Figure).value)),
    }));
  } finally {
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(workspace, { recursive: true, force: true });
  }
}
