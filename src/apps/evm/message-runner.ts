// Runs one Ethereum message (a transaction, or a call simulating one) on the EVM, doing
// what a client's runTx does around the EVM on Osaka and nothing more: buy the gas,
// bump the nonce, warm the sender, recipient, coinbase, precompiles and access list
// (EIP-2929, EIP-3651), run, refund (EIP-3529: at most a fifth), charge at least the
// calldata floor (EIP-7623), pay the priority fee to the coinbase, delete contracts
// destroyed in the transaction that created them (EIP-6780) and touched empty accounts
// (EIP-161). Checks that refuse a transaction happen before, in transaction-checks.ts.
import { strict as assert } from 'node:assert';
import type { EVM } from '@ethereumjs/evm';
import { Account, Address, bytesToUnprefixedHex } from '@ethereumjs/util';
import type { EvmBlock } from './blocks.js';
import type { AccessList } from './intrinsic-gas.js';
import type { KvStateManager } from './kv-state-manager.js';
import type { LogRecord } from './state-maps.js';

const REFUND_QUOTIENT = 5n;

export interface EthMessage {
  readonly from: Address;
  /** Undefined: create a contract from `data`. */
  readonly to: Address | undefined;
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly gasLimit: bigint;
  readonly intrinsicGas: bigint;
  readonly floorGas: bigint;
  /** What the sender pays per gas. */
  readonly gasPrice: bigint;
  /** What of that goes to the coinbase (the rest, the base fee, is burned). */
  readonly priorityFeePerGas: bigint;
  readonly accessList: AccessList;
}

export interface MessageOutcome {
  readonly status: 0 | 1;
  /** Gas charged, after refunds and the floor. */
  readonly gasUsed: bigint;
  readonly returnValue: Uint8Array;
  /** Why the EVM stopped, when status is 0 ('revert', 'out of gas', ...). */
  readonly error: string | undefined;
  readonly logs: readonly LogRecord[];
  readonly createdAddress: Uint8Array | undefined;
  /** Every contract the message created and left standing, nested creations included. */
  readonly contractsCreated: readonly Uint8Array[];
}

export interface MessageEnvironment {
  readonly evm: EVM;
  readonly state: KvStateManager;
  readonly block: EvmBlock;
}

export async function runMessage(environment: MessageEnvironment, message: EthMessage): Promise<MessageOutcome> {
  const { evm, state, block } = environment;
  assert(message.gasLimit >= message.intrinsicGas && message.gasLimit >= message.floorGas, 'the checks gave the message its minimum gas');
  evm.journal.cleanJournal();
  state.originalStorageCache.clear();
  warm(evm, message, block.header.coinbase);

  const sender = (await state.getAccount(message.from)) ?? new Account();
  assert(sender.balance >= message.gasLimit * message.gasPrice + message.value, 'the checks made sure the sender can pay');
  sender.balance -= message.gasLimit * message.gasPrice;
  sender.nonce += 1n;
  await evm.journal.putAccount(message.from, sender);

  const result = await evm.runCall({
    block,
    gasPrice: message.gasPrice,
    caller: message.from,
    origin: message.from,
    to: message.to,
    value: message.value,
    data: message.data,
    gasLimit: message.gasLimit - message.intrinsicGas,
    // Bumped above, before the call, as runTx does (CREATE addresses use nonce - 1).
    skipNonceIncrement: true,
  });
  const execution = result.execResult;
  let gasUsed = message.intrinsicGas + execution.executionGasUsed;
  const refund = execution.gasRefund ?? 0n;
  gasUsed -= refund < gasUsed / REFUND_QUOTIENT ? refund : gasUsed / REFUND_QUOTIENT;
  if (gasUsed < message.floorGas) gasUsed = message.floorGas;
  assert(gasUsed <= message.gasLimit, 'a message uses at most its gas limit');

  const refunded = (await state.getAccount(message.from)) ?? new Account();
  refunded.balance += (message.gasLimit - gasUsed) * message.gasPrice;
  await evm.journal.putAccount(message.from, refunded);
  const minerValue = gasUsed * message.priorityFeePerGas;
  if (minerValue > 0n) {
    const coinbase = (await state.getAccount(block.header.coinbase)) ?? new Account();
    coinbase.balance += minerValue;
    await evm.journal.putAccount(block.header.coinbase, coinbase);
  }
  const destroyed = new Set<string>();
  for (const address of execution.selfdestruct?.keys() ?? []) {
    if (execution.createdAddresses?.has(address) !== true) continue;
    destroyed.add(address);
    await evm.journal.deleteAccount(new Address(Buffer.from(address.slice(2), 'hex')));
  }
  await evm.journal.cleanup();

  const failed = execution.exceptionError !== undefined;
  return {
    status: failed ? 0 : 1,
    gasUsed,
    returnValue: execution.returnValue,
    error: execution.exceptionError?.error,
    logs: failed ? [] : (execution.logs ?? []).map(([address, topics, data]) => [address, topics, data] as const),
    createdAddress: message.to === undefined ? result.createdAddress?.bytes : undefined,
    contractsCreated: failed ? [] : [...(execution.createdAddresses ?? [])].filter((address) => !destroyed.has(address)).map((address) => Buffer.from(address.slice(2), 'hex')),
  };
}

function warm(evm: EVM, message: EthMessage, coinbase: Address): void {
  for (const address of evm.precompiles.keys()) evm.journal.addAlwaysWarmAddress(address);
  evm.journal.addAlwaysWarmAddress(bytesToUnprefixedHex(message.from.bytes));
  if (message.to !== undefined) evm.journal.addAlwaysWarmAddress(bytesToUnprefixedHex(message.to.bytes));
  evm.journal.addAlwaysWarmAddress(bytesToUnprefixedHex(coinbase.bytes));
  for (const [address, slots] of message.accessList) {
    const addressHex = bytesToUnprefixedHex(address);
    evm.journal.addAlwaysWarmAddress(addressHex);
    for (const slot of slots) evm.journal.addAlwaysWarmSlot(addressHex, bytesToUnprefixedHex(slot));
  }
}
