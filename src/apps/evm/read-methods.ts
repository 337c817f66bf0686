// The JSON-RPC methods that read: chain and node facts, state (as of the newest block),
// calls and gas estimates (run and undone), fees, transactions, receipts, blocks and
// logs. Each takes the request's scope and its positional params.
import { Address, setLengthLeft, bigIntToBytes } from '@ethereumjs/util';
import { blockNumberOf, requireNewestState } from './block-tags.js';
import { blockNumberByHash, readBlock } from './blocks.js';
import type { BlockTransaction } from './block-view.js';
import { blockView } from './block-view.js';
import { parseCallRequest } from './call-request.js';
import { withSimulator } from './call-simulation.js';
import type { RequestScope } from './evm-context.js';
import { blockGasLimit, feeHistoryBlocksMax } from './evm-limits.js';
import { estimateGas } from './gas-estimator.js';
import { parseAddress, parseHash, parseQuantity, parseSmallQuantity, toData, toQuantity } from './hex.js';
import { getLogs } from './logs-query.js';
import { receiptView } from './receipt-view.js';
import { revertReason } from './revert-reason.js';
import { invalidParams, JSON_RPC_ERROR_CODES, JsonRpcError, rejected } from './rpc-error.js';
import type { BlockRecord } from './state-maps.js';
import { transactionView } from './transaction-view.js';

export type MethodHandler = (scope: RequestScope, params: readonly unknown[]) => unknown;

export const CLIENT_VERSION = 'Coco/evm/osaka';

function arity(params: readonly unknown[], min: number, max: number, usage: string): void {
  if (params.length < min || params.length > max) throw invalidParams(`expected params ${usage}, got ${params.length} param(s)`);
}

async function account(scope: RequestScope, params: readonly unknown[], usage: string) {
  arity(params, 1, 2, usage);
  const address = new Address(parseAddress(params[0], 'address'));
  requireNewestState(params[1], scope.head);
  return { address, state: scope.newStateManager() };
}

function fullFlag(value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidParams('the second param must be true (full transactions) or false (hashes)');
  return value;
}

function renderBlock(scope: RequestScope, block: BlockRecord | undefined, full: boolean): Record<string, unknown> | null {
  if (block === undefined) return null;
  const transactions: BlockTransaction[] = [];
  for (const hash of block.transactions) {
    const record = scope.maps.transactions.get(hash);
    if (record !== undefined) transactions.push({ hash, record });
  }
  return blockView(block, transactions, full, scope.context.settings.baseFeePerGas, scope.context.common, scope.visibility);
}

/** The transaction with `hash` and its block, if it exists and the caller may see it. */
function visibleTransaction(scope: RequestScope, params: readonly unknown[]) {
  arity(params, 1, 1, '[transactionHash]');
  const hash = parseHash(params[0], 'transactionHash');
  const record = scope.maps.transactions.get(hash);
  if (record === undefined || !scope.visibility.transaction(record)) return undefined;
  const block = readBlock(scope.maps, record.block, scope.context.settings.genesisBlock);
  if (block === undefined) throw new Error(`transaction ${toData(hash)} names block ${record.block}, which is missing`);
  return { hash, record, block };
}

function callError(status: 0 | 1, error: string | undefined, returnValue: Uint8Array): JsonRpcError | undefined {
  if (status === 1) return undefined;
  if (error === 'revert') {
    const reason = revertReason(returnValue);
    return new JsonRpcError(JSON_RPC_ERROR_CODES.executionReverted, reason === undefined ? 'execution reverted' : `execution reverted: ${reason}`, toData(returnValue));
  }
  return rejected(error ?? 'execution failed');
}

