// Which nodes vote in consensus, as the nodes map says: every Trusted node. A
// transaction that writes the nodes map may change that set, and consensus must hear of
// the new configuration with the entry that makes it (docs/consensus.md).
import type { Store } from '../kv/store.js';
import type { WriteSet } from '../kv/write-set.js';
import { NODES_MAP, type NodeInfo } from './service-maps.js';

/** The ids of the Trusted nodes in the store's latest state, sorted. */
export function votingNodes(store: Store): string[] {
  const tx = store.begin();
  try {
    const ids: string[] = [];
    tx.map<string, NodeInfo>(NODES_MAP).forEach((info, id) => {
      if (info.status === 'Trusted') ids.push(id);
    });
    return ids.sort();
  } finally {
    tx.abort();
  }
}

/** The voting nodes after `writeSet`, just applied to `store`, if it wrote the nodes map. */
export function configurationChange(store: Store, writeSet: WriteSet): string[] | undefined {
  return writeSet.maps.some((map) => map.name === NODES_MAP) ? votingNodes(store) : undefined;
}
