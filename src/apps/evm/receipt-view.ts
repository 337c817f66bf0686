// Receipts and logs as eth_getTransactionReceipt and eth_getLogs answer them (the
// Ethereum JSON-RPC specification's ReceiptInfo and Log), logs filtered by who may see
// them (visibility.ts). logsBloom covers the logs shown.
import { toData, toQuantity } from './hex.js';
import { logsBloom } from './logs-bloom.js';
import type { BlockRecord, LogRecord, TransactionRecord } from './state-maps.js';
import type { Visibility } from './visibility.js';

export function logView(record: TransactionRecord, hash: Uint8Array, block: BlockRecord, log: LogRecord, logIndex: number): Record<string, unknown> {
  return {
    address: toData(log[0]),
    topics: log[1].map(toData),
    data: toData(log[2]),
    blockNumber: toQuantity(block.number),
    blockHash: toData(block.hash),
    blockTimestamp: toQuantity(block.timestamp),
    transactionHash: toData(hash),
    transactionIndex: toQuantity(record.index),
    logIndex: toQuantity(logIndex),
    removed: false,
  };
}

export function receiptView(record: TransactionRecord, hash: Uint8Array, block: BlockRecord, visibility: Visibility): Record<string, unknown> {
  const shown = record.logs.map((log, index) => ({ log, index })).filter(({ log }) => visibility.log(record, log));
  return {
    transactionHash: toData(hash),
    transactionIndex: toQuantity(record.index),
    blockHash: toData(block.hash),
    blockNumber: toQuantity(block.number),
    from: toData(record.from),
    to: record.to === null ? null : toData(record.to),
    cumulativeGasUsed: toQuantity(record.cumulativeGasUsed),
    gasUsed: toQuantity(record.gasUsed),
    effectiveGasPrice: toQuantity(record.effectiveGasPrice),
    contractAddress: record.contractAddress === null ? null : toData(record.contractAddress),
    logs: shown.map(({ log, index }) => logView(record, hash, block, log, record.firstLogIndex + index)),
    logsBloom: toData(logsBloom(shown.map(({ log }) => log))),
    type: toQuantity(record.type),
    status: toQuantity(record.status),
  };
}
