// What every request resolves to, whatever its status: a non-2xx answer is a response,
// not an exception, so callers that expect errors (tests, load generators) need no
// try/catch. `ok` (ok.ts) turns it into an exception for callers that do not.
import type { TxId } from '../ledger/tx-id.js';

export interface CocoResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON when the content type is JSON (undefined if empty), else the raw bytes. */
  readonly body: unknown;
  /** The transaction the request wrote, or read at: the `x-coco-tx-id` header. */
  readonly txId?: TxId;
  readonly method: string;
  /** The path requested, query included. */
  readonly path: string;
}
