// `coco sandbox` as a developer runs it: the compiled CLI in a child process, starting a
// real node process on free ports. It checks what the workspace holds, that the printed
// curl commands work exactly as printed, that Ctrl-C leaves no node behind, that the
// sandbox clears only a workspace of its own, and that it stops once its nodes are no
// longer a majority (test/cli/cluster.test.ts shows it going on while they are).
import assert from 'node:assert/strict';
import { exec, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parseNodeConfig } from '../../src/node/node-config.js';

const COCO = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const READY_LINE = /^Press Ctrl-C to stop\.$/m;

const root = mkdtempSync(join(tmpdir(), 'coco-sandbox-'));
const started: Sandbox[] = [];

after(() => {
  // Only if a test failed half-way: leave no process behind.
  for (const sandbox of started) {
    if (sandbox.child.exitCode === null) sandbox.child.kill('SIGKILL');
    const pid = nodePid(join(root, 'ws'));
    if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(root, { recursive: true, force: true });
});

/** A running `coco sandbox` whose output is collected as it comes. */
class Sandbox {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stdout)) {
      if (this.child.exitCode !== null) assert.fail(`sandbox exited ${this.child.exitCode} before ${pattern}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline) assert.fail(`no ${pattern} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Starts a sandbox from `root` with a relative workspace, as a user in their project would. */
function startSandbox(): Sandbox {
  const sandbox = new Sandbox(spawn(process.execPath, [COCO, 'sandbox', '--port', '0', '--workspace', 'ws'], { cwd: root }));
  started.push(sandbox);
  return sandbox;
}

function nodePid(workspace: string): number | undefined {
  const file = join(workspace, 'network.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { nodes: { pid: number }[] }).nodes[0]?.pid;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function coco(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [COCO, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('coco sandbox', { timeout: 90_000 }, () => {
  const workspace = join(root, 'ws');
  let sandbox: Sandbox;

  before(async () => {
    sandbox = startSandbox();
    await sandbox.waitFor(READY_LINE, READY_TIMEOUT_MS);
  });

  it('lays out the workspace: identities, the service certificate, and per node its config, ledger, snapshots and log', () => {
    const expected = ['.coco-sandbox', 'network.json', 'node0', 'service_cert.pem', 'user0_cert.pem', 'user0_privk.pem'];
    for (const member of ['member0', 'member1', 'member2']) {
      expected.push(`${member}_cert.pem`, `${member}_privk.pem`, `${member}_enc_privk.pem`, `${member}_enc_pubk.pem`);
    }
    assert.deepEqual(readdirSync(workspace).sort(), expected.sort());
    const node = join(workspace, 'node0');
    for (const dir of ['ledger', 'snapshots']) assert.ok(statSync(join(node, dir)).isDirectory(), dir);
    assert.ok(statSync(join(node, 'node.log')).size > 0, 'the node logs to node.log');
    const config = parseNodeConfig(JSON.parse(readFileSync(join(node, 'config.json'), 'utf8')), node);
    assert.equal(config.network.rpc_address, '127.0.0.1:0');
    assert.equal(config.command.type, 'start');
    assert.equal(config.command.type === 'start' && config.command.members.length, 3);
    assert.equal(config.command.type === 'start' && config.command.users.length, 1);
    assert.equal(readFileSync(join(workspace, 'service_cert.pem'), 'utf8'), readFileSync(join(node, config.service_certificate_file), 'utf8'));
  });

  it('network.json names the running node, its address and pid', () => {
    const network = JSON.parse(readFileSync(join(workspace, 'network.json'), 'utf8')) as { nodes: { id: string; rpc: string; pid: number }[] };
    assert.equal(network.nodes.length, 1);
    const [node] = network.nodes;
    assert.ok(node !== undefined);
    assert.match(node.id, /^\S+$/);
    assert.match(node.rpc, /^127\.0\.0\.1:[1-9][0-9]*$/);
    assert.ok(sandbox.stdout.includes(`https://${node.rpc}`), 'the ready line names the same address');
    assert.ok(isRunning(node.pid));
  });

  it('the printed curl commands, run exactly as printed, write a message and read it back', async () => {
    const commands = sandbox.stdout.split('\n').filter((line) => line.startsWith('  curl ')).map((line) => line.trim());
    assert.equal(commands.length, 2, sandbox.stdout);
    const [write, read] = commands as [string, string];
    assert.match(write, / --cacert ws\/service_cert\.pem --cert ws\/user0_cert\.pem --key ws\/user0_privk\.pem$/, 'paths relative to where it was run');
    const run = promisify(exec);
    await run(write, { cwd: root });
    const { stdout } = await run(read, { cwd: root });
    assert.match(stdout, /"hello"/);
  });

  it('SIGINT stops the node and exits 0, leaving no node process', async () => {
    const pid = nodePid(workspace);
    assert.ok(pid !== undefined);
    sandbox.child.kill('SIGINT');
    assert.equal(await sandbox.exited, 0, sandbox.stderr);
    assert.match(sandbox.stdout, /^Stopped\.$/m);
    assert.equal(isRunning(pid), false, `node pid ${pid} is gone`);
  });

  it('a second run on the same workspace clears it, says so, and starts afresh', async () => {
    const oldPid = nodePid(workspace);
    writeFileSync(join(workspace, 'node0', 'leftover'), 'from the first run');
    const again = startSandbox();
    await again.waitFor(READY_LINE, READY_TIMEOUT_MS);
    assert.match(again.stdout, /^Cleared ws: an earlier sandbox's workspace\.$/m);
    assert.equal(existsSync(join(workspace, 'node0', 'leftover')), false);
    assert.notEqual(nodePid(workspace), oldPid);
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0, again.stderr);
  });

  it('stops with exit 1, naming the node and how it ended, once its nodes are no longer a majority', async () => {
    const alone = startSandbox();
    await alone.waitFor(READY_LINE, READY_TIMEOUT_MS);
    const pid = nodePid(workspace);
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    assert.equal(await alone.exited, 1, alone.stderr);
    assert.match(alone.stderr, /^coco: node0 was killed by SIGKILL while the sandbox was running, leaving 0 of 1 node\(s\) running, fewer than the 1 the service needs: stopping the sandbox; /m);
  });
});

describe('coco sandbox refuses', () => {
  it('a non-empty directory it did not make, with exit 2, touching nothing', () => {
    const foreign = join(root, 'foreign');
    mkdirSync(join(foreign, 'sub'), { recursive: true });
    writeFileSync(join(foreign, 'notes.txt'), 'precious');
    const before = statSync(join(foreign, 'notes.txt')).mtimeMs;
    const result = coco(root, 'sandbox', '--port', '0', '--workspace', foreign);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /is not empty and was not made by coco sandbox.*nothing was changed/);
    assert.deepEqual(readdirSync(foreign).sort(), ['notes.txt', 'sub']);
    assert.deepEqual(readdirSync(join(foreign, 'sub')), []);
    assert.equal(readFileSync(join(foreign, 'notes.txt'), 'utf8'), 'precious');
    assert.equal(statSync(join(foreign, 'notes.txt')).mtimeMs, before);
  });
});
