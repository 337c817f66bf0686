// eth_getLogs: the logs of a block range (or one block, by hash) that match an address
// set and topic filters, and that the caller may see (visibility.ts). Topic filters are
// positional: null matches anything, a topic matches itself, an array matches any of its
// topics. The range and the answer are bounded (evm-limits.ts).
import { bytesKey } from './byte-keys.js';
import { blockNumberOf } from './block-tags.js';
import { blockNumberByHash, readBlock } from './blocks.js';
import type { RequestScope } from './evm-context.js';
import { logsBlockRangeMax, logsResultsMax } from './evm-limits.js';
import { parseAddress, parseHash } from './hex.js';
import { logView } from './receipt-view.js';
import { invalidParams, JSON_RPC_ERROR_CODES, JsonRpcError } from './rpc-error.js';
import type { BlockRecord, LogRecord } from './state-maps.js';

interface LogFilter {
  readonly from: number;
  readonly to: number;
  /** Address keys; empty matches any address. */
  readonly addresses: ReadonlySet<string>;
  /** Per position: the topic keys it takes, or null for any. */
  readonly topics: readonly (ReadonlySet<string> | null)[];
}

const FIELDS = new Set(['fromBlock', 'toBlock', 'address', 'topics', 'blockHash']);

function parseFilter(scope: RequestScope, value: unknown): LogFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParams('eth_getLogs takes a filter object');
  const filter = value as Record<string, unknown>;
  for (const field of Object.keys(filter)) if (!FIELDS.has(field)) throw invalidParams(`unknown filter field ${JSON.stringify(field)}`);
  const addressList = filter.address === undefined || filter.address === null ? [] : Array.isArray(filter.address) ? filter.address : [filter.address];
  const addresses = new Set(addressList.map((address: unknown, index) => bytesKey(parseAddress(address, `address[${index}]`))));
  const topicList = filter.topics ?? [];
  if (!Array.isArray(topicList) || topicList.length > 4) throw invalidParams('topics must be an array of at most 4 entries');
  const topics = topicList.map((topic: unknown, index) => {
    if (topic === null) return null;
    const options = Array.isArray(topic) ? topic : [topic];
    return new Set(options.map((option: unknown) => bytesKey(parseHash(option, `topics[${index}]`))));
  });
  if (filter.blockHash !== undefined) {
    if (filter.fromBlock !== undefined || filter.toBlock !== undefined) throw invalidParams('a filter takes blockHash or fromBlock/toBlock, not both');
    const number = blockNumberByHash(scope, parseHash(filter.blockHash, 'blockHash'));
    if (number === undefined) throw new JsonRpcError(JSON_RPC_ERROR_CODES.serverError, 'unknown block');
    return { from: number, to: number, addresses, topics };
  }
  const from = blockNumberOf(filter.fromBlock, scope.head, 'fromBlock');
  const to = Math.min(blockNumberOf(filter.toBlock, scope.head, 'toBlock'), scope.head.number);
  if (from > to && from <= scope.head.number) throw invalidParams(`fromBlock ${from} is after toBlock ${to}`);
  if (to - from + 1 > logsBlockRangeMax) throw new JsonRpcError(JSON_RPC_ERROR_CODES.limitExceeded, `a query may span at most ${logsBlockRangeMax} blocks, not ${to - from + 1}`);
  return { from, to, addresses, topics };
}

function matches(filter: LogFilter, log: LogRecord): boolean {
  if (filter.addresses.size > 0 && !filter.addresses.has(bytesKey(log[0]))) return false;
  return filter.topics.every((wanted, index) => {
    if (wanted === null) return true;
    const topic = log[1][index];
    return topic !== undefined && wanted.has(bytesKey(topic));
  });
}

export function getLogs(scope: RequestScope, filterParam: unknown): Record<string, unknown>[] {
  const filter = parseFilter(scope, filterParam);
  const found: Record<string, unknown>[] = [];
  for (let number = filter.from; number <= filter.to; number += 1) {
    const block: BlockRecord | undefined = readBlock(scope.maps, number, scope.context.settings.genesisBlock);
    for (const hash of block?.transactions ?? []) {
      const record = scope.maps.transactions.get(hash);
      if (record === undefined || block === undefined) continue;
      record.logs.forEach((log, index) => {
        if (!matches(filter, log) || !scope.visibility.log(record, log)) return;
        if (found.length >= logsResultsMax) throw new JsonRpcError(JSON_RPC_ERROR_CODES.limitExceeded, `the query matches more than ${logsResultsMax} logs: narrow its block range or filters`);
        found.push(logView(record, hash, block, log, record.firstLogIndex + index));
      });
    }
  }
  return found;
}
