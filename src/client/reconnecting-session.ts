// One HTTP/2 session to a node, opened on first use and replaced once it closes or
// fails. All requests multiplex on it, so a client pays one TLS handshake, not one
// per request, and a dropped connection costs the next request a reconnect rather
// than an error.
import { connect, type ClientHttp2Session } from 'node:http2';
import type { SecureContext } from 'node:tls';
import { closeGraceMs } from './client-limits.js';

export class Connection {
  /** Set once TLS and HTTP/2 set-up complete: a session lost after that may have run requests sent on it. */
  connected = false;

  constructor(readonly session: ClientHttp2Session) {
    session.once('connect', () => {
      this.connected = true;
    });
  }

  get usable(): boolean {
    return !this.session.closed && !this.session.destroyed;
  }
}

export class ReconnectingSession {
  private current: Connection | undefined;

  constructor(
    private readonly origin: string,
    private readonly secureContext: SecureContext,
  ) {}

  /** The open session, or a new one if there is none or it is closing. */
  get(): Connection {
    if (this.current?.usable === true) return this.current;
    const session = connect(this.origin, { secureContext: this.secureContext, settings: { enablePush: false } });
    // Failures reach the caller through its streams; this listener only keeps an
    // 'error' event from crashing the process.
    session.on('error', () => {});
    // An idle client must not keep a process alive: each request's own timer does that
    // while it runs.
    session.unref();
    this.current = new Connection(session);
    return this.current;
  }

  /** Lets requests in flight finish (for at most closeGraceMs), then closes. */
  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current === undefined || current.session.destroyed) return;
    const { session } = current;
    await new Promise<void>((resolve) => {
      // Bounded, and a ref'd timer: the session is unref'd (an idle client must not keep
      // a process alive), so without it node could exit with this promise unsettled.
      const cut = setTimeout(() => session.destroy(), closeGraceMs);
      session.once('close', () => {
        clearTimeout(cut);
        resolve();
      });
      // Already closing (the node said GOAWAY): nothing is left to finish gracefully.
      if (session.closed) session.destroy();
      else session.close();
    });
  }
}
