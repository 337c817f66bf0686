// The sandbox's workspace directory: which directories it may use, how it recognises and
// clears its own earlier workspace, and the identities it makes there. It deletes only a
// directory that carries its marker file, so a mistyped --workspace never costs anyone
// their files.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CURVE } from '../crypto/keys.js';
import { CliError } from './cli-error.js';
import { keygen } from './keygen-command.js';

export const MARKER_FILE = '.coco-sandbox';

export const MEMBER_NAMES = ['member0', 'member1', 'member2'] as const;
export const USER_NAMES = ['user0'] as const;

export type WorkspaceState = 'created' | 'empty' | 'cleared';

/**
 * Makes `dir` ready for a new sandbox: creates it if missing, clears it if an earlier
 * sandbox made it, and refuses (exit 2, changing nothing) anything else. Then marks it.
 */
export function prepareWorkspace(dir: string, displayDir: string): WorkspaceState {
  const state = workspaceState(dir, displayDir);
  if (state === 'created') mkdirSync(dir, { recursive: true });
  if (state === 'cleared') {
    // The marker goes last: a clear interrupted half-way still leaves a directory the
    // next run recognises as its own.
    for (const entry of readdirSync(dir)) {
      if (entry !== MARKER_FILE) rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
  // Written before anything else, so even a run that fails part-way leaves a workspace
  // the next run may clear.
  writeFileSync(join(dir, MARKER_FILE), `${JSON.stringify({ made_by: 'coco sandbox', pid: process.pid })}\n`);
  return state;
}

function workspaceState(dir: string, displayDir: string): WorkspaceState {
  if (!existsSync(dir)) return 'created';
  if (!statSync(dir).isDirectory()) throw new CliError(`workspace ${displayDir} exists and is not a directory`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return 'empty';
  if (!entries.includes(MARKER_FILE)) {
    throw new CliError(
      `workspace ${displayDir} is not empty and was not made by coco sandbox (it has no ${MARKER_FILE} file); ` +
        'choose another --workspace or empty it yourself; nothing was changed',
    );
  }
  const pid = markerPid(join(dir, MARKER_FILE));
  if (pid !== undefined && pid !== process.pid && isRunning(pid)) {
    throw new CliError(
      `a sandbox (pid ${pid}) may still be running in ${displayDir}: stop it first ` +
        '(or, if that process is not a sandbox, delete the workspace yourself); nothing was changed',
    );
  }
  return 'cleared';
}

function markerPid(path: string): number | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const pid = (value as { pid?: unknown }).pid;
    return Number.isSafeInteger(pid) ? (pid as number) : undefined;
  } catch {
    // An unreadable marker still marks the directory as ours; it only lacks a pid to check.
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes the consortium's identities: members (with recovery-share keys) and users. */
export async function writeIdentities(dir: string, now: Date): Promise<void> {
  for (const name of MEMBER_NAMES) await keygen({ name, dir, curve: DEFAULT_CURVE, encryption: true, now });
  for (const name of USER_NAMES) await keygen({ name, dir, curve: DEFAULT_CURVE, encryption: false, now });
}
