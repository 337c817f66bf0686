// The hex forms of Ethereum JSON-RPC (ethereum.org "JSON-RPC API", hex encoding):
// QUANTITY is a 0x-prefixed number without leading zeros, DATA 0x-prefixed bytes. Parsers
// check what clients send and throw -32602 naming the parameter.
import { invalidParams } from './rpc-error.js';

const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const DATA = /^0x(?:[0-9a-fA-F]{2})*$/;

export function toQuantity(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}

export function toData(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** A QUANTITY up to 2^256 - 1. Leading zeros are tolerated: some clients send them. */
export function parseQuantity(value: unknown, name: string): bigint {
  if (typeof value !== 'string' || !QUANTITY.test(value)) throw invalidParams(`${name} must be a hex quantity like 0x1a, not ${describe(value)}`);
  return BigInt(value);
}

/** A QUANTITY that fits a safe integer (block numbers, counts). */
export function parseSmallQuantity(value: unknown, name: string): number {
  const quantity = parseQuantity(value, name);
  if (quantity > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidParams(`${name} is too large`);
  return Number(quantity);
}

export function parseData(value: unknown, name: string, bytesMax = Number.MAX_SAFE_INTEGER): Buffer {
  if (typeof value !== 'string' || !DATA.test(value)) throw invalidParams(`${name} must be 0x-prefixed hex bytes, not ${describe(value)}`);
  if ((value.length - 2) / 2 > bytesMax) throw invalidParams(`${name} is over ${bytesMax} bytes`);
  return Buffer.from(value.slice(2), 'hex');
}

function parseFixed(value: unknown, name: string, bytes: number, what: string): Buffer {
  if (typeof value !== 'string' || value.length !== 2 + 2 * bytes || !DATA.test(value)) throw invalidParams(`${name} must be ${what} (${bytes} bytes of 0x-prefixed hex), not ${describe(value)}`);
  return Buffer.from(value.slice(2), 'hex');
}

export function parseAddress(value: unknown, name: string): Buffer {
  return parseFixed(value, name, 20, 'an address');
}

export function parseHash(value: unknown, name: string): Buffer {
  return parseFixed(value, name, 32, 'a 32-byte hash');
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
