// Turning an error response into an exception, for callers that want one.
import { CocoHttpError } from './coco-http-error.js';
import type { CocoResponse } from './coco-response.js';

export function isSuccess(response: CocoResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

/** The response if its status is 2xx; otherwise throws a CocoHttpError carrying the node's error code and message. */
export function ok(response: CocoResponse): CocoResponse {
  if (!isSuccess(response)) throw CocoHttpError.fromResponse(response);
  return response;
}
