// The KV store's public surface, for apps and the layers above.
export { KvError, isKvError, type KvErrorCode } from './kv-error.js';
export { isPrivateMap, isReservedMap, mapNameProblem, checkMapName } from './map-name.js';
export { jsonCodec, rawCodec, stringCodec, u64Codec, type Codec } from './codec.js';
export type { WriteSet, WriteSetMap, WriteSetWrite } from './write-set.js';
export type { CommitResult } from './commit-result.js';
export { Store, type StateDump } from './store.js';
export { Transaction, type TransactionOptions, type TransactionStatus } from './transaction.js';
export { TxMap } from './tx-map.js';
export { runTransaction, runTransactionSync, type RunTransactionOptions, type TransactionOutcome, type FinalCommitResult } from './run-transaction.js';
