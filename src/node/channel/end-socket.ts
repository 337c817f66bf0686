// Closing a connection in bounded time: end it (what was written still goes out),
// and destroy it if the other end has not closed its side within the grace period.
import type { Socket } from 'node:net';

/** Resolves once the socket is closed, at most about graceMs from now. */
export function endSocket(socket: Socket, graceMs: number): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    // Not unref'd: close() must settle even when nothing else keeps the process alive.
    const stragglers = setTimeout(() => socket.destroy(), graceMs);
    socket.once('close', () => {
      clearTimeout(stragglers);
      resolve();
    });
    socket.end();
  });
}
