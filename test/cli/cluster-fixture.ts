// Helpers for test/cli/cluster.test.ts: a `coco sandbox --nodes N` child process, the
// nodes it reports in network.json, polling with a deadline, and a load of concurrent
// writers that records what the service acknowledged.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CocoClient } from '../../src/client/index.js';
import type { TxId } from '../../src/ledger/tx-id.js';

/** The compiled CLI, as a user runs it. */
export const COCO = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` if the process still exists; true if it was sent. */
export function signal(pid: number | undefined, name: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** What `eventually` is still waiting for: the attempt returns it instead of a value. */
export class NotYet {
  constructor(readonly reason: string) {}
}

/**
 * Runs `attempt` every `pollMs` until it returns a value (not a NotYet) and returns that
 * value; fails the test at the deadline, saying what it last saw. An attempt that throws
 * (a node restarting, an election under way) counts as "not yet", unless it failed an
 * assertion: that fails the test at once.
 */
export async function eventually<T>(what: string, timeoutMs: number, attempt: () => Promise<T | NotYet>, pollMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'never tried';
  for (;;) {
    try {
      const result = await attempt();
      if (!(result instanceof NotYet)) return result;
      last = result.reason;
    } catch (error) {
      // An assertion in the attempt means waiting cannot help (a process exited).
      if (error instanceof assert.AssertionError) throw error;
      last = `threw ${(error as Error).message}`;
    }
    if (Date.now() + pollMs > deadline) assert.fail(`${what}: not within ${timeoutMs} ms; last: ${last}`);
    await sleep(pollMs);
  }
}

/** A running `coco sandbox` whose output is collected as it comes. */
export class SandboxProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((this.#exit = { code, signal }))));
  }

  static start(args: readonly string[], cwd: string): SandboxProcess {
    return new SandboxProcess(spawn(process.execPath, [COCO, 'sandbox', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    assert.ok(this.child.pid !== undefined, 'the sandbox process started');
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    await eventually(`sandbox output ${pattern}`, timeoutMs, async () => {
      if (pattern.test(this.stdout)) return true;
      if (!this.running) assert.fail(`the sandbox exited (${JSON.stringify(this.#exit)}) before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      return new NotYet(`output so far:\n${this.stdout}\n${this.stderr}`);
    });
  }

  /** Resolves with the exit status, or undefined if it has not exited within `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([this.exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** One node of the service as the test knows it. */
export interface ClusterNode {
  readonly name: string;
  readonly id: string;
  /** `host:port` of its RPC interface. */
  readonly rpc: string;
  readonly pid: number;
  /** Its directory: config.json, node.log, ledger/, rpc_address.json. */
  readonly dir: string;
}

/** The nodes network.json lists, checked against each node's own rpc_address.json. */
export function readNetwork(workspace: string): ClusterNode[] {
  const network = JSON.parse(readFileSync(join(workspace, 'network.json'), 'utf8')) as { nodes: { id: string; rpc: string; pid: number }[] };
  return network.nodes.map((node, index) => {
    const dir = join(workspace, `node${index}`);
    const written = (JSON.parse(readFileSync(join(dir, 'rpc_address.json'), 'utf8')) as { rpc_address: string }).rpc_address;
    assert.equal(written, node.rpc, `network.json and node${index}/rpc_address.json name the same address`);
    return { name: `node${index}`, id: node.id, rpc: node.rpc, pid: node.pid, dir };
  });
}

/** The pids network.json lists, or none if it is missing or unreadable. */
export function networkPids(workspace: string): number[] {
  try {
    return (JSON.parse(readFileSync(join(workspace, 'network.json'), 'utf8')) as { nodes: { pid: number }[] }).nodes.map((node) => node.pid);
  } catch {
    return [];
  }
}

/** Starts `coco node <command> --config <file>` with its output appended to `log`, as the sandbox does. */
export function startNodeProcess(command: 'start' | 'join', config: string, log: string): ChildProcess {
  const fd = openSync(log, 'a');
  try {
    return spawn(process.execPath, [COCO, 'node', command, '--config', config], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

/** GET /node/state, as a node answers it. */
export interface NodeState {
  readonly node_id: string;
  readonly role: string;
  readonly primary_id: string | null;
  readonly view: number;
  readonly last_seqno: number;
  readonly commit_seqno: number;
}

export async function nodeState(client: CocoClient, timeoutMs = 2_000): Promise<NodeState> {
  const response = await client.get('/node/state', { timeoutMs, throwOnError: true });
  return response.body as NodeState;
}

/** The end of a node's log, to explain a failure. */
export function logTail(dir: string, lines = 15): string {
  try {
    return readFileSync(join(dir, 'node.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A write the service answered 2xx, with the transaction id it gave. */
export interface Ack {
  readonly id: number;
  readonly msg: string;
  readonly txId: TxId;
  /** The node it was sent to. */
  readonly via: string;
  /** Date.now() when the answer came back. */
  readonly at: number;
}

/**
 * Writers, each on its own connection, writing private messages with fresh ids in a loop
 * until stopped. Each records the writes answered 2xx with a transaction id; any other
 * answer (a 503 during an election, a dropped connection) is counted and the writer
 * tries again with a new id after a short pause.
 */
export class WriteLoad {
  readonly acks: Ack[] = [];
  readonly failures: string[] = [];
  #nextId: number;
  #stopped = false;
  readonly #loops: Promise<void>[];

  constructor(writers: readonly { client: CocoClient; via: string }[], firstId: number, readonly pauseMs: number) {
    this.#nextId = firstId;
    this.#loops = writers.map((writer) => this.#run(writer.client, writer.via));
  }

  async #run(client: CocoClient, via: string): Promise<void> {
    while (!this.#stopped) {
      const id = this.#nextId++;
      const msg = `load message ${id} via ${via}`;
      let acked = false;
      try {
        const response = await client.post('/app/log/private', { id, msg }, { timeoutMs: 15_000 });
        if (response.status >= 200 && response.status < 300 && response.txId !== undefined) {
          this.acks.push({ id, msg, txId: response.txId, via, at: Date.now() });
          acked = true;
        } else {
          this.failures.push(`${via}: ${response.status} ${JSON.stringify(response.body)}`);
        }
      } catch (error) {
        this.failures.push(`${via}: ${(error as Error).message}`);
      }
      await sleep(acked ? this.pauseMs : 4 * this.pauseMs);
    }
  }

  /** Stops writing and resolves once every writer's last request has been answered. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }
}
