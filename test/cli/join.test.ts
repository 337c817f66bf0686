// Joining answered only once the join commits, as real processes: a `coco sandbox --nodes 3`
// (whose second node joined a one-node service, the case that cannot wait for commit),
// its backups frozen with SIGSTOP so that nothing can commit. A join request, sent the
// way `coco node join` sends it, gets no secrets while its join cannot commit: a 503
// saying to ask again. Asking again with the same key once the backups are back gets the
// answer (Pending, no secrets: the sandbox opened the service); once members trust the
// node, the secrets, and again the same answer (idempotent). A real `coco node join`
// started during the freeze keeps asking and joins once it is trusted too.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeSandboxNodeConfig } from '../../src/cli/sandbox-node-config.js';
import { CocoClient } from '../../src/client/index.js';
import { eventually, isRunning, logTail, networkPids, nodeState, NotYet, readNetwork, SandboxProcess, signal, startNodeProcess, type ClusterNode } from './cluster-fixture.js';
import { Governor } from './governance-fixture.js';
import { TestJoiner } from './test-joiner.js';

const READY_LINE = /^Press Ctrl-C to stop\.$/m;
const SANDBOX_READY_TIMEOUT_MS = 45_000;
/** What the primary waits for a join to commit (src/rpc/join-endpoint.ts). */
const JOIN_COMMIT_TIMEOUT_MS = 5_000;
interface JoinAnswer {
  readonly status?: string;
  readonly node_id?: string;
  readonly node_certificate?: string;
  readonly service_key?: string;
  readonly ledger_secret?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

describe('joining waits for the join to commit', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'coco-join-'));
  const workspace = join(root, 'ws');
  let sandbox: SandboxProcess | undefined;
  let serviceCertificate: string;
  let nodes: ClusterNode[] = [];
  let joiner: ChildProcess | undefined;
  const clients: CocoClient[] = [];
  const readers = new Map<string, CocoClient>();
  const frozen: number[] = [];

  /** A connection to the node at `rpc` that only reads. */
  function reader(rpc: string): CocoClient {
    let client = readers.get(rpc);
    if (client === undefined) {
      client = CocoClient.connect({ url: `https://${rpc}`, serviceCertificate, timeoutMs: 5_000 });
      readers.set(rpc, client);
      clients.push(client);
    }
    return client;
  }

  before(async () => {
    sandbox = SandboxProcess.start(['--nodes', '3', '--port', '0', '--workspace', workspace], root);
    await sandbox.waitFor(READY_LINE, SANDBOX_READY_TIMEOUT_MS);
    serviceCertificate = readFileSync(join(workspace, 'service_cert.pem'), 'utf8');
    nodes = readNetwork(workspace);
  });

  after(async () => {
    for (const pid of frozen) signal(pid, 'SIGCONT');
    await Promise.race([Promise.all(clients.map((client) => client.close())), sleep(5_000)]);
    if (joiner !== undefined && joiner.exitCode === null && joiner.signalCode === null) joiner.kill('SIGKILL');
    const pids = networkPids(workspace);
    if (sandbox?.running === true) {
      signal(sandbox.pid, 'SIGTERM');
      if ((await sandbox.exitWithin(20_000)) === undefined) sandbox.child.kill('SIGKILL');
    }
    for (const pid of pids) if (isRunning(pid)) signal(pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('gives no secrets while the join cannot commit, then the same answer to every request with the same key', async (t: TestContext) => {
    const states = await Promise.all(nodes.map((node) => nodeState(reader(node.rpc))));
    const primary = nodes.find((node) => node.id === states[0]?.primary_id);
    assert.ok(primary !== undefined, `a primary among ${JSON.stringify(states)}`);
    const backups = nodes.filter((node) => node !== primary);
    const asker = await TestJoiner.connect(primary.rpc, serviceCertificate);
    clients.push(asker.client);

    // A `coco node join` too, through the primary, with the time to wait the freeze out.
    const files = writeSandboxNodeConfig({ workspace, index: 3, basePort: 0, app: 'logging', join: { targetRpcAddress: primary.rpc, serviceCertificate: join(workspace, 'service_cert.pem') } });

    for (const backup of backups) {
      assert.ok(signal(backup.pid, 'SIGSTOP'), `SIGSTOP ${backup.name}`);
      frozen.push(backup.pid);
    }
    const askedAt = Date.now();
    const firstAnswer = asker.ask();
    const child = (joiner = startNodeProcess('join', files.config, files.log));
    const answer = await firstAnswer;
    const waitedMs = Date.now() - askedAt;
    const body = answer.body as JoinAnswer;
    assert.equal(answer.status, 503, `no answer but 503 while nothing can commit: got ${answer.status}, ${body.status ?? JSON.stringify(body.error)}${body.service_key === undefined ? '' : ' with the service key'}`);
    assert.equal(body.service_key, undefined);
    assert.equal(body.ledger_secret, undefined);
    assert.equal(body.error?.code, 'ServiceUnavailable');
    assert.match(body.error?.message ?? '', new RegExp(`^the join of node ${asker.nodeId} \\(transaction \\d+\\.\\d+\\) is not settled: it did not commit within ${JOIN_COMMIT_TIMEOUT_MS} ms\\. Nothing secret was sent; ask again with the same key`));
    assert.ok(waitedMs >= JOIN_COMMIT_TIMEOUT_MS - 100, `answered after ${waitedMs} ms, once the wait was over`);
    assert.equal(existsSync(files.rpcAddressFile), false, `${files.name} has not joined while nothing could commit:\n${logTail(files.directory)}`);
    assert.ok(child.exitCode === null && child.signalCode === null, `${files.name} keeps asking:\n${logTail(files.directory)}`);

    for (const backup of backups) signal(backup.pid, 'SIGCONT');
    frozen.length = 0;
    const resumedAt = Date.now();

    // The same key again: the join (the first one, or a new one if that was rolled back) is answered once it commits.
    // The sandbox opened its service, so that answer is Pending, still without secrets.
    const pending = await eventually('the join is answered', 20_000, async () => {
      const again = await asker.ask();
      return again.status === 200 ? again.body as JoinAnswer : new NotYet(`${again.status} ${JSON.stringify(again.body)}`);
    }, 200);
    t.diagnostic(`first answer after ${waitedMs} ms; the join answered ${Date.now() - resumedAt} ms after the backups resumed`);
    assert.deepEqual(pending, { status: 'Pending', node_id: asker.nodeId });

    // Members trust both newcomers; then the answer carries the secrets.
    const governor = Governor.connect(workspace, primary.rpc, serviceCertificate);
    try {
      await governor.trust(asker.nodeId);
      await governor.trust(await governor.pendingNode(20_000, () => {
        if (child.exitCode !== null || child.signalCode !== null) assert.fail(`${files.name} exited (${child.exitCode ?? child.signalCode}):\n${logTail(files.directory)}`);
      }));
    } finally {
      await governor.close();
    }
    const joined = await eventually('the trusted join is answered', 20_000, async () => {
      const again = await asker.ask();
      return again.status === 200 && (again.body as JoinAnswer).status === 'Trusted' ? again.body as JoinAnswer : new NotYet(`${again.status} ${JSON.stringify(again.body)}`);
    }, 200);
    assert.equal(joined.status, 'Trusted');
    assert.equal(joined.node_id, asker.nodeId);
    assert.ok(joined.service_key?.includes('PRIVATE KEY') === true && joined.ledger_secret !== undefined, 'the answer carries the secrets');
    const repeated = await asker.ask();
    assert.equal(repeated.status, 200, `asking once more: ${JSON.stringify(repeated.body)}`);
    assert.deepEqual(repeated.body, joined, 'the same answer, from the record');

    const listed = await reader(primary.rpc).get('/node/network/nodes', { throwOnError: true });
    const entry = (listed.body as { nodes: { node_id: string; status: string }[] }).nodes.find((node) => node.node_id === asker.nodeId);
    assert.equal(entry?.status, 'Trusted', 'the service records the node');

    // The real joiner got through too, and caught up.
    const rpc = await eventually(`${files.name} joins`, 20_000, async () => {
      if (child.exitCode !== null || child.signalCode !== null) assert.fail(`${files.name} exited (${child.exitCode ?? child.signalCode}):\n${logTail(files.directory)}`);
      if (!existsSync(files.rpcAddressFile)) return new NotYet('no rpc_address.json yet');
      return (JSON.parse(readFileSync(files.rpcAddressFile, 'utf8')) as { rpc_address: string }).rpc_address;
    }, 100);
    const log = readFileSync(files.log, 'utf8');
    assert.match(log, /join not answered yet; retrying/, 'it was told to ask again');
    await eventually(`${files.name} catches up`, 20_000, async () => {
      const state = await nodeState(reader(rpc));
      return state.commit_seqno > 0 ? true : new NotYet(JSON.stringify(state));
    });
  });
});
