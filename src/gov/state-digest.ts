// The state digest a member signs to become Active (CCF: /gov/members/state-digests):
// SHA-256 over the governed maps (governed-maps.ts) — the constitution, members, users,
// nodes, manifests and service record — in the store's canonical order. Signing it says
// "I accept the service as it is governed now". It reads every governed map, so it
// changes whenever governance does, and a member acknowledges the digest it was given.
import { sha256Hex } from '../crypto/hash.js';
import { u64be } from '../crypto/bytes.js';
import type { Transaction } from '../kv/transaction.js';
import { GOVERNED_MAPS } from './governed-maps.js';

export function governanceStateDigest(tx: Transaction): string {
  const parts: Buffer[] = [];
  const add = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    parts.push(u64be(bytes.length), bytes);
  };
  for (const name of GOVERNED_MAPS) {
    add(name);
    const entries = [...tx.map<unknown, unknown>(name).entries()];
    parts.push(u64be(entries.length));
    for (const [key, value] of entries) {
      add(JSON.stringify(key));
      add(JSON.stringify(value));
    }
  }
  return sha256Hex(Buffer.concat(parts));
}
