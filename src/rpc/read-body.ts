// Reads a request body off the wire, never holding more than the limit: a declared
// Content-Length over it is refused before reading a byte, and a body that grows past it
// is refused the moment it does (the server then answers 413 and stops the sender).
import type { Readable } from 'node:stream';

export type BodyRead =
  | { readonly kind: 'complete'; readonly body: Buffer }
  | { readonly kind: 'too-large' }
  /** The client went away (reset, closed) before the body ended: nobody to answer. */
  | { readonly kind: 'aborted' };

export function readBody(request: Readable, contentLength: string | undefined, bytesMax: number): Promise<BodyRead> {
  if (contentLength !== undefined && Number(contentLength) > bytesMax) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const finish = (result: BodyRead): void => {
      request.off('data', onData).off('end', onEnd).off('error', onAbort).off('aborted', onAbort).off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > bytesMax) {
        finish({ kind: 'too-large' });
        // Drop whatever still arrives until the server stops the sender: a paused
        // request would never end, and its connection or stream would never close.
        request.resume();
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => finish({ kind: 'complete', body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes) });
    const onAbort = (): void => finish({ kind: 'aborted' });
    request.on('data', onData).once('end', onEnd).once('error', onAbort).once('aborted', onAbort).once('close', onAbort);
  });
}
