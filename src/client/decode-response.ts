// From the bytes a node answered to a CocoResponse: JSON bodies parsed, the
// transaction id header read. A body that claims JSON but is not, or a malformed
// transaction id, is a broken node; it throws rather than hand back half an answer.
import { parseTxId } from '../ledger/tx-id.js';
import type { CocoResponse } from './coco-response.js';

export const TX_ID_HEADER = 'x-coco-tx-id';

/** application/json and the structured +json types (RFC 6839), any parameters. */
const JSON_CONTENT_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

export function decodeResponse(
  request: { method: string; path: string },
  answer: { status: number; headers: Record<string, string>; body: Buffer },
): CocoResponse {
  const { headers } = answer;
  let body: unknown = answer.body;
  if (JSON_CONTENT_TYPE.test(headers['content-type'] ?? '')) {
    try {
      body = answer.body.length === 0 ? undefined : JSON.parse(answer.body.toString('utf8'));
    } catch (error) {
      throw new Error(`the ${answer.status} response is labelled JSON but is not: ${(error as Error).message}`);
    }
  }
  const txIdText = headers[TX_ID_HEADER];
  const txId = txIdText === undefined ? undefined : parseTxId(txIdText);
  if (txIdText !== undefined && txId === undefined) {
    throw new Error(`the ${TX_ID_HEADER} header is not a transaction id (view.seqno): ${JSON.stringify(txIdText)}`);
  }
  return { status: answer.status, headers, body, ...(txId === undefined ? {} : { txId }), method: request.method, path: request.path };
}
