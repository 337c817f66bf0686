// The 2048-bit bloom filter of a receipt or block (Yellow Paper §4.3.1): for the address
// and each topic of each log, three bits taken from the low 11 bits of the first three
// byte pairs of its keccak256. Coco computes it when a receipt or block is read, not when
// a transaction runs: most are never asked for.
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { LogRecord } from './state-maps.js';

const BLOOM_BYTES = 256;

function add(bloom: Uint8Array, value: Uint8Array): void {
  const hash = keccak_256(value);
  for (let pair = 0; pair < 6; pair += 2) {
    const bit = (((hash[pair] as number) << 8) | (hash[pair + 1] as number)) & 2047;
    const index = BLOOM_BYTES - 1 - (bit >> 3);
    bloom[index] = (bloom[index] as number) | (1 << (bit & 7));
  }
}

export function logsBloom(logs: Iterable<LogRecord>): Uint8Array {
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const [address, topics] of logs) {
    add(bloom, address);
    for (const topic of topics) add(bloom, topic);
  }
  return bloom;
}
