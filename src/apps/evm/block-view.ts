// A block as eth_getBlockByNumber and eth_getBlockByHash answer (the Ethereum JSON-RPC
// specification's Block), with only the transactions the caller may see. Fields Coco has
// no use for are constant: no uncles, no withdrawals, no blobs, zero difficulty and
// nonce, and zero roots (docs/ethereum.md, "Blocks").
import type { Common } from '@ethereumjs/common';
import { toData, toQuantity } from './hex.js';
import { blockGasLimit } from './evm-limits.js';
import { logsBloom } from './logs-bloom.js';
import type { BlockRecord, LogRecord, TransactionRecord } from './state-maps.js';
import { transactionView } from './transaction-view.js';
import type { Visibility } from './visibility.js';

const ZERO_HASH = toData(new Uint8Array(32));
/** keccak256(rlp([])): the hash of an empty uncle list. */
const EMPTY_UNCLES_HASH = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';
/** keccak256(rlp('')): the root of an empty trie (no withdrawals). */
const EMPTY_TRIE_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

export interface BlockTransaction {
  readonly hash: Uint8Array;
  readonly record: TransactionRecord;
}

export function blockView(block: BlockRecord, transactions: readonly BlockTransaction[], full: boolean, baseFeePerGas: bigint, common: Common, visibility: Visibility): Record<string, unknown> {
  const shown = transactions.filter(({ record }) => visibility.transaction(record));
  const logs: LogRecord[] = [];
  for (const { record } of transactions) for (const log of record.logs) if (visibility.log(record, log)) logs.push(log);
  return {
    number: toQuantity(block.number),
    hash: toData(block.hash),
    parentHash: toData(block.parentHash),
    timestamp: toQuantity(block.timestamp),
    gasLimit: toQuantity(blockGasLimit),
    gasUsed: toQuantity(block.gasUsed),
    baseFeePerGas: toQuantity(baseFeePerGas),
    miner: toData(new Uint8Array(20)),
    difficulty: '0x0',
    nonce: '0x0000000000000000',
    mixHash: ZERO_HASH,
    extraData: '0x',
    logsBloom: toData(logsBloom(logs)),
    sha3Uncles: EMPTY_UNCLES_HASH,
    stateRoot: ZERO_HASH,
    transactionsRoot: ZERO_HASH,
    receiptsRoot: ZERO_HASH,
    withdrawalsRoot: EMPTY_TRIE_ROOT,
    withdrawals: [],
    blobGasUsed: '0x0',
    excessBlobGas: '0x0',
    parentBeaconBlockRoot: ZERO_HASH,
    size: '0x0',
    uncles: [],
    transactions: shown.map(({ hash, record }) => (full ? transactionView(record, hash, block, common) : toData(hash))),
  };
}
