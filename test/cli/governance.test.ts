// Governance end to end, as real processes over real TLS: a `coco sandbox --nodes 3`,
// governed through raw HTTP requests signed (COSE Sign1) with the members' keys from the
// sandbox's workspace. Members acknowledge and become Active (unless the sandbox did it);
// a user added by a proposal and two ballots gains access, and removed gets 401; the
// service opens (unless the sandbox opened it); a node joining after that is Pending,
// refused as a peer, trusted by vote, and catches up; removed, it is retired: it refuses
// writes and hears no more of the log; a new voting rule applies from the next proposal.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { keygen } from '../../src/cli/keygen-command.js';
import { writeSandboxNodeConfig } from '../../src/cli/sandbox-node-config.js';
import { CocoClient } from '../../src/client/index.js';
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { UNANIMITY_CONSTITUTION } from '../../src/gov/index.js';
import { eventually, isRunning, logTail, networkPids, nodeState, NotYet, readNetwork, SandboxProcess, signal, startNodeProcess, type ClusterNode } from './cluster-fixture.js';
import { Governor, ok, type GovNode, type Member } from './governance-fixture.js';
import { TestJoiner } from './test-joiner.js';

const READY_LINE = /^Press Ctrl-C to stop\.$/m;
const SANDBOX_READY_TIMEOUT_MS = 45_000;

