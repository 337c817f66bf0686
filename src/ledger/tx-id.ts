// A transaction id, `view.seqno`: the view of the primary that made the transaction and
// its position in the ledger. What responses carry and receipts prove.
export interface TxId {
  readonly view: number;
  readonly seqno: number;
}

export function formatTxId(txId: TxId): string {
  return `${txId.view}.${txId.seqno}`;
}

const TX_ID = /^(\d{1,10})\.(\d{1,16})$/;

/** Parses `view.seqno`; undefined for anything else (including seqno 0 or unsafe numbers). */
export function parseTxId(text: string): TxId | undefined {
  const match = TX_ID.exec(text);
  if (match === null) return undefined;
  const view = Number(match[1]);
  const seqno = Number(match[2]);
  if (!Number.isSafeInteger(seqno) || seqno < 1 || view > 0xffff_ffff) return undefined;
  return { view, seqno };
}
