// A three-node service end to end, as real processes: one `coco sandbox --nodes 3` for the
// whole file, its nodes reached with the client SDK over mutual TLS. In order (each test
// builds on the state the one before left, and the majority must hold until the last):
// writes through every node (two of them forwarded) commit and read back everywhere; the
// nodes agree on the primary and the commit seqno; a SIGSTOPped backup catches up after
// SIGCONT; a fourth node joins the running (open) service, is trusted by the members'
// vote, and catches up; the primary is killed
// with SIGKILL under load, a new one is elected, writes resume at once (requests a backup
// had forwarded to the dead primary fail as soon as the new primary is known), nothing
// acknowledged and committed is lost, the dead node's ledger verifies, and the sandbox
// reports the death and keeps the other nodes running; and on SIGTERM the sandbox then
// stops every node it started.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeSandboxNodeConfig } from '../../src/cli/sandbox-node-config.js';
import { CocoClient, verifyReceipt, type TxId, type TxStatus } from '../../src/client/index.js';
import {
  COCO,
  eventually,
  isRunning,
  logTail,
  networkPids,
  nodeState,
  NotYet,
  readNetwork,
  SandboxProcess,
  signal,
  startNodeProcess,
  WriteLoad,
  type ClusterNode,
  type NodeState,
} from './cluster-fixture.js';
import { Governor } from './governance-fixture.js';

const READY_LINE = /^Press Ctrl-C to stop\.$/m;
/** Generous on a loaded 2-core machine: three nodes generate keys and join one by one. */
const SANDBOX_READY_TIMEOUT_MS = 45_000;
/** What the sandbox configures (sandbox-node-config.ts). */
const ELECTION_TIMEOUT_MS = 1_000;
/** A new primary within a few election timeouts. */
const ELECTION_DEADLINE_MS = 10_000;
const CATCH_UP_TIMEOUT_MS = 10_000;
const COMMIT_TIMEOUT_MS = 5_000;
/**
 * How soon after the election the load's writers must be answered in the new view: far
 * less than the 10 s forwarding timeout, which requests a backup had forwarded to the dead
 * primary used to wait out.
 */
const LOAD_RESUME_AFTER_ELECTION_MS = 3_000;

