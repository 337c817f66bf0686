// Where the EVM app keeps everything: private maps (encrypted in the ledger), plain keys
// and values, no trie. Accounts, code (by hash) and storage are the Ethereum state;
// transactions, blocks and the head are the chain; contracts records who deployed each
// contract and who may read its logs (visibility.ts). Records are CBOR arrays.
import { strict as assert } from 'node:assert';
import { Decoder, Encoder } from 'cbor-x';
import type { Account } from '@ethereumjs/util';
import { rawCodec, u64Codec, type Codec, type Transaction, type TxMap } from '../../kv/index.js';
import { accountCodec } from './account-codec.js';

export const ACCOUNTS_MAP = 'private:eth.accounts';
export const CODE_MAP = 'private:eth.code';
export const STORAGE_MAP = 'private:eth.storage';
export const TRANSACTIONS_MAP = 'private:eth.transactions';
export const BLOCKS_MAP = 'private:eth.blocks';
export const BLOCK_NUMBERS_MAP = 'private:eth.block_numbers';
export const HEAD_MAP = 'private:eth.head';
export const CONTRACTS_MAP = 'private:eth.contracts';
/** Written only by a request re-run after waiting for its turn (stale-marker.ts). */
export const TURN_MARKER_MAP = 'private:eth.turn_marker';

/** The one key of HEAD_MAP. */
export const HEAD_KEY = 0;

/** One log as the EVM emits it: address, topics, data. */
export type LogRecord = readonly [address: Uint8Array, topics: readonly Uint8Array[], data: Uint8Array];

/** An Ethereum transaction that ran, with its receipt. */
export interface TransactionRecord {
  /** The signed transaction as sent to eth_sendRawTransaction. */
  readonly raw: Uint8Array;
  readonly type: number;
  readonly from: Uint8Array;
  /** Null for a contract creation. */
  readonly to: Uint8Array | null;
  /** The Coco user (certificate id) who submitted it. */
  readonly submitter: string;
  readonly block: number;
  /** Its position in the block. */
  readonly index: number;
  readonly status: 0 | 1;
  readonly gasUsed: number;
  readonly cumulativeGasUsed: number;
  readonly effectiveGasPrice: bigint;
  /** For a creation: the contract's address, whether or not it succeeded (as geth reports it). */
  readonly contractAddress: Uint8Array | null;
  readonly logs: readonly LogRecord[];
  /** The block-wide index of its first log (logIndex counts across the block). */
  readonly firstLogIndex: number;
}

/** A block: the Ethereum transactions one Coco transaction ran (docs/ethereum.md, "Blocks"). */
export interface BlockRecord {
  readonly number: number;
  readonly hash: Uint8Array;
  readonly parentHash: Uint8Array;
  /** Seconds since the epoch, by the primary's clock, never below its parent's. */
  readonly timestamp: number;
  readonly gasUsed: number;
  /** Hashes of its transactions, in order. */
  readonly transactions: readonly Uint8Array[];
}

/** The latest block, so that a write needs one read to find it. */
export interface HeadRecord {
  readonly number: number;
  readonly hash: Uint8Array;
  readonly timestamp: number;
}

export interface ContractRecord {
  /** The Coco user whose transaction created the contract. */
  readonly deployer: string;
  /** Further Coco users the deployer lets read the contract's logs and receipts. */
  readonly readers: readonly string[];
}

const cborOptions = { useRecords: false, structuredClone: false, mapsAsObjects: true, tagUint8Array: false, useBigIntExtension: false } as const;
const encoder = new Encoder(cborOptions);
const decoder = new Decoder(cborOptions);

function tupleCodec<T>(name: string, toTuple: (value: T) => unknown[], fromTuple: (tuple: unknown[]) => T): Codec<T> {
  return {
    encode: (value) => encoder.encode(toTuple(value)),
    decode: (bytes) => {
      const tuple: unknown = decoder.decode(bytes);
      assert(Array.isArray(tuple), `a stored ${name} record is a CBOR array`);
      return fromTuple(tuple);
    },
  };
}

function bytes(value: unknown): Uint8Array {
  assert(value instanceof Uint8Array, 'a stored byte string');
  return value;
}