export const READ_METHODS: ReadonlyMap<string, MethodHandler> = new Map<string, MethodHandler>([
  ['web3_clientVersion', () => CLIENT_VERSION],
  ['net_version', (scope) => scope.context.settings.chainId.toString()],
  ['eth_chainId', (scope) => toQuantity(scope.context.settings.chainId)],
  ['eth_blockNumber', (scope) => toQuantity(scope.head.number)],
  ['eth_gasPrice', (scope) => toQuantity(scope.context.settings.baseFeePerGas)],
  ['eth_maxPriorityFeePerGas', () => '0x0'],
  ['eth_getBalance', async (scope, params) => {
    const { address, state } = await account(scope, params, '[address, block]');
    return toQuantity((await state.getAccount(address))?.balance ?? 0n);
  }],
  ['eth_getTransactionCount', async (scope, params) => {
    const { address, state } = await account(scope, params, '[address, block]');
    return toQuantity((await state.getAccount(address))?.nonce ?? 0n);
  }],
  ['eth_getCode', async (scope, params) => {
    const { address, state } = await account(scope, params, '[address, block]');
    return toData(await state.getCode(address));
  }],
  ['eth_getStorageAt', async (scope, params) => {
    arity(params, 2, 3, '[address, slot, block]');
    const { address, state } = await account(scope, [params[0], params[2]], '[address, slot, block]');
    const slot = setLengthLeft(bigIntToBytes(parseQuantity(params[1], 'slot')), 32);
    return toData(setLengthLeft(await state.getStorage(address, slot), 32));
  }],
  ['eth_call', async (scope, params) => {
    arity(params, 1, 2, '[transaction, block] (state overrides are not supported)');
    requireNewestState(params[1], scope.head);
    const call = parseCallRequest(params[0]);
    const ran = await withSimulator(scope, call, (simulator) => simulator.run(call.gas ?? simulator.gasAllowance));
    const error = callError(ran.status, ran.error, ran.returnValue);
    if (error !== undefined) throw error;
    return toData(ran.returnValue);
  }],
  ['eth_estimateGas', async (scope, params) => {
    arity(params, 1, 2, '[transaction, block]');
    requireNewestState(params[1], scope.head);
    const call = parseCallRequest(params[0]);
    return toQuantity(await withSimulator(scope, call, (simulator) => estimateGas(simulator, call.gas, callError)));
  }],
  ['eth_feeHistory', (scope, params) => {
    arity(params, 2, 3, '[blockCount, newestBlock, rewardPercentiles]');
    const count = typeof params[0] === 'number' ? params[0] : parseSmallQuantity(params[0], 'blockCount');
    if (!Number.isSafeInteger(count) || count < 1 || count > feeHistoryBlocksMax) throw invalidParams(`blockCount must be 1 to ${feeHistoryBlocksMax}`);
    const newest = Math.min(blockNumberOf(params[1], scope.head, 'newestBlock'), scope.head.number);
    const percentiles = params[2] ?? [];
    if (!Array.isArray(percentiles) || percentiles.some((p) => typeof p !== 'number' || p < 0 || p > 100)) throw invalidParams('rewardPercentiles must be numbers from 0 to 100');
    const oldest = Math.max(0, newest - count + 1);
    const baseFee = toQuantity(scope.context.settings.baseFeePerGas);
    const blocks = Array.from({ length: newest - oldest + 1 }, (_, index) => readBlock(scope.maps, oldest + index, scope.context.settings.genesisBlock));
    return {
      oldestBlock: toQuantity(oldest),
      baseFeePerGas: [...blocks.map(() => baseFee), baseFee],
      gasUsedRatio: blocks.map((block) => (block?.gasUsed ?? 0) / Number(blockGasLimit)),
      ...(params[2] === undefined ? {} : { reward: blocks.map(() => percentiles.map(() => '0x0')) }),
    };
  }],
  ['eth_getTransactionByHash', (scope, params) => {
    const found = visibleTransaction(scope, params);
    return found === undefined ? null : transactionView(found.record, found.hash, found.block, scope.context.common);
  }],
  ['eth_getTransactionReceipt', (scope, params) => {
    const found = visibleTransaction(scope, params);
    return found === undefined ? null : receiptView(found.record, found.hash, found.block, scope.visibility);
  }],
  ['eth_getBlockByNumber', (scope, params) => {
    arity(params, 2, 2, '[block, fullTransactions]');
    const number = blockNumberOf(params[0], scope.head);
    return renderBlock(scope, readBlock(scope.maps, number, scope.context.settings.genesisBlock), fullFlag(params[1]));
  }],
  ['eth_getBlockByHash', (scope, params) => {
    arity(params, 2, 2, '[blockHash, fullTransactions]');
    const number = blockNumberByHash(scope, parseHash(params[0], 'blockHash'));
    const full = fullFlag(params[1]);
    return number === undefined ? null : renderBlock(scope, readBlock(scope.maps, number, scope.context.settings.genesisBlock), full);
  }],
  ['eth_getLogs', (scope, params) => {
    arity(params, 1, 1, '[filter]');
    return getLogs(scope, params[0]);
  }],
]);
