// Calls into the constitution and into ballots, each in a fresh sandbox, and checks what
// comes back, so the lifecycle deals only in typed results with clear messages. The
// constitution's interface is CCF's:
//
//   validate(proposal: string) → { valid: boolean, description?: string }   reads the KV
//   resolve(proposal: string, proposerId: string, votes: Vote[]) → "Open" | "Accepted" | "Rejected"   reads the KV
//   apply(proposal: string, proposalId: string) → anything   reads and writes the KV
//   ballot: vote(proposal: string, proposerId: string) → boolean   reads the KV
//
// `proposal` is the proposal's JSON text as submitted.
import type { Transaction } from '../kv/transaction.js';
import {
  ballotMemoryBytesMax,
  ballotStepsMax,
  constitutionMemoryBytesMax,
  constitutionStepsMax,
} from './governance-limits.js';
import type { JsSandbox, SandboxLimits } from './js-sandbox.js';
import { governanceHost } from './sandbox-host.js';
import { SandboxKv } from './sandbox-kv.js';

export const CONSTITUTION_FILENAME = 'constitution.js';
export const BALLOT_FILENAME = 'ballot.js';
export const CONSTITUTION_EXPORTS = ['validate', 'resolve', 'apply'] as const;
export const BALLOT_EXPORTS = ['vote'] as const;

export const constitutionLimits: SandboxLimits = { stepsMax: constitutionStepsMax, memoryBytesMax: constitutionMemoryBytesMax };
export const ballotLimits: SandboxLimits = { stepsMax: ballotStepsMax, memoryBytesMax: ballotMemoryBytesMax };

/** One member's vote, as resolve() receives it (CCF's shape). */
export interface Vote {
  readonly member_id: string;
  readonly vote: boolean;
}

export type Resolution = 'Open' | 'Accepted' | 'Rejected';

export interface Validation {
  readonly valid: boolean;
  readonly description: string;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

function refused(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

/** Whether `source` loads as a constitution: it parses and exports validate, resolve and apply. */
export function checkConstitution(sandbox: JsSandbox, source: string): Checked<undefined> {
  const outcome = sandbox.run({ source, filename: CONSTITUTION_FILENAME, requiredExports: CONSTITUTION_EXPORTS, limits: constitutionLimits, host: governanceHost(undefined) });
  return outcome.ok ? { ok: true, value: undefined } : refused(outcome.message);
}

/** Whether `source` loads as a ballot: it parses and exports vote. */
export function checkBallot(sandbox: JsSandbox, source: string): Checked<undefined> {
  const outcome = sandbox.run({ source, filename: BALLOT_FILENAME, requiredExports: BALLOT_EXPORTS, limits: ballotLimits, host: governanceHost(undefined) });
  return outcome.ok ? { ok: true, value: undefined } : refused(outcome.message);
}

export function runValidate(sandbox: JsSandbox, tx: Transaction, constitution: string, proposal: string): Checked<Validation> {
  const outcome = callConstitution(sandbox, new SandboxKv(tx, 'read'), constitution, 'validate', [proposal]);
  if (!outcome.ok) return outcome;
  const value = outcome.value as { valid?: unknown; description?: unknown } | null;
  if (typeof value !== 'object' || value === null || typeof value.valid !== 'boolean' || !(value.description === undefined || typeof value.description === 'string')) {
    return refused(`validate() returned ${describe(outcome.value)}, not { valid: boolean, description: string }`);
  }
  return { ok: true, value: { valid: value.valid, description: value.description ?? '' } };
}

export function runResolve(sandbox: JsSandbox, tx: Transaction, constitution: string, proposal: string, proposerId: string, votes: readonly Vote[]): Checked<Resolution> {
  const outcome = callConstitution(sandbox, new SandboxKv(tx, 'read'), constitution, 'resolve', [proposal, proposerId, votes]);
  if (!outcome.ok) return outcome;
  if (outcome.value !== 'Open' && outcome.value !== 'Accepted' && outcome.value !== 'Rejected') {
    return refused(`resolve() returned ${describe(outcome.value)}, not "Open", "Accepted" or "Rejected"`);
  }
  return { ok: true, value: outcome.value };
}

/** Runs apply(); on success the returned bridge holds its writes, not yet in `tx` (SandboxKv.flush). */
export function runApply(sandbox: JsSandbox, tx: Transaction, constitution: string, proposal: string, proposalId: string): Checked<SandboxKv> {
  const kv = new SandboxKv(tx, 'write');
  const outcome = callConstitution(sandbox, kv, constitution, 'apply', [proposal, proposalId]);
  return outcome.ok ? { ok: true, value: kv } : outcome;
}

export function runBallot(sandbox: JsSandbox, tx: Transaction, ballot: string, proposal: string, proposerId: string): Checked<boolean> {
  const outcome = sandbox.run({
    source: ballot,
    filename: BALLOT_FILENAME,
    requiredExports: BALLOT_EXPORTS,
    exportName: 'vote',
    args: [proposal, proposerId],
    limits: ballotLimits,
    host: governanceHost(new SandboxKv(tx, 'read')),
  });
  if (!outcome.ok) return refused(outcome.message);
  if (typeof outcome.value !== 'boolean') return refused(`vote() returned ${describe(outcome.value)}, not true or false`);
  return { ok: true, value: outcome.value };
}

function callConstitution(sandbox: JsSandbox, kv: SandboxKv, constitution: string, exportName: string, args: readonly unknown[]): Checked<unknown> {
  const outcome = sandbox.run({
    source: constitution,
    filename: CONSTITUTION_FILENAME,
    requiredExports: CONSTITUTION_EXPORTS,
    exportName,
    args,
    limits: constitutionLimits,
    host: governanceHost(kv),
  });
  return outcome.ok ? { ok: true, value: outcome.value } : refused(outcome.message);
}

/** A short rendering of a returned value for messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
