// Runs a range of cluster-simulation seeds, on several worker threads when there are
// cores for them. Seeds are independent, and a seed replays exactly in any process
// (identities.ts), so spreading them over threads changes no run, only the wall time.
// Results come back in seed order.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runClusterSimulation, type ClusterSimulationResult } from './cluster-simulation.js';
import { clusterIdentities } from './identities.js';

export interface SeedJob {
  readonly seed: number;
  readonly nodeCount: number;
}

export interface RunSeedsOptions {
  readonly first: number;
  readonly count: number;
  /** Every seed with this many nodes; by default odd seeds have 3 and even ones 5. */
  readonly nodes?: number;
  /** Worker threads; 1 runs in this thread. Defaults to one per core. */
  readonly jobs?: number;
  /** Told of each result as it arrives (in any order), e.g. to show progress. */
  readonly onResult?: (result: ClusterSimulationResult, done: number) => void;
}

/** The node count a seed runs with unless told otherwise: odd seeds 3, even seeds 5. */
export function defaultNodeCount(seed: number): number {
  return seed % 2 === 1 ? 3 : 5;
}

export async function runSeeds(options: RunSeedsOptions): Promise<ClusterSimulationResult[]> {
  const queue: SeedJob[] = [];
  for (let seed = options.first; seed < options.first + options.count; seed++) {
    queue.push({ seed, nodeCount: options.nodes ?? defaultNodeCount(seed) });
  }
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), queue.length));
  const results: ClusterSimulationResult[] = [];
  const report = (result: ClusterSimulationResult): void => {
    results.push(result);
    options.onResult?.(result, results.length);
  };
  if (jobs === 1) {
    const identities = await clusterIdentities();
    for (const job of queue) report(runClusterSimulation(identities, job));
  } else {
    await Promise.all(Array.from({ length: jobs }, () => runWorker(queue, report)));
  }
  return results.sort((a, b) => a.seed - b.seed);
}

/** One worker: takes the next seed from the shared queue whenever it is free, until none is left. */
function runWorker(queue: SeedJob[], report: (result: ClusterSimulationResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./seed-worker.js', import.meta.url));
    const next = (): void => {
      const job = queue.shift();
      if (job === undefined) {
        void worker.terminate().then(() => resolve(), reject);
        return;
      }
      worker.postMessage(job);
    };
    worker.on('message', (message: ClusterSimulationResult | 'ready') => {
      if (message !== 'ready') report(message);
      next();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`a simulation worker exited with code ${code}`));
    });
  });
}
