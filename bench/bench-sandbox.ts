// What the process benchmarks share: a sandbox of their own in a temporary directory,
// the CPU its node processes spent (from /proc, so the load generator is not counted),
// percentiles, and medians of figures over several runs against the same sandbox.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type Figure } from './measure.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const CLOCK_TICKS_PER_S = 100;
/** The sandbox prints this once its service is open and network.json is written. */
const READY_LINE = /^Press Ctrl-C to stop\.$/m;
const SANDBOX_READY_MS = 90_000;

export interface BenchSandbox {
  readonly workspace: string;
  /** Node0's address: it starts the service, so it is the primary the load goes to. */
  readonly url: string;
  /** Node processes, node0 first. */
  readonly pids: readonly number[];
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** User + system CPU seconds a process has used so far. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** Each figure's median over the runs (named `…_median` when there were several). */
export function medianFigures(runs: readonly (readonly Figure[])[]): Figure[] {
  const first = runs[0];
  if (first === undefined) return [];
  return first.map((figure, index) => ({
    ...figure,
    metric: runs.length > 1 ? `${figure.metric}_median` : figure.metric,
    value: median(runs.map((figures) => (figures[index] as Figure).value)),
  }));
}

/** Starts `coco sandbox` with `sandboxArgs`, runs `work` against it, then stops it and deletes its directory. */
export async function withBenchSandbox<T>(name: string, sandboxArgs: readonly string[], log: (line: string) => void, work: (sandbox: BenchSandbox) => Promise<T>): Promise<T> {
  const workspace = mkdtempSync(join(tmpdir(), `coco-bench-${name}-`));
  const child = spawn(process.execPath, [CLI, 'sandbox', '--port', '0', ...sandboxArgs, '--workspace', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const { url, pids } = await waitUntilReady(child, workspace, log);
    return await work({ workspace, url, pids });
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(workspace, { recursive: true, force: true });
  }
}

async function waitUntilReady(child: ChildProcess, workspace: string, log: (line: string) => void): Promise<{ url: string; pids: number[] }> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + SANDBOX_READY_MS;
  while (!READY_LINE.test(output)) {
    if (child.exitCode !== null) throw new Error(`sandbox exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`sandbox not ready within ${SANDBOX_READY_MS / 1000} s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const network = JSON.parse(readFileSync(join(workspace, 'network.json'), 'utf8')) as { nodes: { rpc: string; pid: number }[] };
  log(`sandbox ready: ${network.nodes.map((node) => node.rpc).join(', ')}`);
  return { url: `https://${(network.nodes[0] as { rpc: string }).rpc}`, pids: network.nodes.map((node) => node.pid) };
}
