// Blocks as Coco defines them (docs/ethereum.md, "Blocks"): block n > 0 holds the
// Ethereum transactions that one Coco transaction ran (one eth_sendRawTransaction, or
// every one of a JSON-RPC batch), numbered in commit order; block 0 is the genesis
// allocation. A block's hash commits to its parent, number, timestamp and transactions:
// keccak256(parentHash ‖ number ‖ timestamp ‖ txHash...), numbers as 8 big-endian bytes.
// There is no state root and no mining: what proves a block is the Coco receipt of the
// transaction that wrote it.
import type { EVMMockBlockchainInterface, EVMRunCallOpts } from '@ethereumjs/evm';
import { createZeroAddress } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { blockGasLimit } from './evm-limits.js';
import { HEAD_KEY, type BlockRecord, type EthMaps, type HeadRecord } from './state-maps.js';

/** The block header fields the EVM reads (the library does not export the type). */
export type EvmBlock = NonNullable<EVMRunCallOpts['block']>;

const ZERO_HASH = new Uint8Array(32);
const NO_RANDOMNESS = new Uint8Array(32);
/** The blob base fee BLOBBASEFEE reports: the minimum, as Coco takes no blobs. */
const BLOB_BASE_FEE = 1n;

export function blockHash(parentHash: Uint8Array, number: number, timestamp: number, transactions: readonly Uint8Array[]): Uint8Array {
  const bytes = Buffer.alloc(32 + 8 + 8 + 32 * transactions.length);
  bytes.set(parentHash, 0);
  bytes.writeBigUInt64BE(BigInt(number), 32);
  bytes.writeBigUInt64BE(BigInt(timestamp), 40);
  transactions.forEach((hash, index) => bytes.set(hash, 48 + 32 * index));
  return keccak_256(bytes);
}

/** The head, or the genesis block's when no block was written yet. */
export function readHead(maps: EthMaps, genesis: BlockRecord): HeadRecord {
  return maps.head.get(HEAD_KEY) ?? { number: 0, hash: genesis.hash, timestamp: genesis.timestamp };
}

export function readBlock(maps: EthMaps, number: number, genesis: BlockRecord): BlockRecord | undefined {
  return maps.blocks.get(number) ?? (number === 0 ? genesis : undefined);
}

/** The number of the block with `hash`, the genesis block's included before it is written. */
export function blockNumberByHash(scope: { readonly maps: EthMaps; readonly context: { readonly settings: { readonly genesisBlock: BlockRecord } } }, hash: Uint8Array): number | undefined {
  const genesis = scope.context.settings.genesisBlock;
  return scope.maps.blockNumbers.get(hash) ?? (Buffer.compare(hash, genesis.hash) === 0 ? 0 : undefined);
}

/** The header fields the EVM reads (NUMBER, TIMESTAMP, BASEFEE, COINBASE, PREVRANDAO, GASLIMIT). */
export function evmBlock(number: number, timestamp: number, baseFeePerGas: bigint): EvmBlock {
  return {
    header: {
      number: BigInt(number),
      // Fees beyond the base fee go to the zero address: Coco has no miners.
      coinbase: createZeroAddress(),
      timestamp: BigInt(timestamp),
      difficulty: 0n,
      // Coco has no randomness beacon: PREVRANDAO is zero, and contracts must not use it.
      prevRandao: NO_RANDOMNESS,
      gasLimit: blockGasLimit,
      baseFeePerGas,
      getBlobGasPrice: () => BLOB_BASE_FEE,
    },
  };
}

/** BLOCKHASH's view of earlier blocks. */
export function blockSource(maps: EthMaps, genesis: BlockRecord): EVMMockBlockchainInterface {
  const source: EVMMockBlockchainInterface = {
    getBlock: async (number: number) => {
      const hash = readBlock(maps, number, genesis)?.hash ?? ZERO_HASH;
      return { hash: () => hash };
    },
    putBlock: async () => {
      throw new Error('blocks are written by the app, not the EVM');
    },
    shallowCopy: () => source,
  };
  return source;
}
