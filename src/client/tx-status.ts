// The status of a transaction as GET /node/tx reports it. Unknown: the node has not
// seen it (yet). Pending: in the ledger, not committed. Committed: final. Invalid: it
// was rolled back by a view change and will never commit.
export const TX_STATUSES = ['Unknown', 'Pending', 'Committed', 'Invalid'] as const;

export type TxStatus = (typeof TX_STATUSES)[number];

export function isTxStatus(value: unknown): value is TxStatus {
  return typeof value === 'string' && (TX_STATUSES as readonly string[]).includes(value);
}