function integer(value: unknown): number {
  assert(Number.isSafeInteger(value), 'a stored integer');
  return value as number;
}

function bigint(value: unknown): bigint {
  return BigInt(`0x${Buffer.from(bytes(value)).toString('hex') || '0'}`);
}

function unpadded(value: bigint): Uint8Array {
  const hex = value.toString(16);
  return value === 0n ? new Uint8Array(0) : Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
}

export const transactionCodec = tupleCodec<TransactionRecord>(
  'transaction',
  (t) => [t.raw, t.type, t.from, t.to, t.submitter, t.block, t.index, t.status, t.gasUsed, t.cumulativeGasUsed, unpadded(t.effectiveGasPrice), t.contractAddress, t.logs, t.firstLogIndex],
  (t) => ({
    raw: bytes(t[0]),
    type: integer(t[1]),
    from: bytes(t[2]),
    to: t[3] === null ? null : bytes(t[3]),
    submitter: t[4] as string,
    block: integer(t[5]),
    index: integer(t[6]),
    status: t[7] === 1 ? 1 : 0,
    gasUsed: integer(t[8]),
    cumulativeGasUsed: integer(t[9]),
    effectiveGasPrice: bigint(t[10]),
    contractAddress: t[11] === null ? null : bytes(t[11]),
    logs: (t[12] as unknown[][]).map((log) => [bytes(log[0]), (log[1] as unknown[]).map(bytes), bytes(log[2])] as const),
    firstLogIndex: integer(t[13]),
  }),
);

export const blockCodec = tupleCodec<BlockRecord>(
  'block',
  (b) => [b.number, b.hash, b.parentHash, b.timestamp, b.gasUsed, b.transactions],
  (b) => ({ number: integer(b[0]), hash: bytes(b[1]), parentHash: bytes(b[2]), timestamp: integer(b[3]), gasUsed: integer(b[4]), transactions: (b[5] as unknown[]).map(bytes) }),
);

export const headCodec = tupleCodec<HeadRecord>('head', (h) => [h.number, h.hash, h.timestamp], (h) => ({ number: integer(h[0]), hash: bytes(h[1]), timestamp: integer(h[2]) }));

export const contractCodec = tupleCodec<ContractRecord>('contract', (c) => [c.deployer, c.readers], (c) => ({ deployer: c[0] as string, readers: c[1] as string[] }));

/** The typed map handles of one transaction. */
export interface EthMaps {
  readonly accounts: TxMap<Uint8Array, Account>;
  readonly code: TxMap<Uint8Array, Uint8Array>;
  readonly storage: TxMap<Uint8Array, Uint8Array>;
  readonly transactions: TxMap<Uint8Array, TransactionRecord>;
  readonly blocks: TxMap<number, BlockRecord>;
  readonly blockNumbers: TxMap<Uint8Array, number>;
  readonly head: TxMap<number, HeadRecord>;
  readonly contracts: TxMap<Uint8Array, ContractRecord>;
  readonly turnMarker: TxMap<number, number>;
}

export function ethMaps(tx: Transaction): EthMaps {
  return {
    accounts: tx.map(ACCOUNTS_MAP, rawCodec, accountCodec),
    code: tx.map(CODE_MAP, rawCodec, rawCodec),
    storage: tx.map(STORAGE_MAP, rawCodec, rawCodec),
    transactions: tx.map(TRANSACTIONS_MAP, rawCodec, transactionCodec),
    blocks: tx.map(BLOCKS_MAP, u64Codec, blockCodec),
    blockNumbers: tx.map(BLOCK_NUMBERS_MAP, rawCodec, u64Codec),
    head: tx.map(HEAD_MAP, u64Codec, headCodec),
    contracts: tx.map(CONTRACTS_MAP, rawCodec, contractCodec),
    turnMarker: tx.map(TURN_MARKER_MAP, u64Codec, u64Codec),
  };
}

/** The storage map's key: the contract's address, then the slot. */
export function storageKey(address: Uint8Array, slot: Uint8Array): Buffer {
  assert(address.length === 20 && slot.length === 32, 'a storage key is a 20-byte address and a 32-byte slot');
  const key = Buffer.allocUnsafe(52);
  key.set(address, 0);
  key.set(slot, 20);
  return key;
}
