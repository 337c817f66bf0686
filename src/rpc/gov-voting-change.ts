// A governance request that changes which nodes vote in consensus (an accepted
// transition_node_to_trusted or remove_node) must leave a service that can still commit.
// The transaction carries the new configuration (src/gov/voting-nodes.ts), and from it on
// every commit needs a majority of the new voting nodes too (docs/consensus.md). A node
// trusted by the change does not run until its join is answered, and that answer waits
// for this commit; a removed node may be the one the rest needed. So, before the request
// commits, the primary checks that it reaches a majority of the new voting nodes
// (src/node/join-commit.ts, votingChangeQuorum); if not, it refuses the request, and the
// ballot (or proposal) is not recorded: the member sends it again once the nodes are back.
import { NODES_MAP, type NodeInfo } from '../gov/service-maps.js';
import type { Transaction } from '../kv/transaction.js';
import { votingChangeQuorum, type JoinCommitHost } from '../node/join-commit.js';
import { ApiError } from './api-error.js';

export type VotingHost = Pick<JoinCommitHost, 'nodeId' | 'reachablePeers'>;

/** The Trusted nodes as `tx` sees them, sorted. */
export function trustedNodes(tx: Transaction): string[] {
  const ids: string[] = [];
  tx.map<string, NodeInfo>(NODES_MAP).forEach((info, id) => {
    if (info.status === 'Trusted') ids.push(id);
  });
  return ids.sort();
}

/** Throws ServiceUnavailable if the Trusted nodes went from `before` to a set that could not commit. */
export function refuseStalledVotingChange(host: VotingHost, tx: Transaction, before: readonly string[]): void {
  const after = trustedNodes(tx);
  const quorum = votingChangeQuorum(host, before, after);
  if (quorum.kind !== 'short') return;
  throw new ApiError('ServiceUnavailable',
    `this request would change the voting nodes from ${before.length} to ${after.length}, and the primary reaches only ${quorum.reachable} of them, ` +
      `fewer than the ${quorum.needed} every commit would then need: the service would stall until a node that is not running came up. ` +
      'Nothing was recorded (not even this request); bring the unreachable nodes back, then send it again');
}
