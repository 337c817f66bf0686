// Runs a handler inside a KV transaction as its endpoint's mode says, and stamps the
// reply with the transaction id (DESIGN.md, "One transaction, end to end", steps 4-5, 8).
// Read-only: one snapshot, never committed; the id is that of the state it read.
// Read-write: re-run on conflict up to `transactionAttemptsMax` times. This loop, not
// kv's runTransaction, because the host must hear of a commit in the same synchronous
// step as the commit itself (TransactionHost.committed): runTransaction hands its result
// back through an await, and another request's commit could slip in between, reaching
// the ledger out of order.
import { transactionAttemptsMax } from '../limits.js';
import type { Transaction } from '../kv/transaction.js';
import { formatTxId, type TransactionHost } from './endpoint.js';
import { ApiError } from './api-error.js';
import { handlerTransaction } from './handler-transaction.js';
import { TX_ID_HEADER, withHeader, type Reply } from './reply.js';

/** One run of the handler, its response rendered; throwing aborts the transaction. */
export type Attempt = (tx: Transaction) => Reply | Promise<Reply>;

function abortIfOpen(tx: Transaction): void {
  if (tx.status === 'open') tx.abort();
}

function refuseWrites(host: TransactionHost): void {
  const reason = host.writesRefused();
  if (reason !== undefined) throw new ApiError('ServiceUnavailable', `this node takes no writes now: ${reason}`);
}

/**
 * Stamps a reply with the id of the state it read. A store with no transaction yet (a
 * node that joined and has not caught up) read no transaction: no header, since 0.0 is
 * no transaction id (parseTxId, and so the client, refuses seqno 0).
 */
function withReadTxId(host: TransactionHost, reply: Reply, version: number): Reply {
  return version === 0 ? reply : withHeader(reply, TX_ID_HEADER, formatTxId(host.txIdAt(version)));
}

export async function runReadOnly(host: TransactionHost, attempt: Attempt): Promise<Reply> {
  const tx = host.store.begin();
  try {
    const reply = await attempt(handlerTransaction(tx, 'readonly'));
    return withReadTxId(host, reply, tx.readVersion);
  } finally {
    abortIfOpen(tx);
  }
}

export async function runReadWrite(host: TransactionHost, attempt: Attempt, options: { readonly privileged?: boolean } = {}): Promise<Reply> {
  for (let attemptIndex = 0; attemptIndex < transactionAttemptsMax; attemptIndex += 1) {
    refuseWrites(host);
    const tx = host.store.begin({ privileged: options.privileged === true });
    let reply: Reply;
    try {
      reply = await attempt(handlerTransaction(tx, 'readwrite'));
      // The node may have begun to stop while the handler awaited.
      refuseWrites(host);
    } catch (error) {
      abortIfOpen(tx);
      throw error;
    }
    // From commit to host.committed: synchronous, so commits reach the ledger in order.
    const commit = tx.commit();
    if (commit.status === 'committed') return withHeader(reply, TX_ID_HEADER, formatTxId(host.committed(commit.writeSet)));
    if (commit.status === 'read-only') return withReadTxId(host, reply, commit.version);
  }
  throw new ApiError('TransactionConflict', `the transaction conflicted with concurrent ones on all ${transactionAttemptsMax} attempts; nothing was written, try again`);
}
