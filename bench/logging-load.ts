// The load generator of the logging benchmark, run as its own process so that it never
// competes with the node inside one event loop: requests pipelined over a few mutually
// authenticated TLS connections (HTTP/1.1, or HTTP/2 streams), serialised before the
// clock starts, a closed loop of `concurrency` requests in flight. It prints one JSON object with its counts
// and latency samples on stdout.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openSession, prepare, type LoadSession, type LoadTls, type Protocol } from './load-session.js';

interface LoadOptions {
  readonly url: string;
  readonly tls: LoadTls;
  readonly protocol: Protocol;
  readonly durationS: number;
  readonly concurrency: number;
  readonly connections: number;
}

export interface WriteResult {
  readonly writes: number;
  readonly writeSeconds: number;
  readonly writeLatencyMs: number[];
  /** Milliseconds from a write's acknowledgement to the commit that covered it, sampled. */
  readonly commitLatencyMs: number[];
  /** Seconds until every acknowledged write was committed. */
  readonly commitSeconds: number;
  /** CPU seconds this load generator spent in the write phase: on a 2-core machine it competes with the node. */
  readonly loadCpuSeconds: number;
  readonly errors: number;
}

export interface ReadResult {
  readonly reads: number;
  readonly readSeconds: number;
  readonly errors: number;
}

const MESSAGE = 'x'.repeat(100);
/** Writes prepared ahead; ids wrap around so reads find what writes left. */
const PREPARED_WRITES = 50_000;

function openSessions(options: LoadOptions): Promise<LoadSession[]> {
  return Promise.all(Array.from({ length: options.connections }, () => openSession(options.protocol, options.url, options.tls)));
}

const COMMIT_QUERY = prepare('GET', '/node/commit');

async function runWrites(options: LoadOptions): Promise<WriteResult> {
  const sessions = await openSessions(options);
  // Its own connection, so that polling never queues behind pipelined writes.
  const pollSession = await openSession(options.protocol, options.url, options.tls);
  const prepared = Array.from({ length: PREPARED_WRITES }, (_, id) => prepare('POST', '/app/log/private', Buffer.from(JSON.stringify({ id, msg: MESSAGE }))));
  let errors = 0;

  // Warm up connections before measuring.
  await Promise.all(sessions.map((session, i) => session.send(prepared[i] as (typeof prepared)[number])));

  const writeLatencyMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const ackTimes = new Map<number, number>();
  let lastSeqno = 0;
  let writes = 0;
  const writeStart = performance.now();
  const writeEnd = writeStart + options.durationS * 1000;
  let commitSeqnoAtEnd = 0;
  const commitLatencyMs: number[] = [];
  let commitPoller = true;
  const pollCommits = (async () => {
    while (commitPoller) {
      const response = await pollSession.send(COMMIT_QUERY);
      const committed = Number(String((JSON.parse(response.body.toString()) as { transaction_id: string }).transaction_id).split('.')[1]);
      const now = performance.now();
      for (const [seqno, ackedAt] of ackTimes) {
        if (seqno > committed) continue;
        commitLatencyMs.push(now - ackedAt);
        ackTimes.delete(seqno);
      }
      commitSeqnoAtEnd = committed;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();

  const writer = async (lane: number): Promise<void> => {
    const session = sessions[lane % sessions.length] as LoadSession;
    for (let i = lane; performance.now() < writeEnd; i += options.concurrency) {
      const started = performance.now();
      const response = await session.send(prepared[i % PREPARED_WRITES] as (typeof prepared)[number]);
      const acked = performance.now();
      if (response.status !== 200 || response.txId === undefined) {
        errors += 1;
        continue;
      }
      writes += 1;
      writeLatencyMs.push(acked - started);
      const seqno = Number(response.txId.split('.')[1]);
      lastSeqno = Math.max(lastSeqno, seqno);
      if (writes % 16 === 0) ackTimes.set(seqno, acked); // a sample is enough for percentiles
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, lane) => writer(lane)));
  const writeSeconds = (performance.now() - writeStart) / 1000;
  // Wait until everything acknowledged is committed: that time counts for committed/s.
  while (commitSeqnoAtEnd < lastSeqno && performance.now() - writeStart < (options.durationS + 10) * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const commitSeconds = (performance.now() - writeStart) / 1000;
  commitPoller = false;
  await pollCommits;
  const cpu = process.cpuUsage(cpuBefore);
  for (const session of [...sessions, pollSession]) session.close();
  return { writes, writeSeconds, writeLatencyMs, commitLatencyMs, commitSeconds, loadCpuSeconds: (cpu.user + cpu.system) / 1e6, errors };
}

async function runReads(options: LoadOptions): Promise<ReadResult> {
  const sessions = await openSessions(options);
  const preparedReads = Array.from({ length: 1000 }, (_, id) => prepare('GET', `/app/log/private?id=${id}`));
  let errors = 0;
  await Promise.all(sessions.map((session, i) => session.send(preparedReads[i] as (typeof preparedReads)[number])));
  let reads = 0;
  const readStart = performance.now();
  const readEnd = readStart + options.durationS * 1000;
  const reader = async (lane: number): Promise<void> => {
    const session = sessions[lane % sessions.length] as LoadSession;
    for (let i = lane; performance.now() < readEnd; i += options.concurrency) {
      const response = await session.send(preparedReads[i % preparedReads.length] as (typeof preparedReads)[number]);
      if (response.status === 200) reads += 1;
      else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, lane) => reader(lane)));
  const readSeconds = (performance.now() - readStart) / 1000;
  for (const session of sessions) session.close();
  return { reads, readSeconds, errors };
}

const [mode, url, workspace, protocol, durationS, concurrency, connections] = process.argv.slice(2);
if ((mode !== 'write' && mode !== 'read') || url === undefined || workspace === undefined || (protocol !== 'http1' && protocol !== 'http2')) {
  console.error('usage: logging-load write|read URL WORKSPACE http1|http2 DURATION_S CONCURRENCY CONNECTIONS');
  process.exit(2);
}
const options: LoadOptions = {
  url,
  tls: {
    ca: readFileSync(`${workspace}/service_cert.pem`, 'utf8'),
    cert: readFileSync(`${workspace}/user0_cert.pem`, 'utf8'),
    key: readFileSync(`${workspace}/user0_privk.pem`, 'utf8'),
  },
  protocol,
  durationS: Number(durationS ?? 10),
  concurrency: Number(concurrency ?? 64),
  connections: Number(connections ?? 4),
};
const result = mode === 'write' ? await runWrites(options) : await runReads(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
