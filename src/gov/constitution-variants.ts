// The whitepaper's other voting policies ("unanimous, M of N, ... vote submission could
// be automated so that every member could add a specified number of VNs, provided that
// the VNs are running majority-endorsed code"), each a resolve() part for
// composeConstitution. Propose one with set_constitution; the proposal is resolved under
// the old rule, and the next one follows the new rule.
import { composeConstitution } from './default-constitution.js';

/** Every Active member must accept; any rejection rejects. */
export const UNANIMITY_RESOLVE = String.raw`
export function resolve(proposal, proposerId, votes) {
  const count = tally(votes);
  if (count.active > 0 && count.yes === count.active) return "Accepted";
  if (count.no > 0) return "Rejected";
  return "Open";
}
`;

/** `m` acceptances from Active members accept; rejected once `m` can no longer be reached. */
export function mOfNResolve(m: number): string {
  if (!Number.isSafeInteger(m) || m < 1) throw new RangeError(`M of N needs a positive integer M, not ${m}`);
  return String.raw`
const ACCEPTANCES_NEEDED = ${m};

export function resolve(proposal, proposerId, votes) {
  const count = tally(votes);
  if (count.yes >= ACCEPTANCES_NEEDED) return "Accepted";
  if (count.active - count.no < ACCEPTANCES_NEEDED) return "Rejected";
  return "Open";
}
`;
}

/**
 * A member may trust up to `k` joining nodes without a vote, when each runs code and a
 * platform the manifests approve (which members approved by majority); every other
 * proposal, and any beyond `k`, follows the strict majority. A node trusted this way is
 * one whose proposal was accepted with no votes at all: resolve() counts them in the
 * proposal records, so no other state is kept.
 */
export function automaticNodesResolve(k: number): string {
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`the automatic policy needs a non-negative number of nodes, not ${k}`);
  return String.raw`
const AUTOMATIC_NODES_PER_MEMBER = ${k};

function isApprovedNodeTrust(action) {
  if (action.name !== "transition_node_to_trusted") return false;
  const node = coco.kv.get(NODES, action.args.node_id);
  if (node === undefined || node.status !== "Pending") return false;
  const platform = coco.kv.get(TEE_PLATFORMS, node.platform);
  const code = coco.kv.get(CODE_IDS, node.measurement);
  return platform !== undefined && platform.status === "Allowed"
    && code !== undefined && code.status === "AllowedToJoin" && code.platform === node.platform;
}

function nodesTrustedWithoutVote(proposerId) {
  let count = 0;
  for (const entry of coco.kv.entries(PROPOSALS_INFO)) {
    const info = entry[1];
    if (info.proposer_id !== proposerId || info.state !== "Accepted") continue;
    if (info.final_votes === undefined || Object.keys(info.final_votes).length !== 0) continue;
    const actions = JSON.parse(coco.kv.get(PROPOSALS, entry[0])).actions;
    count += actions.filter((action) => action.name === "transition_node_to_trusted").length;
  }
  return count;
}

export function resolve(proposal, proposerId, votes) {
  const actions = JSON.parse(proposal).actions;
  if (votes.length === 0 && actions.every(isApprovedNodeTrust)
      && nodesTrustedWithoutVote(proposerId) + actions.length <= AUTOMATIC_NODES_PER_MEMBER) {
    return "Accepted";
  }
  return strictMajority(votes);
}
`;
}

export const UNANIMITY_CONSTITUTION = composeConstitution(UNANIMITY_RESOLVE);

export function mOfNConstitution(m: number): string {
  return composeConstitution(mOfNResolve(m));
}

export function automaticNodesConstitution(k: number): string {
  return composeConstitution(automaticNodesResolve(k));
}
