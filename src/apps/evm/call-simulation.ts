// eth_call and eth_estimateGas: a call runs as a transaction would (message-runner.ts)
// on top of the newest state, and is then undone. As in geth, a call without a fee pays
// nothing and ignores the base fee, its sender may be any account (even a contract), and
// its nonce is not checked.
import { transactionGasLimitMax } from './evm-limits.js';
import type { CallRequest } from './call-request.js';
import type { RequestScope } from './evm-context.js';
import { gasBounds, minimumGas } from './intrinsic-gas.js';
import type { KvStateManager } from './kv-state-manager.js';
import type { MessageEnvironment, MessageOutcome } from './message-runner.js';
import { runMessage } from './message-runner.js';
import { rejected } from './rpc-error.js';

export interface Simulator {
  /** The call's outcome with `gasLimit` gas; the state is left as it was. */
  run(gasLimit: bigint): Promise<MessageOutcome>;
  readonly minimumGas: bigint;
  /** The most gas the sender can pay for (the cap when the call is free). */
  readonly gasAllowance: bigint;
}

interface Price {
  readonly gasPrice: bigint;
  readonly priorityFeePerGas: bigint;
}

function priceOf(call: CallRequest, baseFeePerGas: bigint): Price {
  if (call.maxFeePerGas !== undefined || call.maxPriorityFeePerGas !== undefined) {
    const feeCap = call.maxFeePerGas ?? baseFeePerGas + (call.maxPriorityFeePerGas ?? 0n);
    if (feeCap < baseFeePerGas) throw rejected(`max fee per gas less than block base fee: maxFeePerGas: ${feeCap}, baseFee: ${baseFeePerGas}`);
    const tip = call.maxPriorityFeePerGas ?? 0n;
    const priorityFeePerGas = tip < feeCap - baseFeePerGas ? tip : feeCap - baseFeePerGas;
    return { gasPrice: baseFeePerGas + priorityFeePerGas, priorityFeePerGas };
  }
  const gasPrice = call.gasPrice ?? 0n;
  if (gasPrice === 0n) return { gasPrice: 0n, priorityFeePerGas: 0n };
  if (gasPrice < baseFeePerGas) throw rejected(`gas price less than block base fee: gasPrice: ${gasPrice}, baseFee: ${baseFeePerGas}`);
  return { gasPrice, priorityFeePerGas: gasPrice - baseFeePerGas };
}

export async function withSimulator<T>(scope: RequestScope, call: CallRequest, work: (simulator: Simulator) => Promise<T>): Promise<T> {
  const price = priceOf(call, scope.context.settings.baseFeePerGas);
  const bounds = gasBounds(call.data, call.to === undefined, call.accessList);
  const state: KvStateManager = scope.newStateManager();
  const balance = (await state.getAccount(call.from))?.balance ?? 0n;
  if (balance < call.value) throw rejected(`insufficient funds for gas * price + value: address ${call.from.toString()} have ${balance} want ${call.value}`);
  const affordable = price.gasPrice === 0n ? transactionGasLimitMax : (balance - call.value) / price.gasPrice;
  const gasAllowance = affordable < transactionGasLimitMax ? affordable : transactionGasLimitMax;
  return scope.withEvm(state, (environment: MessageEnvironment) =>
    work({
      minimumGas: minimumGas(bounds),
      gasAllowance,
      run: async (gasLimit) => {
        if (gasLimit < minimumGas(bounds)) throw rejected(`intrinsic gas too low: gas ${gasLimit}, minimum needed ${minimumGas(bounds)}`);
        if (gasLimit > gasAllowance) throw rejected(`insufficient funds for gas * price + value: address ${call.from.toString()} have ${balance} want ${gasLimit * price.gasPrice + call.value}`);
        await state.checkpoint();
        try {
          return await runMessage(environment, {
            from: call.from,
            to: call.to,
            value: call.value,
            data: call.data,
            gasLimit,
            intrinsicGas: bounds.intrinsic,
            floorGas: bounds.floor,
            ...price,
            accessList: call.accessList,
          });
        } finally {
          await state.revert();
        }
      },
    }),
  );
}
