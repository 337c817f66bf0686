// What a transaction costs before any code runs, on Osaka (the Yellow Paper's g0 with
// EIP-2028 calldata prices, EIP-2930 access lists, EIP-3860 initcode words), and the
// EIP-7623 calldata floor it pays at least. test/apps/evm checks these against
// @ethereumjs/tx.

const TX_GAS = 21_000n;
const CREATE_GAS = 32_000n;
const ZERO_BYTE_GAS = 4n;
const NONZERO_BYTE_GAS = 16n;
const INITCODE_WORD_GAS = 2n;
const ACCESS_LIST_ADDRESS_GAS = 2_400n;
const ACCESS_LIST_SLOT_GAS = 1_900n;
const FLOOR_TOKEN_GAS = 10n;
const NONZERO_BYTE_TOKENS = 4n;

export type AccessList = readonly (readonly [address: Uint8Array, slots: readonly Uint8Array[]])[];

export interface GasBounds {
  /** Charged up front: the gas a transaction must be given to start. */
  readonly intrinsic: bigint;
  /** The least a transaction is charged, whatever its execution used (EIP-7623). */
  readonly floor: bigint;
}

export function gasBounds(data: Uint8Array, create: boolean, accessList: AccessList): GasBounds {
  let zeros = 0n;
  for (const byte of data) if (byte === 0) zeros += 1n;
  const nonzeros = BigInt(data.length) - zeros;
  let intrinsic = TX_GAS + zeros * ZERO_BYTE_GAS + nonzeros * NONZERO_BYTE_GAS;
  if (create) intrinsic += CREATE_GAS + INITCODE_WORD_GAS * BigInt(Math.ceil(data.length / 32));
  for (const [, slots] of accessList) intrinsic += ACCESS_LIST_ADDRESS_GAS + ACCESS_LIST_SLOT_GAS * BigInt(slots.length);
  return { intrinsic, floor: TX_GAS + FLOOR_TOKEN_GAS * (zeros + NONZERO_BYTE_TOKENS * nonzeros) };
}

/** The gas a transaction must be given: its intrinsic gas or its floor, whichever is more. */
export function minimumGas(bounds: GasBounds): bigint {
  return bounds.intrinsic > bounds.floor ? bounds.intrinsic : bounds.floor;
}
