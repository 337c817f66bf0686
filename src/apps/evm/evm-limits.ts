// Every named maximum of the EVM app, in one place, units in the names (STYLE.md §6).

/** Items in one JSON-RPC batch (geth's default batch limit). */
export const jsonRpcBatchItemsMax = 1_000;
/** Ethereum transactions waiting for their turn on the primary; more are refused with -32005. */
export const writesWaitingMax = 10_000;
/** Blocks one eth_getLogs or eth_feeHistory may span. */
export const logsBlockRangeMax = 10_000;
/** Logs one eth_getLogs may return. */
export const logsResultsMax = 10_000;
/** Blocks eth_feeHistory reports at most (geth's limit). */
export const feeHistoryBlocksMax = 1_024;
/** Gas limit of a block, and the default gas of eth_call and eth_estimateGas. */
export const blockGasLimit = 30_000_000n;
/** A transaction's gas limit cap (EIP-7825, Osaka): 2^24. */
export const transactionGasLimitMax = 16_777_216n;
/** Idle EVM instances kept for reuse (one runs per concurrent request). */
export const evmPoolIdleMax = 8;
/** Contract code kept decoded in memory across requests, by code hash. */
export const codeCacheEntriesMax = 1_024;
/** Readers a contract's deployer may name (coco_setContractReaders). */
export const contractReadersMax = 100;
/** Blocks handed their turn within one event-loop turn before I/O is let in (write-turns.ts). */
export const turnsPerEventLoopTurnMax = 16;
