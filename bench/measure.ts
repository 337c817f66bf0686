// Measuring helpers for the benchmarks: repeated runs, medians, CPU time per operation.
// The machine is shared and noisy, so every figure is the median of several runs and
// comes with the process CPU time it cost, which noise disturbs less than wall time.
import { performance } from 'node:perf_hooks';

export interface RunSample {
  readonly operations: number;
  readonly wallMs: number;
  readonly cpuMs: number;
}

export interface Figure {
  readonly scenario: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

/** Times `work`, which returns how many operations it did. */
export function sample(work: () => number): RunSample {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const operations = work();
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { operations, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export async function sampleAsync(work: () => Promise<number>): Promise<RunSample> {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const operations = await work();
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { operations, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Median throughput and median CPU microseconds per operation over the runs. */
export function summarise(runs: readonly RunSample[]): { perSecond: number; cpuUsPerOperation: number } {
  return {
    perSecond: median(runs.map((r) => (r.operations * 1000) / r.wallMs)),
    cpuUsPerOperation: median(runs.map((r) => (r.cpuMs * 1000) / r.operations)),
  };
}

export function printFigures(figures: readonly Figure[], json: boolean): void {
  for (const figure of figures) {
    if (json) {
      console.log(JSON.stringify(figure));
    } else {
      const value = figure.value >= 100 ? Math.round(figure.value).toLocaleString('en-US') : figure.value.toFixed(2);
      console.log(`${figure.scenario.padEnd(8)} ${figure.metric.padEnd(34)} ${value.padStart(14)} ${figure.unit}`);
    }
  }
}