describe('a 3-node sandbox as real processes', { timeout: 150_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'coco-cluster-'));
  const workspace = join(root, 'ws');
  let sandbox: SandboxProcess | undefined;
  let serviceCertificate: string;
  let identity: { certificate: string; privateKey: string };
  /** The sandbox's nodes, then the one the join test adds. */
  let nodes: ClusterNode[] = [];
  /** `coco node join`, started by the join test. */
  let joiner: ChildProcess | undefined;
  /** Every message written and committed so far: a node that caught up reads them all. */
  const written = new Map<number, string>();
  /** The highest seqno the first test's writes got. */
  let firstWritesSeqno = 0;
  /** Set by the kill test. */
  let killed: ClusterNode | undefined;
  let load: WriteLoad | undefined;
  const clients: CocoClient[] = [];
  const readers = new Map<string, CocoClient>();
  const writers = new Map<string, CocoClient>();

  function connect(node: ClusterNode): CocoClient {
    const client = CocoClient.connect({ url: `https://${node.rpc}`, serviceCertificate, ...identity, timeoutMs: 5_000 });
    clients.push(client);
    return client;
  }

  /** A connection that only reads, so it is never forwarded: it sees this node's own state. */
  function reader(node: ClusterNode): CocoClient {
    let client = readers.get(node.name);
    if (client === undefined) readers.set(node.name, (client = connect(node)));
    return client;
  }

  /** A connection for writes (a backup forwards them, and then all of that connection's requests). */
  function writer(node: ClusterNode): CocoClient {
    let client = writers.get(node.name);
    if (client === undefined) writers.set(node.name, (client = connect(node)));
    return client;
  }

  function byId(id: string | null): ClusterNode {
    const node = nodes.find((candidate) => candidate.id === id);
    assert.ok(node !== undefined, `node ${String(id)} is one of ${nodes.map((n) => n.id).join(', ')}`);
    return node;
  }

  /** The states of `of`, and the primary they all name (asserting they agree). */
  async function agreedPrimary(of: readonly ClusterNode[]): Promise<{ states: NodeState[]; primary: ClusterNode; view: number }> {
    const states = await Promise.all(of.map((node) => nodeState(reader(node))));
    const described = JSON.stringify(states.map(({ node_id, role, primary_id, view }) => ({ node_id: node_id.slice(0, 8), role, primary_id: primary_id?.slice(0, 8), view })));
    const primaryIds = new Set(states.map((state) => state.primary_id));
    assert.equal(primaryIds.size, 1, `one primary for all: ${described}`);
    const primary = byId(states[0]?.primary_id ?? null);
    const primaries = states.filter((state) => state.role === 'primary');
    assert.deepEqual(primaries.map((state) => state.node_id), [primary.id], `exactly the named node says it is primary: ${described}`);
    assert.equal(new Set(states.map((state) => state.view)).size, 1, `one view: ${described}`);
    return { states, primary, view: (primaries[0] as NodeState).view };
  }

  async function write(via: ClusterNode, id: number, msg: string): Promise<TxId> {
    const response = await writer(via).post('/app/log/private', { id, msg });
    assert.equal(response.status, 200, `write ${id} through ${via.name}: ${JSON.stringify(response.body)}`);
    assert.deepEqual(response.body, { id });
    assert.ok(response.txId !== undefined, `write ${id} through ${via.name} carries its transaction id`);
    return response.txId;
  }

  async function waitForCommitSeqno(node: ClusterNode, seqno: number, timeoutMs = CATCH_UP_TIMEOUT_MS): Promise<NodeState> {
    return eventually(`${node.name}'s commit seqno reaches ${seqno}`, timeoutMs, async () => {
      const state = await nodeState(reader(node));
      return state.commit_seqno >= seqno ? state : new NotYet(`commit_seqno ${state.commit_seqno}, last_seqno ${state.last_seqno}, view ${state.view}, role ${state.role}`);
    });
  }

  /** Reads every message in `messages` on `node`, asserting each is there and unchanged. */
  async function assertReadsAll(node: ClusterNode, messages: ReadonlyMap<number, string>): Promise<void> {
    const entries = [...messages];
    for (let start = 0; start < entries.length; start += 50) {
      await Promise.all(entries.slice(start, start + 50).map(async ([id, msg]) => {
        const response = await reader(node).get('/app/log/private', { query: { id } });
        assert.equal(response.status, 200, `${node.name} reads message ${id}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(response.body, { msg }, `${node.name}'s message ${id}`);
      }));
    }
  }

  before(async () => {
    sandbox = SandboxProcess.start(['--nodes', '3', '--port', '0', '--workspace', workspace], root);
    await sandbox.waitFor(READY_LINE, SANDBOX_READY_TIMEOUT_MS);
    serviceCertificate = readFileSync(join(workspace, 'service_cert.pem'), 'utf8');
    identity = {
      certificate: readFileSync(join(workspace, 'user0_cert.pem'), 'utf8'),
      privateKey: readFileSync(join(workspace, 'user0_privk.pem'), 'utf8'),
    };
    nodes = readNetwork(workspace);
    assert.equal(nodes.length, 3);
    for (const node of nodes) assert.ok(isRunning(node.pid), `${node.name} (pid ${node.pid}) runs`);
  });

  after(async () => {
    // When every test passed the last one stopped everything, and this finds little to do;
    // otherwise it leaves no process behind, whatever state a failed test left.
    await Promise.race([load?.stop(), sleep(5_000)]);
    await Promise.race([Promise.all(clients.map((client) => client.close())), sleep(5_000)]);
    if (joiner !== undefined && joiner.exitCode === null && joiner.signalCode === null) joiner.kill('SIGKILL');
    const pids = networkPids(workspace);
    // A node left stopped by a failed SIGSTOP test would hold the sandbox's SIGTERM up.
    for (const pid of pids) signal(pid, 'SIGCONT');
    if (sandbox?.running === true) {
      signal(sandbox.pid, 'SIGTERM');
      if ((await sandbox.exitWithin(20_000)) === undefined) sandbox.child.kill('SIGKILL');
    }
    for (const pid of pids) if (isRunning(pid)) signal(pid, 'SIGKILL');
    if (process.env.COCO_TEST_KEEP_WORKSPACE === undefined) rmSync(root, { recursive: true, force: true });
    else console.log(`kept the workspace: ${workspace}`);
  });

  it('commits a write through each node (two forwarded), in one sequence, readable on all three, with a receipt that verifies', async () => {
    const { primary, view } = await agreedPrimary(nodes);
    const writes: { id: number; msg: string; txId: TxId; via: ClusterNode }[] = [];
    for (const [index, via] of nodes.entries()) {
      const id = 100 + index;
      const msg = `hello through ${via.name} (${via === primary ? 'the primary' : 'a backup'})`;
      writes.push({ id, msg, txId: await write(via, id, msg), via });
    }
    for (const { txId, via } of writes) await writer(via).waitForCommit(txId, { timeoutMs: COMMIT_TIMEOUT_MS });
    for (const { id, msg } of writes) written.set(id, msg);
    firstWritesSeqno = Math.max(...writes.map(({ txId }) => txId.seqno));

    const ids = writes.map(({ txId }) => `${txId.view}.${txId.seqno}`).join(', ');
    assert.ok(writes.every(({ txId }) => txId.view === view), `every write in the primary's view ${view}: ${ids}`);
    for (let i = 1; i < writes.length; i++) {
      assert.ok((writes[i] as { txId: TxId }).txId.seqno > (writes[i - 1] as { txId: TxId }).txId.seqno, `seqnos increase: ${ids}`);
    }

    for (const node of nodes) {
      await eventually(`${node.name} reads every message`, CATCH_UP_TIMEOUT_MS, async () => {
        for (const { id } of writes) {
          const response = await reader(node).get('/app/log/private', { query: { id } });
          if (response.status !== 200) return new NotYet(`message ${id}: ${response.status} ${JSON.stringify(response.body)}`);
        }
        return true;
      });
      await assertReadsAll(node, written);
    }

    // A write forwarded by one backup, proven by the other backup from its own ledger.
    const [backupA, backupB] = nodes.filter((node) => node !== primary) as [ClusterNode, ClusterNode];
    const forwarded = writes.find(({ via }) => via === backupA);
    assert.ok(forwarded !== undefined);
    const receipt = await reader(backupB).getReceipt(forwarded.txId, { timeoutMs: COMMIT_TIMEOUT_MS });
    const check = verifyReceipt(receipt, serviceCertificate);
    assert.ok(check.ok, `the receipt verifies: ${check.ok ? '' : check.reason}`);
    assert.equal(check.txid, `${forwarded.txId.view}.${forwarded.txId.seqno}`);
  });

  it('all three nodes name the same primary and, once idle, the same commit seqno', async () => {
    const { primary } = await agreedPrimary(nodes);
    assert.equal(primary.name, 'node0', 'the node that started the service is still primary');
    const settled = await eventually('the same commit seqno on every node, with nothing left to commit', CATCH_UP_TIMEOUT_MS, async () => {
      const states = await Promise.all(nodes.map((node) => nodeState(reader(node))));
      const seqnos = states.map((state) => `${state.commit_seqno}/${state.last_seqno}`);
      return new Set(seqnos).size === 1 && states.every((state) => state.commit_seqno === state.last_seqno) ? states : new NotYet(`commit/last seqnos ${seqnos.join(', ')}`);
    });
    assert.ok((settled[0] as NodeState).commit_seqno > firstWritesSeqno, 'the commit seqno covers the writes and the signature after them');
  });

  it('a SIGSTOPped backup misses writes that still commit on the other two, and catches up after SIGCONT', async (t: TestContext) => {
    const { primary, view } = await agreedPrimary(nodes);
    const [stopped, other] = nodes.filter((node) => node !== primary) as [ClusterNode, ClusterNode];
    const missed = new Map<number, string>();
    let committedSeqno = 0;
    assert.ok(signal(stopped.pid, 'SIGSTOP'), `SIGSTOP ${stopped.name}`);
    try {
      const stoppedAt = Date.now();
      // Writes through the other backup and the primary, for longer than an election
      // timeout: the stopped node would stand for election if it noticed time passing.
      for (let id = 200; missed.size < 6 || Date.now() - stoppedAt < 2 * ELECTION_TIMEOUT_MS; id++) {
        const via = id % 2 === 0 ? other : primary;
        const msg = `written while ${stopped.name} was stopped, through ${via.name}`;
        const txId = await write(via, id, msg);
        await writer(via).waitForCommit(txId, { timeoutMs: COMMIT_TIMEOUT_MS });
        missed.set(id, msg);
        committedSeqno = Math.max(committedSeqno, txId.seqno);
      }
      assert.ok(isRunning(stopped.pid), `${stopped.name} is still there, stopped`);
    } finally {
      signal(stopped.pid, 'SIGCONT');
    }
    for (const [id, msg] of missed) written.set(id, msg);
    const resumedAt = Date.now();
    const caughtUp = await waitForCommitSeqno(stopped, committedSeqno);
    t.diagnostic(`${stopped.name} stopped while ${missed.size} writes committed; caught up ${Date.now() - resumedAt} ms after SIGCONT (view ${view} -> ${caughtUp.view})`);
    await assertReadsAll(stopped, written);
    const after = await agreedPrimary(nodes);
    t.diagnostic(`primary after the resume: ${after.primary.name} in view ${after.view}`);
  });

  it('a fourth node joins the running service through a backup, catches up, and takes writes', async (t: TestContext) => {
    const { primary } = await agreedPrimary(nodes);
    const target = nodes.find((node) => node !== primary) as ClusterNode;
    const files = writeSandboxNodeConfig({
      workspace,
      index: nodes.length,
      basePort: 0,
      app: 'logging',
      join: { targetRpcAddress: target.rpc, serviceCertificate: join(workspace, 'service_cert.pem') },
    });
    const startedAt = Date.now();
    const child = (joiner = startNodeProcess('join', files.config, files.log));
    // The sandbox opened its service, so the newcomer is Pending until members trust it.
    const governor = Governor.connect(workspace, target.rpc, serviceCertificate);
    try {
      await governor.trust(await governor.pendingNode(30_000, () => {
        if (child.exitCode !== null || child.signalCode !== null) assert.fail(`${files.name} exited (${child.exitCode ?? child.signalCode}):\n${logTail(files.directory)}`);
      }));
    } finally {
      await governor.close();
    }
    const rpc = await eventually(`${files.name} writes its address`, 30_000, async () => {
      if (child.exitCode !== null || child.signalCode !== null) assert.fail(`${files.name} exited (${child.exitCode ?? child.signalCode}):\n${logTail(files.directory)}`);
      if (!existsSync(files.rpcAddressFile)) return new NotYet('no rpc_address.json yet');
      return (JSON.parse(readFileSync(files.rpcAddressFile, 'utf8')) as { rpc_address: string }).rpc_address;
    }, 100);
    assert.ok(child.pid !== undefined);
    const provisional: ClusterNode = { name: files.name, id: '', rpc, pid: child.pid, dir: files.directory };
    const state = await nodeState(reader(provisional));
    const newcomer: ClusterNode = { ...provisional, id: state.node_id };
    nodes.push(newcomer);

    const listed = await reader(primary).get('/node/network/nodes', { throwOnError: true });
    const entry = (listed.body as { nodes: { node_id: string; status: string; rpc_address: string }[] }).nodes.find((node) => node.node_id === newcomer.id);
    assert.deepEqual(entry && { status: entry.status, rpc_address: entry.rpc_address }, { status: 'Trusted', rpc_address: rpc }, 'the service records the new node');

    const primaryCommit = (await nodeState(reader(primary))).commit_seqno;
    await waitForCommitSeqno(newcomer, primaryCommit);
    t.diagnostic(`${files.name} joined and caught up to seqno ${primaryCommit} ${Date.now() - startedAt} ms after it started`);
    await assertReadsAll(newcomer, written);
    await agreedPrimary(nodes);

    const msg = `written through the newcomer ${files.name}`;
    const txId = await write(newcomer, 300, msg);
    await writer(newcomer).waitForCommit(txId, { timeoutMs: COMMIT_TIMEOUT_MS });
    written.set(300, msg);
    for (const node of nodes) {
      await waitForCommitSeqno(node, txId.seqno);
      await assertReadsAll(node, new Map([[300, msg]]));
    }
  });

  it('kill -9 of the primary under load: a new primary within a few election timeouts, writes resume at once, no acknowledged and committed write lost, the dead node\'s ledger verifies, and the sandbox goes on', async (t: TestContext) => {
    assert.ok(sandbox !== undefined);
    const { primary: victim, view: oldView } = await agreedPrimary(nodes);
    const survivors = nodes.filter((node) => node !== victim);
    // Four writers on their own connections, spread over the nodes that will survive.
    const loadWriters = [0, 1, 2, 3].map((index) => {
      const via = survivors[index % survivors.length] as ClusterNode;
      return { client: connect(via), via: via.name };
    });
    const running = (load = new WriteLoad(loadWriters, 10_000, 10));
    await eventually('the load is under way', 10_000, async () => (running.acks.length >= 20 ? true : new NotYet(`${running.acks.length} acks, failures: ${running.failures.slice(-3).join('; ')}`)));
    const commitBeforeKill = (await nodeState(reader(victim))).commit_seqno;

    killed = victim;
    const killedAt = Date.now();
    assert.ok(signal(victim.pid, 'SIGKILL'), `SIGKILL ${victim.name}, the primary`);

    const elected = await eventually('the survivors elect a new primary', ELECTION_DEADLINE_MS, async () => {
      const states = await Promise.all(survivors.map((node) => nodeState(reader(node), 1_000)));
      const ids = new Set(states.map((state) => state.primary_id));
      const [id] = ids;
      const primaryState = states.find((state) => state.role === 'primary');
      if (ids.size === 1 && id !== null && id !== undefined && id !== victim.id && primaryState?.node_id === id) return { node: byId(id), view: primaryState.view, at: Date.now() };
      return new NotYet(JSON.stringify(states.map((state) => [state.role, state.primary_id?.slice(0, 8), state.view])));
    }, 100);
    assert.ok(elected.view > oldView, `the new view ${elected.view} is after ${oldView}`);

    // Writes resume at once for a client that sends a new request, through every survivor.
    const resumed = await Promise.all(survivors.map(async (via, index) => {
      const client = connect(via);
      const id = 400 + index;
      const msg = `written after the kill, through ${via.name}`;
      const response = await client.post('/app/log/private', { id, msg });
      assert.equal(response.status, 200, `a new write through ${via.name} after the election: ${JSON.stringify(response.body)}`);
      assert.ok(response.txId !== undefined && response.txId.view === elected.view, `it runs in the new view ${elected.view}`);
      await client.waitForCommit(response.txId, { timeoutMs: COMMIT_TIMEOUT_MS });
      written.set(id, msg);
      return Date.now();
    }));
    const resumedAt = Math.max(...resumed);

    // The load's writers recover too: requests a backup had forwarded to the dead primary
    // fail as soon as the backup knows another primary, and their writers try again.
    await eventually('the load writes again in the new view', 20_000, async () => {
      const count = running.acks.filter((ack) => ack.txId.view >= elected.view).length;
      return count >= 5 ? true : new NotYet(`${count} acks in view ${elected.view}; last failures: ${running.failures.slice(-3).join('; ')}`);
    }, 100);
    const loadResumedAt = (running.acks.find((ack) => ack.txId.view >= elected.view) as { at: number }).at;
    assert.ok(loadResumedAt - elected.at < LOAD_RESUME_AFTER_ELECTION_MS,
      `the load wrote in the new view ${loadResumedAt - elected.at} ms after the election, not within ${LOAD_RESUME_AFTER_ELECTION_MS} ms; failures: ${summarise(running.failures)}`);
    await running.stop();
    const { acks, failures } = running;

    // Every acknowledged write is now Committed or Invalid (rolled back), once the new
    // primary's commit seqno passes them all.
    const lastSeqno = Math.max(...acks.map((ack) => ack.txId.seqno));
    await waitForCommitSeqno(elected.node, lastSeqno);
    const statuses: TxStatus[] = [];
    for (let start = 0; start < acks.length; start += 50) {
      statuses.push(...await Promise.all(acks.slice(start, start + 50).map((ack) => reader(elected.node).txStatus(ack.txId))));
    }
    const committed = new Map<number, string>();
    const rolledBack = new Map<number, string>();
    for (const [index, ack] of acks.entries()) {
      const status = statuses[index];
      if (status === 'Committed') committed.set(ack.id, ack.msg);
      else if (status === 'Invalid') rolledBack.set(ack.id, ack.msg);
      else assert.fail(`write ${ack.id} (${ack.txId.view}.${ack.txId.seqno}) is ${String(status)} after commit passed it`);
    }
    const committedBefore = acks.filter((ack) => committed.has(ack.id) && ack.txId.view === oldView).length;
    const committedAfter = acks.filter((ack) => committed.has(ack.id) && ack.txId.view >= elected.view).length;
    assert.ok(committedBefore > 0, 'writes acknowledged by the old primary committed');
    assert.ok(committedAfter > 0, 'writes acknowledged by the new primary committed');
    for (const [id, msg] of committed) written.set(id, msg);

    // On every survivor: everything committed is there; nothing rolled back is.
    for (const node of survivors) {
      await waitForCommitSeqno(node, lastSeqno);
      await assertReadsAll(node, written);
      for (const id of rolledBack.keys()) {
        const response = await reader(node).get('/app/log/private', { query: { id } });
        assert.equal(response.status, 404, `${node.name}: rolled-back write ${id} is not readable`);
      }
    }
    await agreedPrimary(survivors);

    t.diagnostic(
      `${victim.name} killed in view ${oldView}; ${elected.node.name} primary in view ${elected.view} ${elected.at - killedAt} ms later; ` +
        `new writes through every survivor committed ${resumedAt - killedAt} ms after the kill; the load's first write in the new view ${loadResumedAt - killedAt} ms after it`,
    );
    t.diagnostic(`${acks.length} load writes acknowledged: ${committedBefore} committed in view ${oldView}, ${committedAfter} in view ${elected.view}, ` +
      `${rolledBack.size} rolled back; ${failures.length} refused or failed: ${summarise(failures)}`);

    // The dead primary's ledger, as SIGKILL left it, checks out and holds what was committed.
    const verify = spawnSync(process.execPath, [COCO, 'ledger', 'verify', join(victim.dir, 'ledger'), '--service-cert', join(workspace, 'service_cert.pem'), '--json'], { encoding: 'utf8' });
    assert.equal(verify.status, 0, `coco ledger verify ${victim.name}/ledger:\n${verify.stdout}\n${verify.stderr}`);
    const report = JSON.parse(verify.stdout) as { ok: boolean; lastSeqno: number; lastSignedSeqno: number; serviceCertificate: string };
    assert.equal(report.ok, true);
    assert.equal(report.serviceCertificate, 'given');
    assert.ok(report.lastSignedSeqno >= commitBeforeKill, `the ledger is signed up to ${report.lastSignedSeqno}, at least the ${commitBeforeKill} committed before the kill`);

    // The sandbox saw its node die (unless the primary was the joiner, which it did not
    // start), said so, and left the majority running.
    if (networkPids(workspace).includes(victim.pid)) await sandbox.waitFor(new RegExp(`^${victim.name} \\(pid ${victim.pid}\\) was killed by SIGKILL while the sandbox was running; 2 of 3 nodes still run, a majority, so the service goes on`, 'm'), 5_000);
    assert.ok(sandbox.running, `the sandbox still runs:\n${sandbox.stdout}\n${sandbox.stderr}`);
    for (const node of survivors) assert.ok(isRunning(node.pid), `${node.name} still runs`);
  });

  it('stops every node: the joiner on SIGTERM, and the sandbox, though one of its nodes died, on SIGTERM with exit 0', async () => {
    assert.ok(sandbox !== undefined);
    if (joiner !== undefined && joiner.exitCode === null && joiner.signalCode === null && killed?.pid !== joiner.pid) {
      const child = joiner;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await Promise.race([exited, sleep(10_000).then(() => 'still running')]), 0, 'the joined node stops cleanly on SIGTERM');
    }
    assert.ok(sandbox.running, 'the sandbox ran on after its node died');
    signal(sandbox.pid, 'SIGTERM');
    const exit = await sandbox.exitWithin(30_000);
    assert.ok(exit !== undefined, `the sandbox exits:\n${sandbox.stdout}\n${sandbox.stderr}`);
    assert.equal(exit.code, 0, sandbox.stderr);
    assert.match(sandbox.stdout, /^Stopped\.$/m);
    const pids = networkPids(workspace);
    await eventually('no node process is left', 5_000, async () => {
      const left = pids.filter((pid) => isRunning(pid));
      return left.length === 0 ? true : new NotYet(`still running: ${left.join(', ')}`);
    });
  });
});

/** Failure messages with node ids and numbers blanked, counted: what kinds of answers the load got. */
function summarise(failures: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const failure of failures) {
    const kind = failure.replace(/^node\d+: /, '').replace(/[0-9a-f]{64}/g, '<node>').replace(/\d+/g, 'N');
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, count]) => `${count} x ${kind}`).join(' | ') || 'none';
}
