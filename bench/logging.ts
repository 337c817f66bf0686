// The logging benchmark: starts its own sandbox, drives it from a separate load
// process (bench/logging-load.ts), and reports acknowledged and committed writes/s,
// reads/s, write and commit latency percentiles, and the CPU the node processes spent
// per write (from /proc, so the load generator's own CPU is not counted).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from './measure.js';
import type { ReadResult, WriteResult } from './logging-load.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const LOAD = fileURLToPath(new URL('./logging-load.js', import.meta.url));
const CLOCK_TICKS_PER_S = 100;

export interface LoggingOptions {
  readonly nodes: number;
  readonly durationS: number;
  readonly concurrency: number;
  readonly connections: number;
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
  const result = spawnSync(process.execPath, [LOAD, mode, url, workspace, String(options.durationS), String(options.concurrency), String(options.connections)], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`load generator failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export async function loggingBenchmark(options: LoggingOptions): Promise<Figure[]> {
  const workspace = mkdtempSync(join(tmpdir(), 'coco-bench-logging-'));
  const { child, url, pids } = await startSandbox(workspace, options.nodes, options.log);
  try {
    options.log(`writes: ${options.durationS} s at concurrency ${options.concurrency} over ${options.connections} connections`);
    const cpuBefore = pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
    const writes = runLoad<WriteResult>('write', url, workspace, options);
    const cpuSeconds = pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0) - cpuBefore;
    options.log(`reads: ${options.durationS} s`);
    const reads = runLoad<ReadResult>('read', url, workspace, options);
    const scenario = options.nodes === 1 ? 'logging' : `logging-${options.nodes}`;
    const figure = (metric: string, value: number, unit: string): Figure => ({ scenario, metric, value, unit });
    return [
      figure('writes_acked_per_s', writes.writes / writes.writeSeconds, 'writes/s'),
      figure('writes_committed_per_s', writes.writes / writes.commitSeconds, 'writes/s'),
      figure('reads_per_s', reads.reads / reads.readSeconds, 'reads/s'),
      figure('write_latency_p50_ms', percentile(writes.writeLatencyMs, 50), 'ms'),
      figure('write_latency_p99_ms', percentile(writes.writeLatencyMs, 99), 'ms'),
      figure('commit_latency_p50_ms', percentile(writes.commitLatencyMs, 50), 'ms'),
      figure('commit_latency_p99_ms', percentile(writes.commitLatencyMs, 99), 'ms'),
      figure('cpu_us_per_write', (cpuSeconds * 1_000_000) / Math.max(1, writes.writes), 'us/write'),
      // The client's share of the machine: when it nears a core, throughput is the client's limit.
      figure('load_generator_cpu_us_per_write', (writes.loadCpuSeconds * 1_000_000) / Math.max(1, writes.writes), 'us/write'),
      figure('errors', writes.errors + reads.errors, 'requests'),
    ];
  } finally {
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(workspace, { recursive: true, force: true });
  }
}
