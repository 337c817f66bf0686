// The load generator of the logging benchmark, run as its own process so that it never
// competes with the node inside one event loop: many HTTP/2 streams over a few mutually
// authenticated TLS connections, requests serialised before the clock starts, a closed
// loop of `concurrency` requests in flight. It prints one JSON object with its counts
// and latency samples on stdout.
import { readFileSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import { performance } from 'node:perf_hooks';

interface LoadOptions {
  readonly url: string;
  readonly serviceCertificate: string;
  readonly certificate: string;
  readonly privateKey: string;
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

function request(session: ClientHttp2Session, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; txId?: string; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    let status = 0;
    let txId: string | undefined;
    stream.on('response', (responseHeaders) => {
      status = Number(responseHeaders[':status']);
      const id = responseHeaders['x-coco-tx-id'];
      if (typeof id === 'string') txId = id;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, ...(txId === undefined ? {} : { txId }), data: Buffer.concat(chunks) }));
    stream.on('error', reject);
    stream.end(body);
  });
}

function openSessions(options: LoadOptions): ClientHttp2Session[] {
  return Array.from({ length: options.connections }, () =>
    connect(options.url, { ca: options.serviceCertificate, cert: options.certificate, key: options.privateKey, minVersion: 'TLSv1.3' }),
  );
}

const writeHeaders = { ':method': 'POST', ':path': '/app/log/private', 'content-type': 'application/json' };

async function runWrites(options: LoadOptions): Promise<WriteResult> {
  const sessions = openSessions(options);
  const writeBodies = Array.from({ length: PREPARED_WRITES }, (_, id) => Buffer.from(JSON.stringify({ id, msg: MESSAGE })));
  let errors = 0;

  // Warm up connections before measuring.
  await Promise.all(sessions.map((session, i) => request(session, writeHeaders, writeBodies[i] as Buffer)));

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
    const session = sessions[0] as ClientHttp2Session;
    while (commitPoller) {
      const response = await request(session, { ':method': 'GET', ':path': '/node/commit' });
      const committed = Number(String(JSON.parse(response.data.toString()).transaction_id).split('.')[1]);
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
    const session = sessions[lane % sessions.length] as ClientHttp2Session;
    for (let i = lane; performance.now() < writeEnd; i += options.concurrency) {
      const started = performance.now();
      const response = await request(session, writeHeaders, writeBodies[i % PREPARED_WRITES] as Buffer);
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
  for (const session of sessions) session.close();
  return { writes, writeSeconds, writeLatencyMs, commitLatencyMs, commitSeconds, loadCpuSeconds: (cpu.user + cpu.system) / 1e6, errors };
}

async function runReads(options: LoadOptions): Promise<ReadResult> {
  const sessions = openSessions(options);
  const readHeaders = Array.from({ length: 1000 }, (_, id) => ({ ':method': 'GET', ':path': `/app/log/private?id=${id}` }));
  let errors = 0;
  await Promise.all(sessions.map((session, i) => request(session, readHeaders[i] as Record<string, string>)));
  let reads = 0;
  const readStart = performance.now();
  const readEnd = readStart + options.durationS * 1000;
  const reader = async (lane: number): Promise<void> => {
    const session = sessions[lane % sessions.length] as ClientHttp2Session;
    for (let i = lane; performance.now() < readEnd; i += options.concurrency) {
      const response = await request(session, readHeaders[i % readHeaders.length] as Record<string, string>);
      if (response.status === 200) reads += 1;
      else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, lane) => reader(lane)));
  const readSeconds = (performance.now() - readStart) / 1000;
  for (const session of sessions) session.close();
  return { reads, readSeconds, errors };
}

const [mode, url, workspace, durationS, concurrency, connections] = process.argv.slice(2);
if ((mode !== 'write' && mode !== 'read') || url === undefined || workspace === undefined) {
  console.error('usage: logging-load write|read URL WORKSPACE DURATION_S CONCURRENCY CONNECTIONS');
  process.exit(2);
}
const options: LoadOptions = {
  url,
  serviceCertificate: readFileSync(`${workspace}/service_cert.pem`, 'utf8'),
  certificate: readFileSync(`${workspace}/user0_cert.pem`, 'utf8'),
  privateKey: readFileSync(`${workspace}/user0_privk.pem`, 'utf8'),
  durationS: Number(durationS ?? 10),
  concurrency: Number(concurrency ?? 64),
  connections: Number(connections ?? 4),
};
const result = mode === 'write' ? await runWrites(options) : await runReads(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
