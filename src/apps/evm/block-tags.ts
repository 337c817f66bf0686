// Block parameters (the Ethereum JSON-RPC specification's BlockNumberOrTag). Coco commits
// at once and never reorganises, so latest, pending, safe and finalized all name the
// newest block this node has; earliest is the genesis block. State is kept only as of
// the newest block: a state query for an older one is refused.
import { parseSmallQuantity } from './hex.js';
import { rejected } from './rpc-error.js';
import type { HeadRecord } from './state-maps.js';

const NEWEST = new Set(['latest', 'pending', 'safe', 'finalized']);

/** The block a tag or number names (which may not exist yet). */
export function blockNumberOf(tag: unknown, head: HeadRecord, name = 'block'): number {
  if (tag === undefined || (typeof tag === 'string' && NEWEST.has(tag))) return head.number;
  if (tag === 'earliest') return 0;
  return parseSmallQuantity(tag, `${name} (a block number or latest, pending, safe, finalized, earliest)`);
}

/** Refuses a state query about any block but the newest. */
export function requireNewestState(tag: unknown, head: HeadRecord): void {
  const number = blockNumberOf(tag, head);
  if (number !== head.number) throw rejected(`historical state is not available: Coco keeps the state as of the newest block (${head.number}) only, not of block ${number}`);
}
