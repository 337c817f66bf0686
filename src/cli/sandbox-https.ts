// One HTTPS GET against a node, trusting only the service certificate and presenting a
// client identity: how the sandbox checks a node is up (and what a test uses to read
// back what it wrote). A fresh connection each time, so nothing keeps the process alive.
import { request } from 'node:https';

export interface TlsIdentity {
  /** PEM of the service certificate: the only root trusted. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

const RESPONSE_BYTES_MAX = 1024 * 1024;

/** Resolves with the status and parsed JSON body; rejects on a transport error or timeout. */
export function httpsGetJson(address: string, path: string, identity: TlsIdentity, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address.slice(0, colon), port: Number(address.slice(colon + 1)), path, method: 'GET', ...identity, agent: false, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > RESPONSE_BYTES_MAX) req.destroy(new Error(`response larger than ${RESPONSE_BYTES_MAX} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) });
          } catch {
            reject(new Error(`GET ${path} answered ${response.statusCode ?? 0} with a body that is not JSON: ${text.slice(0, 200)}`));
          }
        });
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
