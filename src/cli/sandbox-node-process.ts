// One sandbox node as a child process: `coco node start --config ...` with its output
// in the node's log file. It knows when the node is ready (it wrote its address and
// answers GET /node/state over TLS), how to say why it is not (its exit code and the
// end of its log), and how to stop it (SIGTERM, then SIGKILL if it hangs).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, fstatSync } from 'node:fs';
import { CliError } from './cli-error.js';
import { httpsGetJson, type TlsIdentity } from './sandbox-https.js';
import type { SandboxNodeFiles } from './sandbox-node-config.js';

const READY_POLL_MS = 100;
const STATE_REQUEST_TIMEOUT_MS = 2_000;
const LOG_TAIL_LINES = 20;
const LOG_TAIL_BYTES_MAX = 16 * 1024;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  readonly error?: Error;
}

export interface ReadyNode {
  readonly nodeId: string;
  readonly state: string;
  /** `host:port` the node really listens on (its chosen port when configured with 0). */
  readonly rpcAddress: string;
}

export class SandboxNodeProcess {
  readonly #child: ChildProcess;
  #status: ExitStatus | undefined;
  /** Settles when the process has exited, for whatever reason. */
  readonly exited: Promise<ExitStatus>;

  private constructor(
    readonly files: SandboxNodeFiles,
    mainScript: string,
    /** How paths appear in messages: relative to the user's directory when inside it. */
    readonly displayPath: (path: string) => string,
  ) {
    const log = openSync(files.log, 'a');
    try {
      // Detached (its own process group), so a Ctrl-C in the terminal reaches only the
      // sandbox, which then stops its nodes in order and reports how each one ended.
      this.#child = spawn(process.execPath, [mainScript, 'node', files.command, '--config', files.config], {
        stdio: ['ignore', log, log],
        detached: true,
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(log);
    }
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => resolve((this.#status = { code, signal })));
      this.#child.once('error', (error) => resolve((this.#status = { code: null, signal: null, error })));
    });
  }

  /** Starts the node described by `files` with the compiled CLI at `mainScript`. */
  static start(files: SandboxNodeFiles, mainScript: string, displayPath: (path: string) => string): SandboxNodeProcess {
    return new SandboxNodeProcess(files, mainScript, displayPath);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#status === undefined;
  }

  /**
   * Polls until the node answers GET /node/state, trusting only its service certificate.
   * Returns 'stopped' if `stopRequested` settles first. Throws CliError (exit 1) if the
   * node exits, or does not answer within `timeoutMs` (it is then killed).
   */
  async waitUntilReady(identity: Omit<TlsIdentity, 'ca'>, timeoutMs: number, stopRequested: Promise<unknown>): Promise<ReadyNode | 'stopped'> {
    let stopped = false;
    void stopRequested.then(() => (stopped = true));
    const deadline = Date.now() + timeoutMs;
    let problem = 'it has not written its address yet';
    while (!stopped) {
      if (this.#status !== undefined) throw this.exitError('before it was ready');
      const attempt = await this.#probe(identity);
      if (typeof attempt !== 'string') return attempt;
      problem = attempt;
      if (Date.now() >= deadline) {
        this.#child.kill('SIGKILL');
        await this.exited;
        throw new CliError(
          `${this.files.name} did not answer GET /node/state within ${timeoutMs / 1000} s (last: ${problem}), so it was killed; ` +
            `see its log ${this.displayPath(this.files.log)}`,
          1,
        );
      }
      await pause(READY_POLL_MS, this.exited, stopRequested);
    }
    return 'stopped';
  }

  /** A ready node, or why it is not ready yet. */
  async #probe(identity: Omit<TlsIdentity, 'ca'>): Promise<ReadyNode | string> {
    if (!existsSync(this.files.rpcAddressFile)) return 'it has not written its address yet';
    let rpcAddress: unknown;
    try {
      rpcAddress = (JSON.parse(readFileSync(this.files.rpcAddressFile, 'utf8')) as { rpc_address?: unknown }).rpc_address;
    } catch {
      return 'its address file is not complete JSON yet';
    }
    if (typeof rpcAddress !== 'string') return `its address file ${this.displayPath(this.files.rpcAddressFile)} has no rpc_address`;
    if (!existsSync(this.files.serviceCertificate)) return 'it has not written the service certificate yet';
    const ca = readFileSync(this.files.serviceCertificate, 'utf8');
    try {
      const { status, body } = await httpsGetJson(rpcAddress, '/node/state', { ...identity, ca }, STATE_REQUEST_TIMEOUT_MS);
      const state = body as { node_id?: unknown; state?: unknown; commit_seqno?: unknown } | undefined;
      if (status !== 200 || typeof state?.node_id !== 'string') return `GET /node/state answered ${status} ${JSON.stringify(body)}`;
      // A joining node answers before it has caught up; it knows no user until it has.
      if (state.commit_seqno === 0) return 'it has not caught up with the service yet';
      return { nodeId: state.node_id, state: String(state.state), rpcAddress };
    } catch (error) {
      return `GET https://${rpcAddress}/node/state failed: ${(error as Error).message}`;
    }
  }

  /** How the node ended: "was killed by SIGKILL", "exited with code 1"; only for a node that has exited. */
  howItExited(): string {
    const status = this.#status;
    assert(status !== undefined, `${this.files.name} is still running`);
    if (status.error !== undefined) return `could not be started (${status.error.message})`;
    return status.signal !== null ? `was killed by ${status.signal}` : `exited with code ${String(status.code)}`;
  }

  /** Why the node exited, with the end of its log; only for a node that has exited. */
  exitError(when: string): CliError {
    const tail = logTail(this.files.log);
    return new CliError(
      `${this.files.name} ${this.howItExited()} ${when}; ` +
        (tail === '' ? `its log ${this.displayPath(this.files.log)} is empty` : `the end of its log ${this.displayPath(this.files.log)}:\n${tail}`),
      1,
    );
  }

  /** SIGTERM, then SIGKILL if it has not exited after `killAfterMs`. Safe to call again. */
  async stop(killAfterMs: number): Promise<ExitStatus> {
    if (this.#status !== undefined) return this.#status;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), killAfterMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills at once: for a node that hangs, or an impatient second Ctrl-C. */
  kill(): void {
    if (this.#status === undefined) this.#child.kill('SIGKILL');
  }
}

/** Waits `ms`, or less if any of `wakers` settles first. */
async function pause(ms: number, ...wakers: Promise<unknown>[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), ...wakers]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last lines of a log file, reading at most its last few kilobytes. */
function logTail(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, LOG_TAIL_BYTES_MAX);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').trimEnd().split('\n');
    return lines.slice(-LOG_TAIL_LINES).map((line) => (line === '' ? '' : `  ${line}`)).join('\n');
  } finally {
    closeSync(fd);
  }
}
