// POST /node/join: a new node asks to join (docs/operations.md). It runs on the primary
// (a backup forwards it, as any write) and answers only once the join can no longer be
// rolled back (src/node/join-commit.ts): the answer hands a Trusted node the service key
// and the ledger secret. Once the service is open a new node is recorded Pending and told
// so, without secrets; it keeps asking, and once members trust it by proposal, the
// answer to its next request carries the secrets, as soon as that state has committed. A join that does not settle in time gets a 503 saying to ask
// again with the same key, and asking again is answered from the record (idempotent).
//
// Why the handler commits a transaction of its own: the transaction the server hands a
// handler commits only after the handler returns, too late to wait for. So this handler
// leaves that one unused and records the join in a transaction it commits itself, by
// the same rules as endpoint-transaction.ts (writes refused, conflicts run again, commit
// and host.committed in one synchronous step). The server's transaction then commits
// read-only; if the wait let the commit seqno pass the snapshot it read, that commit
// conflicts and the server runs the handler again, which finds the join recorded and
// settled (remembered below) and answers at once.
import assert from 'node:assert/strict';
import type { LedgerSecret } from '../ledger/ledger-secret.js';
import { forwardTimeoutMs, joinCommitTimeoutMs, settledJoinsRememberedMax, transactionAttemptsMax } from '../limits.js';
import { joinQuorum, settleJoin, type JoinCommitHost } from '../node/join-commit.js';
import { admitNode, joinResponse, JoinRefused, type Admission, type JoinRequest } from '../node/join-admission.js';
import type { ServiceIdentity } from '../node/service-identity.js';
import { ApiError } from './api-error.js';
import { anyCertAuth } from './auth-policies.js';
import { formatTxId, type Endpoint, type JsonSchema, type TransactionHost, type TxId } from './endpoint.js';

assert(joinCommitTimeoutMs < forwardTimeoutMs, 'a forwarded join must be answered before the backup gives up on it');

const ADDRESS_SCHEMA: JsonSchema = { type: 'string', pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$' };

const JOIN_REQUEST_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['certificate_signing_request', 'rpc_address', 'node_to_node_address', 'attestation'],
  properties: {
    certificate_signing_request: { type: 'string', minLength: 1, maxLength: 16384 },
    rpc_address: ADDRESS_SCHEMA,
    node_to_node_address: ADDRESS_SCHEMA,
    attestation: { type: 'object' },
  },
};

/** What the endpoint needs of the node: CocoNode. */
export interface JoinHost extends TransactionHost, JoinCommitHost {
  readonly service: ServiceIdentity;
  readonly ledgerSecret: LedgerSecret;
}

export function joinEndpoint(host: JoinHost, options: { readonly commitTimeoutMs?: number } = {}): Endpoint {
  const commitTimeoutMs = options.commitTimeoutMs ?? joinCommitTimeoutMs;
  assert(Number.isSafeInteger(commitTimeoutMs) && commitTimeoutMs > 0, 'commitTimeoutMs is a positive number of milliseconds');
  /**
   * Node id → a transaction whose state holds its Trusted record, known Committed. Only
   * Trusted answers are remembered: a Pending node's later answer may be Trusted (members
   * trusted it), and that answer, with the secrets, waits for the commit of its own state.
   */
  const settledJoins = new Map<string, TxId>();
  return {
    method: 'POST',
    path: '/node/join',
    mode: 'readwrite',
    privileged: true,
    auth: [anyCertAuth],
    summary: 'A new node asks to join: certificate signing request and attestation, over TLS with the same key; answered once the join commits',
    requestSchema: JOIN_REQUEST_SCHEMA,
    handler: async ({ body, request }) => {
      const { admission, proof } = await recordJoin(host, body as JoinRequest, request.peerCertificate);
      const trusted = admission.info.status === 'Trusted';
      const remembered = trusted ? settledJoins.get(admission.nodeId) : undefined;
      if (remembered === undefined || host.txStatus(remembered) !== 'Committed') {
        const alone = trusted && joinQuorum(host, admission.others.map((peer) => peer.node_id)).kind === 'alone';
        const settled = await settleJoin(host, proof, alone, commitTimeoutMs);
        if (!settled.ok) {
          throw new ApiError('ServiceUnavailable',
            `the join of node ${admission.nodeId} (transaction ${formatTxId(proof)}) is not settled: ${settled.detail}. ` +
              'Nothing secret was sent; ask again with the same key and the answer comes once the join commits');
        }
        if (trusted && settled.how === 'committed') remember(settledJoins, admission.nodeId, proof);
      }
      return { body: joinResponse(admission, host) };
    },
  };
}

/**
 * Records the node (or finds it recorded by an earlier attempt) in a transaction of its
 * own. Returns the admission and the id of a transaction whose state holds the record:
 * the join's own, or, when nothing was written, the one whose state was read.
 */
async function recordJoin(host: JoinHost, request: JoinRequest, callerCertificate: Buffer | undefined): Promise<{ admission: Admission; proof: TxId }> {
  for (let attempt = 0; attempt < transactionAttemptsMax; attempt += 1) {
    refuseWrites(host);
    const tx = host.store.begin({ privileged: true });
    let admission: Admission;
    try {
      admission = await admitNode(tx, request, callerCertificate, { service: host.service, now: new Date() });
      // This node may have stopped being primary while the certificate was endorsed.
      refuseWrites(host);
      if (admission.recordedNow && admission.info.status === 'Trusted') refuseShortQuorum(host, admission);
    } catch (error) {
      if (tx.status === 'open') tx.abort();
      if (error instanceof JoinRefused) throw new ApiError(error.code, error.message);
      throw error;
    }
    // From the checks above to host.committed: synchronous, so nothing changes in between.
    const commit = tx.commit();
    if (commit.status === 'committed') return { admission, proof: host.committed(commit.writeSet) };
    if (commit.status === 'read-only') return { admission, proof: host.txIdAt(commit.version) };
  }
  throw new ApiError('TransactionConflict', `the join conflicted with concurrent transactions on all ${transactionAttemptsMax} attempts; nothing was recorded, try again`);
}

function refuseWrites(host: JoinHost): void {
  const reason = host.writesRefused();
  if (reason !== undefined) throw new ApiError('ServiceUnavailable', `this node takes no writes now: ${reason}; nothing was recorded, try again`);
}

function refuseShortQuorum(host: JoinHost, admission: Admission): void {
  const quorum = joinQuorum(host, admission.others.map((peer) => peer.node_id));
  if (quorum.kind !== 'short') return;
  throw new ApiError('ServiceUnavailable',
    `node ${admission.nodeId} cannot join now: the primary reaches ${quorum.reachable} of the ${quorum.voters} voting nodes, and with the new node ` +
      `a commit would need ${quorum.needed}, so the join could commit only once the new node runs, which needs this answer. ` +
      'Nothing was recorded; bring the unreachable nodes back, then ask again');
}

function remember(settled: Map<string, TxId>, nodeId: string, proof: TxId): void {
  settled.delete(nodeId);
  settled.set(nodeId, proof);
  // Oldest first: a Map keeps insertion order.
  for (const oldest of settled.keys()) {
    if (settled.size <= settledJoinsRememberedMax) break;
    settled.delete(oldest);
  }
}
