// A node served a receipt that does not prove the transaction asked for under the
// service certificate. Never expected from an honest node, so it is its own error
// rather than a retry.
import { formatTxId, type TxId } from '../ledger/tx-id.js';

export class InvalidReceiptError extends Error {
  override readonly name = 'InvalidReceiptError';

  constructor(
    readonly txId: TxId,
    readonly reason: string,
  ) {
    super(`the receipt served for transaction ${formatTxId(txId)} does not verify: ${reason}`);
  }
}
