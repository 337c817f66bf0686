// The app's configuration (the node configuration's `evm` section, docs/operations.md)
// and what the app makes of it: the chain id, the base fee, and the genesis allocation
// with the genesis block it defines.
import { strict as assert } from 'node:assert';
import { Account } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { blockHash } from './blocks.js';
import { bytesKey } from './byte-keys.js';
import type { BlockRecord } from './state-maps.js';

/** As in the node configuration file. Numbers of wei are decimal or 0x-hex strings. */
export interface EvmAppConfig {
  readonly chain_id: number;
  readonly base_fee_per_gas: string;
  readonly accounts: readonly { readonly address: string; readonly balance: string }[];
}

export const DEFAULT_EVM_CONFIG: EvmAppConfig = { chain_id: 1337, base_fee_per_gas: '0', accounts: [] };

export interface EvmSettings {
  readonly chainId: bigint;
  readonly baseFeePerGas: bigint;
  /** Genesis accounts by address key (byte-keys.ts). */
  readonly genesis: ReadonlyMap<string, Account>;
  readonly genesisBlock: BlockRecord;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const AMOUNT = /^(?:0x[0-9a-fA-F]{1,64}|[0-9]{1,78})$/;

export function evmSettings(config: EvmAppConfig): EvmSettings {
  assert(Number.isSafeInteger(config.chain_id) && config.chain_id > 0, 'evm.chain_id is a positive integer');
  assert(AMOUNT.test(config.base_fee_per_gas), 'evm.base_fee_per_gas is a decimal or 0x-hex amount of wei');
  const genesis = new Map<string, Account>();
  // The genesis block's hash commits to the chain id and the allocation, so that two
  // services' chains do not share a genesis hash.
  const committed: Uint8Array[] = [Buffer.from(config.chain_id.toString(16).padStart(16, '0'), 'hex')];
  for (const { address, balance } of config.accounts) {
    assert(ADDRESS.test(address) && AMOUNT.test(balance), `evm.accounts: ${address} ${balance} is an address and an amount of wei`);
    const addressBytes = Buffer.from(address.slice(2), 'hex');
    assert(!genesis.has(bytesKey(addressBytes)), `evm.accounts lists ${address} twice`);
    genesis.set(bytesKey(addressBytes), new Account(0n, BigInt(balance)));
    committed.push(addressBytes, Buffer.from(BigInt(balance).toString(16).padStart(64, '0'), 'hex'));
  }
  const allocation = keccak_256(Buffer.concat(committed));
  const genesisBlock: BlockRecord = { number: 0, hash: blockHash(allocation, 0, 0, []), parentHash: new Uint8Array(32), timestamp: 0, gasUsed: 0, transactions: [] };
  return { chainId: BigInt(config.chain_id), baseFeePerGas: BigInt(config.base_fee_per_gas), genesis, genesisBlock };
}
