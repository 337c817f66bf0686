// A transaction as eth_getTransactionByHash and full blocks show it (the Ethereum
// JSON-RPC specification's TransactionInfo), decoded again from the signed bytes kept.
import type { Common } from '@ethereumjs/common';
import { Capability, TransactionType, createTxFromRLP } from '@ethereumjs/tx';
import { toData, toQuantity } from './hex.js';
import type { BlockRecord, TransactionRecord } from './state-maps.js';

export function transactionView(record: TransactionRecord, hash: Uint8Array, block: BlockRecord, common: Common): Record<string, unknown> {
  const tx = createTxFromRLP(record.raw, { common });
  const fields = tx as unknown as { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint; accessList?: [Uint8Array, Uint8Array[]][] };
  const view: Record<string, unknown> = {
    blockHash: toData(block.hash),
    blockNumber: toQuantity(block.number),
    transactionIndex: toQuantity(record.index),
    hash: toData(hash),
    type: toQuantity(tx.type),
    from: toData(record.from),
    to: tx.to === undefined ? null : toData(tx.to.bytes),
    nonce: toQuantity(tx.nonce),
    gas: toQuantity(tx.gasLimit),
    value: toQuantity(tx.value),
    input: toData(tx.data),
    // What the sender paid per gas, as clients report it for mined transactions.
    gasPrice: toQuantity(record.effectiveGasPrice),
    chainId: toQuantity(common.chainId()),
    v: toQuantity(tx.v ?? 0n),
    r: toQuantity(tx.r ?? 0n),
    s: toQuantity(tx.s ?? 0n),
  };
  if (tx.type !== TransactionType.Legacy) view.yParity = toQuantity(tx.v ?? 0n);
  if (tx.supports(Capability.EIP1559FeeMarket)) {
    view.maxFeePerGas = toQuantity(fields.maxFeePerGas ?? 0n);
    view.maxPriorityFeePerGas = toQuantity(fields.maxPriorityFeePerGas ?? 0n);
  }
  if (tx.supports(Capability.EIP2930AccessLists)) {
    view.accessList = (fields.accessList ?? []).map(([address, slots]) => ({ address: toData(address), storageKeys: slots.map(toData) }));
  }
  return view;
}
