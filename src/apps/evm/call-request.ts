// The transaction object of eth_call and eth_estimateGas (the specification's
// GenericTransaction): every field optional, as clients send them.
import { Address, createZeroAddress } from '@ethereumjs/util';
import { parseAddress, parseData, parseHash, parseQuantity } from './hex.js';
import type { AccessList } from './intrinsic-gas.js';
import { invalidParams } from './rpc-error.js';

export interface CallRequest {
  readonly from: Address;
  readonly to: Address | undefined;
  readonly data: Uint8Array;
  readonly value: bigint;
  readonly gas: bigint | undefined;
  readonly gasPrice: bigint | undefined;
  readonly maxFeePerGas: bigint | undefined;
  readonly maxPriorityFeePerGas: bigint | undefined;
  readonly accessList: AccessList;
}

const FIELDS = new Set(['from', 'to', 'data', 'input', 'value', 'gas', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'accessList', 'nonce', 'type', 'chainId']);

function optionalQuantity(value: unknown, name: string): bigint | undefined {
  return value === undefined || value === null ? undefined : parseQuantity(value, name);
}

export function parseCallRequest(value: unknown): CallRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidParams('the first param must be a transaction object');
  const call = value as Record<string, unknown>;
  for (const field of Object.keys(call)) if (!FIELDS.has(field)) throw invalidParams(`unknown transaction field ${JSON.stringify(field)}`);
  const input = call.input ?? call.data;
  if (call.input !== undefined && call.data !== undefined && call.input !== call.data) throw invalidParams('both "data" and "input" are set and differ; set one');
  if (call.gasPrice !== undefined && (call.maxFeePerGas !== undefined || call.maxPriorityFeePerGas !== undefined)) {
    throw invalidParams('both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) are set; set one kind');
  }
  return {
    from: call.from === undefined || call.from === null ? createZeroAddress() : new Address(parseAddress(call.from, 'from')),
    to: call.to === undefined || call.to === null ? undefined : new Address(parseAddress(call.to, 'to')),
    data: input === undefined || input === null ? new Uint8Array(0) : parseData(input, 'input'),
    value: optionalQuantity(call.value, 'value') ?? 0n,
    gas: optionalQuantity(call.gas, 'gas'),
    gasPrice: optionalQuantity(call.gasPrice, 'gasPrice'),
    maxFeePerGas: optionalQuantity(call.maxFeePerGas, 'maxFeePerGas'),
    maxPriorityFeePerGas: optionalQuantity(call.maxPriorityFeePerGas, 'maxPriorityFeePerGas'),
    accessList: parseAccessList(call.accessList),
  };
}

function parseAccessList(value: unknown): AccessList {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParams('accessList must be an array');
  return value.map((item: unknown, index) => {
    const entry = item as { address?: unknown; storageKeys?: unknown };
    if (typeof item !== 'object' || item === null || !Array.isArray(entry.storageKeys)) throw invalidParams(`accessList[${index}] must be {address, storageKeys}`);
    return [parseAddress(entry.address, `accessList[${index}].address`), entry.storageKeys.map((slot: unknown, slotIndex) => parseHash(slot, `accessList[${index}].storageKeys[${slotIndex}]`))] as const;
  });
}
