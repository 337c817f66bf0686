// Which nodes vote, and what a majority is. Static for now: one set of nodes for the life
// of the network. This type is the seam for reconfiguration: joint consensus (Raft thesis
// §4.3, as CCF does it) would make a configuration `{ current, next? }` and require a
// majority of each. Not done yet.
import assert from 'node:assert/strict';

export interface Configuration {
  /** Every voting node, including this one. */
  readonly nodes: readonly string[];
}

export function makeConfiguration(nodes: readonly string[]): Configuration {
  assert(nodes.length > 0, 'a configuration needs at least one node');
  assert.equal(new Set(nodes).size, nodes.length, 'configuration lists a node twice');
  return { nodes: [...nodes] };
}

/** Smallest number of nodes that is a majority of the configuration. */
export function quorumSize(configuration: Configuration): number {
  return Math.floor(configuration.nodes.length / 2) + 1;
}

/** Whether the nodes for which `agrees` holds make a majority. */
export function hasQuorum(configuration: Configuration, agrees: (node: string) => boolean): boolean {
  return configuration.nodes.filter(agrees).length >= quorumSize(configuration);
}
