// Runs an app's handler inside a transaction and re-runs it on conflict, as the primary
// does for every request (DESIGN.md, "One transaction, end to end", step 5). A handler
// that throws writes nothing; the error reaches the caller unchanged.
import { strict as assert } from 'node:assert';
import { transactionAttemptsMax } from '../limits.js';
import type { CommitResult } from './commit-result.js';
import { KvError } from './kv-error.js';
import type { Store } from './store.js';
import type { Transaction, TransactionOptions } from './transaction.js';

export interface RunTransactionOptions extends TransactionOptions {
  /** Attempts before giving up with KvError `ConflictRetriesExhausted`; default `transactionAttemptsMax`. */
  readonly attemptsMax?: number;
}

/** A run that did not conflict: 'committed' or 'read-only'. */
export type FinalCommitResult = Exclude<CommitResult, { status: 'conflict' }>;

export interface TransactionOutcome<T> {
  readonly result: T;
  readonly commit: FinalCommitResult;
}

function attemptsOf(options: RunTransactionOptions | undefined): number {
  const attempts = options?.attemptsMax ?? transactionAttemptsMax;
  assert(Number.isSafeInteger(attempts) && attempts >= 1, `attemptsMax must be a positive integer, not ${attempts}`);
  return attempts;
}

function exhausted(attempts: number): KvError {
  return new KvError('ConflictRetriesExhausted', `the transaction conflicted on all ${attempts} attempts; the data it reads is too contended`);
}

function abortIfOpen(tx: Transaction): void {
  if (tx.status === 'open') tx.abort();
}

/** Runs `body` in a fresh transaction until it commits without conflict. `body` must not commit or abort itself. */
export async function runTransaction<T>(
  store: Store,
  body: (tx: Transaction) => T | Promise<T>,
  options?: RunTransactionOptions,
): Promise<TransactionOutcome<T>> {
  const attempts = attemptsOf(options);
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const tx = store.begin(options);
    let result: T;
    try {
      result = await body(tx);
    } catch (error) {
      abortIfOpen(tx);
      throw error;
    }
    const commit = tx.commit();
    if (commit.status !== 'conflict') return { result, commit };
  }
  throw exhausted(attempts);
}

/** `runTransaction` for a synchronous body: no other commit can interleave with one attempt. */
export function runTransactionSync<T>(
  store: Store,
  body: (tx: Transaction) => T,
  options?: RunTransactionOptions,
): TransactionOutcome<T> {
  const attempts = attemptsOf(options);
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const tx = store.begin(options);
    let result: T;
    try {
      result = body(tx);
      assert(!(result instanceof Promise), 'runTransactionSync needs a synchronous body; use runTransaction');
    } catch (error) {
      abortIfOpen(tx);
      throw error;
    }
    const commit = tx.commit();
    if (commit.status !== 'conflict') return { result, commit };
  }
  throw exhausted(attempts);
}
