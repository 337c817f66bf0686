// The client SDK's named limits and defaults (STYLE.md §6), units in the names. Kept
// here rather than in src/limits.ts because they bound what a client accepts from a
// node, not what a node accepts.

/** Largest response body a client reads; a bigger one is cancelled, not buffered. */
export const responseBodyBytesMax = 64 * 1024 * 1024;
/** How long one request may take, connecting included, unless the caller says otherwise. */
export const requestTimeoutMsDefault = 30_000;
/** How long waitForCommit and getReceipt wait by default. */
export const commitTimeoutMsDefault = 10_000;
/** Pause between polls of /node/tx and /app/receipt. */
export const commitPollMsDefault = 20;
/** Characters of a non-JSON error body kept in a CocoHttpError's message. */
export const errorBodyCharsMax = 500;
/** How long close() lets requests in flight finish before it cuts the connection. */
export const closeGraceMs = 5_000;
