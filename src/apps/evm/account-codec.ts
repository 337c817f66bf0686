// How an Ethereum account is kept in the accounts map: a byte for whether it has code,
// the nonce as 8 big-endian bytes, the 32-byte code hash when it has code, then the
// balance as minimal big-endian bytes (none for zero). No storage root: storage lives in
// its own map and no trie is built (docs/ethereum.md).
import { strict as assert } from 'node:assert';
import { Account, KECCAK256_NULL, bigIntToUnpaddedBytes, bytesToBigInt, equalsBytes } from '@ethereumjs/util';
import type { Codec } from '../../kv/index.js';

const NO_CODE = 0;
const HAS_CODE = 1;
const NONCE_BYTES = 8;
const HASH_BYTES = 32;

export const accountCodec: Codec<Account> = {
  encode(account: Account): Uint8Array {
    assert(account.nonce >= 0n && account.nonce < 2n ** 64n, 'an account nonce fits 8 bytes');
    const hasCode = !equalsBytes(account.codeHash, KECCAK256_NULL);
    const balance = bigIntToUnpaddedBytes(account.balance);
    const bytes = Buffer.alloc(1 + NONCE_BYTES + (hasCode ? HASH_BYTES : 0) + balance.length);
    bytes[0] = hasCode ? HAS_CODE : NO_CODE;
    bytes.writeBigUInt64BE(account.nonce, 1);
    if (hasCode) bytes.set(account.codeHash, 1 + NONCE_BYTES);
    bytes.set(balance, bytes.length - balance.length);
    return bytes;
  },
  decode(bytes: Uint8Array): Account {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const hasCode = buffer[0] === HAS_CODE;
    assert(buffer[0] === NO_CODE || hasCode, 'an account record starts with its code flag');
    const balanceAt = 1 + NONCE_BYTES + (hasCode ? HASH_BYTES : 0);
    assert(buffer.length >= balanceAt, 'an account record holds its nonce and code hash');
    const codeHash = hasCode ? Uint8Array.from(buffer.subarray(1 + NONCE_BYTES, balanceAt)) : KECCAK256_NULL;
    return new Account(buffer.readBigUInt64BE(1), bytesToBigInt(buffer.subarray(balanceAt)), undefined, codeHash);
  },
};

/** A copy the caller may change: the EVM changes the accounts it is handed, in place. */
export function copyAccount(account: Account): Account {
  return new Account(account.nonce, account.balance, undefined, account.codeHash);
}
