// The checks a transaction passes before it runs, as a client's transaction pool makes
// them, in geth's words: gas limit within the cap (EIP-7825) and above its intrinsic gas
// and calldata floor, fee cap at least the base fee, initcode within its limit
// (EIP-3860), sender an externally owned account (EIP-3607), nonce exactly the account's
// (Coco runs a transaction at once and keeps no queue, so a gap is refused, not held),
// and balance enough for gas limit × fee cap + value. A refused transaction changes
// nothing.
import { Capability } from '@ethereumjs/tx';
import { KECCAK256_NULL, equalsBytes } from '@ethereumjs/util';
import { transactionGasLimitMax } from './evm-limits.js';
import { gasBounds, minimumGas } from './intrinsic-gas.js';
import type { KvStateManager } from './kv-state-manager.js';
import type { EthMessage } from './message-runner.js';
import type { SignedTransaction } from './raw-transaction.js';
import { rejected } from './rpc-error.js';

/** EIP-3860: twice the EIP-170 code size limit. */
const INITCODE_BYTES_MAX = 49_152;

export async function checkTransaction(signed: SignedTransaction, state: KvStateManager, baseFeePerGas: bigint): Promise<EthMessage> {
  const { transaction: tx, sender } = signed;
  const from = sender.toString();
  const create = tx.to === undefined;
  if (tx.gasLimit > transactionGasLimitMax) throw rejected(`transaction gas limit too high (cap: ${transactionGasLimitMax}, tx: ${tx.gasLimit})`);
  const accessList = tx.supports(Capability.EIP2930AccessLists) ? (tx as unknown as { accessList: [Uint8Array, Uint8Array[]][] }).accessList : [];
  const bounds = gasBounds(tx.data, create, accessList);
  if (tx.gasLimit < minimumGas(bounds)) throw rejected(`intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${minimumGas(bounds)}`);
  if (create && tx.data.length > INITCODE_BYTES_MAX) throw rejected(`max initcode size exceeded: code size ${tx.data.length}, limit ${INITCODE_BYTES_MAX}`);

  const feeMarket = tx.supports(Capability.EIP1559FeeMarket);
  const feeCap = feeMarket ? (tx as unknown as { maxFeePerGas: bigint }).maxFeePerGas : (tx as unknown as { gasPrice: bigint }).gasPrice;
  if (feeCap < baseFeePerGas) throw rejected(`max fee per gas less than block base fee: address ${from}, maxFeePerGas: ${feeCap}, baseFee: ${baseFeePerGas}`);
  const tip = feeMarket ? (tx as unknown as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas : feeCap - baseFeePerGas;
  const priorityFeePerGas = tip < feeCap - baseFeePerGas ? tip : feeCap - baseFeePerGas;

  const account = await state.getAccount(sender);
  const nonce = account?.nonce ?? 0n;
  if (tx.nonce < nonce) throw rejected(`nonce too low: address ${from}, tx: ${tx.nonce} state: ${nonce}`);
  if (tx.nonce > nonce) throw rejected(`nonce too high: address ${from}, tx: ${tx.nonce} state: ${nonce} (Coco runs transactions at once and holds none back: send the missing nonces first)`);
  if (account !== undefined && !equalsBytes(account.codeHash, KECCAK256_NULL)) throw rejected(`sender not an eoa: address ${from}`);
  const balance = account?.balance ?? 0n;
  const cost = tx.gasLimit * feeCap + tx.value;
  if (balance < cost) throw rejected(`insufficient funds for gas * price + value: address ${from} have ${balance} want ${cost}`);

  return {
    from: sender,
    to: tx.to,
    value: tx.value,
    data: tx.data,
    gasLimit: tx.gasLimit,
    intrinsicGas: bounds.intrinsic,
    floorGas: bounds.floor,
    gasPrice: baseFeePerGas + priorityFeePerGas,
    priorityFeePerGas,
    accessList,
  };
}
