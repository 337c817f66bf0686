// A node answered, with an error status. Carries the node's error code and message
// (DESIGN.md: `{"error": {"code", "message"}}`), and the request it answered, so a
// logged error says what failed without the caller adding context.
import { STATUS_CODES } from 'node:http';
import { errorBodyCharsMax } from './client-limits.js';
import type { CocoResponse } from './coco-response.js';

export class CocoHttpError extends Error {
  override readonly name = 'CocoHttpError';

  constructor(
    readonly status: number,
    /** The node's error code (e.g. `InvalidInput`), or one derived from the status if the body had none. */
    readonly code: string,
    /** The node's error message, verbatim. */
    readonly detail: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${status} ${code}: ${detail}`);
  }

  static fromResponse(response: CocoResponse): CocoHttpError {
    const { code, message } = errorOf(response);
    return new CocoHttpError(response.status, code, message, response.method, response.path);
  }
}

function errorOf(response: CocoResponse): { code: string; message: string } {
  const error = (response.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const statusText = STATUS_CODES[response.status] ?? 'Unknown status';
  const code = typeof error?.code === 'string' ? error.code : statusText.replace(/[^A-Za-z]/g, '');
  if (typeof error?.message === 'string') return { code, message: error.message };
  // Not Coco's error shape (a proxy's page, say): show what came back, briefly.
  const text = Buffer.isBuffer(response.body) ? response.body.toString('utf8') : JSON.stringify(response.body) ?? '';
  const shown = text.length > errorBodyCharsMax ? `${text.slice(0, errorBodyCharsMax)}…` : text;
  return { code, message: shown.length > 0 ? shown : statusText };
}
