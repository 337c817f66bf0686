// A worker thread of run-seeds.ts: makes the shared identities once, then runs each seed
// it is sent and posts back the result (plain data: stats, and an error if one broke).
import assert from 'node:assert/strict';
import { parentPort } from 'node:worker_threads';
import { runClusterSimulation } from './cluster-simulation.js';
import { clusterIdentities } from './identities.js';
import type { SeedJob } from './run-seeds.js';

const port = parentPort;
assert(port !== null, 'seed-worker.js runs only as a worker thread');
const identities = await clusterIdentities();
port.on('message', (job: SeedJob) => {
  port.postMessage(runClusterSimulation(identities, job));
});
port.postMessage('ready');