describe('governance on a three-node sandbox', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'coco-governance-'));
  const workspace = join(root, 'ws');
  let sandbox: SandboxProcess | undefined;
  let serviceCertificate: string;
  let nodes: ClusterNode[] = [];
  let governor: Governor;
  let joiner: ChildProcess | undefined;
  const clients: CocoClient[] = [];

  function connect(rpc: string, identity?: string): CocoClient {
    const client = CocoClient.connect({
      url: `https://${rpc}`,
      serviceCertificate,
      timeoutMs: 15_000,
      ...(identity === undefined ? {} : { certificate: readFileSync(join(workspace, `${identity}_cert.pem`), 'utf8'), privateKey: readFileSync(join(workspace, `${identity}_privk.pem`), 'utf8') }),
    });
    clients.push(client);
    return client;
  }

  before(async () => {
    sandbox = SandboxProcess.start(['--nodes', '3', '--port', '0', '--workspace', workspace], root);
    await sandbox.waitFor(READY_LINE, SANDBOX_READY_TIMEOUT_MS);
    serviceCertificate = readFileSync(join(workspace, 'service_cert.pem'), 'utf8');
    nodes = readNetwork(workspace);
    // Governance through a backup: its writes are forwarded to the primary, and the
    // reads that follow them on this connection too (read-your-writes).
    const primaryId = (await nodeState(connect((nodes[0] as ClusterNode).rpc))).primary_id;
    const backup = nodes.find((node) => node.id !== primaryId) as ClusterNode;
    governor = Governor.connect(workspace, backup.rpc, serviceCertificate);
    clients.push(governor.client);
  });

  after(async () => {
    await Promise.race([Promise.all(clients.map((client) => client.close())), sleep(5_000)]);
    if (joiner !== undefined && joiner.exitCode === null && joiner.signalCode === null) {
      joiner.kill('SIGTERM');
      await Promise.race([new Promise((resolve) => joiner?.once('exit', resolve)), sleep(10_000)]);
      if (joiner.exitCode === null && joiner.signalCode === null) joiner.kill('SIGKILL');
    }
    const pids = networkPids(workspace);
    if (sandbox?.running === true) {
      signal(sandbox.pid, 'SIGTERM');
      if ((await sandbox.exitWithin(20_000)) === undefined) sandbox.child.kill('SIGKILL');
    }
    for (const pid of pids) if (isRunning(pid)) signal(pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('governs the service: members, users, opening, nodes and the voting rule', async (t: TestContext) => {
    const started = Date.now();
    const step = (what: string): void => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);

    // Members start Accepted and acknowledge the state digest to become Active (the sandbox may have done it).
    for (const member of governor.members) {
      const record = await governor.read<{ status: string }>(`/gov/service/members/${member.id}`);
      if (record.status === 'Active') continue;
      assert.equal(record.status, 'Accepted');
      const { state_digest } = ok<{ state_digest: string }>(await governor.send('/gov/members/state-digests/update', governor.sign(member, 'state_digest', '')), 'state digest update');
      const acked = ok<{ status: string }>(await governor.send('/gov/members/state-digests/ack', governor.sign(member, 'ack', JSON.stringify({ state_digest }))), 'ack');
      assert.equal(acked.status, 'Active');
    }
    step('members Active');

    // A user added by a proposal and two ballots gains access; removed, it gets 401.
    await keygen({ name: 'user1', dir: workspace, curve: 'p384', encryption: false, now: new Date() });
    const user1Id = certificateFingerprint(readFileSync(join(workspace, 'user1_cert.pem'), 'utf8'));
    const asUser1 = connect((nodes[1] as ClusterNode).rpc, 'user1');
    const write = (id: number) => asUser1.post('/app/log/private', { id, msg: `from user1 ${id}` });
    const refusedUser = await write(1);
    assert.equal(refusedUser.status, 401, JSON.stringify(refusedUser.body));
    const added = await governor.passed([{ name: 'set_user', args: { cert: readFileSync(join(workspace, 'user1_cert.pem'), 'utf8') } }]);
    assert.equal(added.ballot_count, 2, 'two ballots of three members accept');
    await eventually('user1 may write', 10_000, async () => {
      const answer = await write(2);
      return answer.status === 200 ? true : new NotYet(`${answer.status} ${JSON.stringify(answer.body)}`);
    });
    await governor.passed([{ name: 'remove_user', args: { user_id: user1Id } }]);
    await eventually('user1 is refused', 10_000, async () => {
      const answer = await write(3);
      return answer.status === 401 ? true : new NotYet(`${answer.status} ${JSON.stringify(answer.body)}`);
    });
    step('user added and removed');

    // Open the service (the sandbox may have opened it through proposals already).
    if ((await governor.read<{ status: string }>('/gov/service/info')).status === 'Opening') await governor.passed([{ name: 'transition_service_to_open' }]);
    await eventually('the service is Open on every node', 10_000, async () => {
      for (const node of nodes) {
        const info = await connect(node.rpc).get('/gov/service/info');
        if ((info.body as { status?: string }).status !== 'Open') return new NotYet(`${node.name}: ${JSON.stringify(info.body)}`);
      }
      return true;
    });
    step('service Open');

    // A fourth node joins the open service: Pending.
    const files = writeSandboxNodeConfig({ workspace, index: 3, basePort: 0, app: 'logging', join: { targetRpcAddress: (nodes[0] as ClusterNode).rpc, serviceCertificate: join(workspace, 'service_cert.pem') } });
    const child = (joiner = startNodeProcess('join', files.config, files.log));
    const pendingId = await governor.pendingNode(20_000, () => {
      if (child.exitCode !== null || child.signalCode !== null) assert.fail(`node3 exited (${child.exitCode ?? child.signalCode}):\n${logTail(files.directory)}`);
    });
    await eventually('node3 says it waits for members', 10_000, async () =>
      /recorded this node as Pending: waiting for members to trust it/.test(readFileSync(files.log, 'utf8')) ? true : new NotYet(logTail(files.directory)));
    assert.equal(existsSync(files.rpcAddressFile), false, 'a Pending node does not run');
    step('node3 Pending');

    // A Pending node is refused as a peer: one with a service-endorsed certificate, dialling node0's channel.
    const outsider = await pendingJoiner((nodes[0] as ClusterNode).rpc, serviceCertificate);
    const node0 = await governor.read<GovNode>(`/gov/service/nodes/${(nodes[0] as ClusterNode).id}`);
    const closedWithin = await dialChannel(node0.node_to_node_address, outsider.privateKey, (await governor.read<GovNode>(`/gov/service/nodes/${outsider.nodeId}`)).cert, serviceCertificate);
    assert.ok(closedWithin !== undefined, 'node0 closed the connection of a Pending node');
    await eventually('node0 logs the refusal', 5_000, async () =>
      readFileSync(join((nodes[0] as ClusterNode).dir, 'node.log'), 'utf8').split('\n').some((line) => line.includes('refused a connection from a node that is not trusted') && line.includes(outsider.nodeId))
        ? true : new NotYet(logTail((nodes[0] as ClusterNode).dir)));
    step('a Pending node refused as a peer');

    // Trusted by vote, node3 gets its answer and catches up.
    const commitBefore = (await nodeState(governor.client)).commit_seqno;
    await governor.trust(pendingId);
    const rpc3 = await eventually('node3 joins', 20_000, async () => {
      if (child.exitCode !== null || child.signalCode !== null) assert.fail(`node3 exited (${child.exitCode ?? child.signalCode}):\n${logTail(files.directory)}`);
      if (!existsSync(files.rpcAddressFile)) return new NotYet('no rpc_address.json yet');
      return (JSON.parse(readFileSync(files.rpcAddressFile, 'utf8')) as { rpc_address: string }).rpc_address;
    }, 100);
    const reader3 = connect(rpc3);
    await eventually('node3 catches up', 20_000, async () => {
      const state = await nodeState(reader3);
      return state.node_id === pendingId && state.commit_seqno > commitBefore ? true : new NotYet(JSON.stringify(state));
    });
    const trusted = (await governor.read<{ nodes: GovNode[] }>('/gov/service/nodes')).nodes.filter((node) => node.status === 'Trusted');
    assert.equal(trusted.length, 4);
    const asUser0 = connect(rpc3, 'user0');
    const written = await asUser0.post('/app/log/private', { id: 40, msg: 'through node3' });
    assert.equal(written.status, 200, `node3 takes part: ${JSON.stringify(written.body)}`);
    step('node3 trusted and caught up');

    // Removed, node3 is retired: it refuses writes and no longer hears the log.
    await governor.passed([{ name: 'remove_node', args: { node_id: pendingId } }]);
    await eventually('node3 refuses writes', 10_000, async () => {
      const answer = await asUser0.post('/app/log/private', { id: 41, msg: 'after retirement' });
      return answer.status === 503 && /retired/.test(JSON.stringify(answer.body)) ? true : new NotYet(`${answer.status} ${JSON.stringify(answer.body)}`);
    });
    // The primary tells a departing node once that its removal committed; then nothing more.
    await sleep(500);
    const retiredAt = (await nodeState(reader3)).last_seqno;
    const asUser0OnNode0 = connect((nodes[0] as ClusterNode).rpc, 'user0');
    for (let id = 50; id < 53; id++) assert.equal((await asUser0OnNode0.post('/app/log/private', { id, msg: 'after node3 left' })).status, 200);
    const serviceSeqno = (await nodeState(asUser0OnNode0)).last_seqno;
    await sleep(500);
    assert.equal((await nodeState(reader3)).last_seqno, retiredAt, `node3 hears no more of the log (at ${retiredAt}, service at ${serviceSeqno})`);
    const listed = await governor.read<{ nodes: Array<{ node_id: string; status: string }> }>('/node/network/nodes');
    assert.equal(listed.nodes.find((node) => node.node_id === pendingId)?.status, 'Retired');
    step('node3 retired');

    // A new voting rule, decided under the old one; the next proposal follows the new one.
    const ruleChange = await governor.passed([{ name: 'set_constitution', args: { constitution: UNANIMITY_CONSTITUTION } }]);
    assert.equal(ruleChange.ballot_count, 2, 'decided by the old rule, a majority');
    const { outcome, ballots } = await governor.pass([{ name: 'set_member_data', args: { member_id: (governor.members[0] as Member).id, member_data: { rule: 'unanimity' } } }]);
    assert.equal(outcome.state, 'Accepted');
    assert.equal(ballots, 3, 'the next proposal needed every member');
    step('voting rule changed');
  });
});

