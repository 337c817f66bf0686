// waitForCommit gave up: the transaction is Invalid (rolled back by a view change; it
// will never commit, so resubmit it) or time ran out first (it may still commit).
// `lastStatus` tells the two apart.
import { formatTxId, type TxId } from '../ledger/tx-id.js';
import type { TxStatus } from './tx-status.js';

export class NotCommittedError extends Error {
  override readonly name = 'NotCommittedError';

  constructor(
    readonly txId: TxId,
    readonly lastStatus: TxStatus,
    timeoutMs: number,
  ) {
    super(lastStatus === 'Invalid'
      ? `transaction ${formatTxId(txId)} is Invalid: a view change rolled it back and it will never commit`
      : `transaction ${formatTxId(txId)} was not committed within ${timeoutMs} ms (last status: ${lastStatus})`);
  }
}
