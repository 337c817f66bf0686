// Taking in a signed transaction as eth_sendRawTransaction receives it: decode it (legacy
// with EIP-155, EIP-2930 and EIP-1559 types), check it is for this chain, recover its
// sender (natively, sender-recovery.ts) and hash it. Answers in geth's words, which
// Ethereum clients recognise. Nothing here reads state.
import type { Common } from '@ethereumjs/common';
import { Capability, TransactionType, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx';
import type { Address } from '@ethereumjs/util';
import { invalidParams, rejected } from './rpc-error.js';

const SUPPORTED_TYPES: ReadonlySet<number> = new Set([TransactionType.Legacy, TransactionType.AccessListEIP2930, TransactionType.FeeMarketEIP1559]);

export interface SignedTransaction {
  readonly transaction: TypedTransaction;
  readonly raw: Uint8Array;
  readonly hash: Uint8Array;
  readonly sender: Address;
}

export function decodeRawTransaction(raw: Uint8Array, common: Common): SignedTransaction {
  if (raw.length > 0 && raw[0] !== undefined && raw[0] < 0x7f && !SUPPORTED_TYPES.has(raw[0])) {
    throw rejected(`transaction type not supported: type ${raw[0]} (Coco takes legacy, EIP-2930 and EIP-1559 transactions)`);
  }
  let transaction: TypedTransaction;
  try {
    transaction = createTxFromRLP(raw, { common });
  } catch (error) {
    const message = (error as Error).message;
    if (/chain id|EIP155/i.test(message)) throw rejected(`invalid chain id for signer: this chain's id is ${common.chainId()}`);
    if (/signature/i.test(message)) throw rejected(`invalid sender: ${message.split('\n')[0]}`);
    throw invalidParams(`invalid raw transaction: ${message.split('\n')[0]}`);
  }
  if (!transaction.isSigned()) throw rejected('invalid sender: the transaction is not signed');
  if (transaction.type === TransactionType.Legacy && !transaction.supports(Capability.EIP155ReplayProtection)) {
    throw rejected('only replay-protected (EIP-155) transactions allowed over RPC');
  }
  let sender: Address;
  try {
    sender = transaction.getSenderAddress();
  } catch (error) {
    throw rejected(`invalid sender: ${(error as Error).message.split('\n')[0]}`);
  }
  return { transaction, raw: Uint8Array.from(raw), hash: transaction.hash(), sender };
}