/** Asks to join through `rpc` as `coco node join` would, with a fresh key: the open service records it Pending. */
async function pendingJoiner(rpc: string, serviceCertificate: string): Promise<{ nodeId: string; privateKey: string }> {
  const joiner = await TestJoiner.connect(rpc, serviceCertificate);
  try {
    const answer = await joiner.ask();
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { status: 'Pending', node_id: joiner.nodeId }, 'Pending, and no secrets');
  } finally {
    await joiner.client.close();
  }
  return { nodeId: joiner.nodeId, privateKey: joiner.privateKey };
}

/**
 * Dials a node-to-node address over TLS with `key` and `cert`, sends a byte, and resolves
 * with how long the peer took to close the connection, or undefined if it kept it open 3 s.
 */
async function dialChannel(address: string, key: string, cert: string, serviceCertificate: string): Promise<number | undefined> {
  const colon = address.lastIndexOf(':');
  const started = Date.now();
  const socket = tls.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)), key, cert, ca: [serviceCertificate], checkServerIdentity: () => undefined });
  socket.on('error', () => {});
  socket.once('secureConnect', () => socket.write(Buffer.from([0])));
  const closed = await Promise.race([new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))), sleep(3_000).then(() => false)]);
  socket.destroy();
  return closed ? Date.now() - started : undefined;
}
