// Reads the body of a request to an endpoint that takes JSON. The body must be UTF-8
// JSON; a request that says its body is some other media type gets 415. A request
// without a content-type is read as JSON, which is what clients sending JSON mean.
import { ApiError } from './api-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isJsonMediaType(contentType: string): boolean {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

/** The parsed body, or undefined for an empty one. Throws ApiError for anything unreadable. */
export function parseJsonBody(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  if (contentType !== undefined && !isJsonMediaType(contentType)) {
    throw new ApiError('UnsupportedMediaType', `this endpoint takes application/json, not ${contentType}`);
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new ApiError('MalformedRequest', 'body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError('MalformedRequest', `body is not valid JSON: ${(error as Error).message}`);
  }
}
