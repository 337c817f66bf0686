// Every named maximum in Coco, in one place, with its unit in its name (STYLE.md §6).

/** A ledger chunk is closed after the first signature transaction past this size. */
export const ledgerChunkBytesTarget = 5 * 1024 * 1024;
/** Largest single ledger entry accepted when writing or reading. */
export const ledgerEntryBytesMax = 64 * 1024 * 1024;
/** Longest map name, in UTF-8 bytes. */
export const mapNameBytesMax = 256;
/** Largest key in a KV map, in bytes. */
export const kvKeyBytesMax = 64 * 1024;
/** Largest value in a KV map, in bytes. */
export const kvValueBytesMax = 32 * 1024 * 1024;
/** Re-executions of a transaction handler after commit conflicts before giving up. */
export const transactionAttemptsMax = 10;
/** Framed ledger bytes buffered in memory before ChunkedLedger writes them out in one append. */
export const ledgerWriteBatchBytesMax = 1024 * 1024;
/** Committed chunks whose per-entry offset tables ChunkedLedger keeps for random reads. */
export const ledgerChunkOffsetCacheChunksMax = 8;
/** Open file descriptors a directory of ledger files keeps cached. */
export const ledgerFilesOpenMax = 16;
/** Longest ledger file name, in bytes (a common file-system limit). */
export const ledgerFileNameBytesMax = 255;
/** Largest HTTP request body the RPC server reads; larger ones get 413. */
export const requestBodyBytesMax = 1024 * 1024;
/** Largest set of request headers (HTTP/2 header list; HTTP/1.1 uses node's own 16 KiB). */
export const requestHeaderBytesMax = 16 * 1024;
/** Concurrent requests (streams) one HTTP/2 client connection may have open. */
export const sessionConcurrentStreamsMax = 100;
/** A client connection with no traffic for this long is closed. */
export const connectionIdleTimeoutMs = 120_000;
/** On close, connections still open this long after the last response are destroyed. */
export const closeGraceMs = 1_000;
/** Most entries one AppendEntries message carries (etcd's MaxSizePerMsg, by count). */
export const appendEntriesEntriesMax = 64;
/** Most entry data bytes one AppendEntries carries; one larger entry is still sent alone. */
export const appendEntriesBytesMax = 1024 * 1024;
/** AppendEntries with entries a primary keeps unacknowledged per backup (etcd's MaxInflightMsgs). */
export const appendEntriesInflightMax = 8;
/** Entries a primary holds past its commit seqno before it refuses new proposals. */
export const uncommittedEntriesMax = 10_000;
/**
 * Newest Raft log entries a node always keeps in memory; committed entries beyond them are
 * dropped and read back from the ledger for a backup that needs them (raft-log.ts). A
 * backup lagging by less than this is caught up from memory.
 */
export const raftLogEntriesInMemoryMax = 4_096;
/** Largest node-to-node frame, length prefix included: one largest ledger entry and the message around it. */
export const nodeChannelFrameBytesMax = ledgerEntryBytesMax + 1024 * 1024;
/** Frames queued for one peer while it is unreachable or slow; further sends to it are dropped. */
export const nodeChannelQueueFramesMax = 16_384;
/** Frame bytes queued for one peer; at least nodeChannelFrameBytesMax, so any frame fits once the queue empties. */
export const nodeChannelQueueBytesMax = 128 * 1024 * 1024;
/** Queued bytes handed to a peer's connection in one corked write; a larger frame goes alone. */
export const nodeChannelWriteBatchBytesMax = 256 * 1024;
/** Shortest wait before redialling a peer; waits double per failed attempt, with jitter. */
export const nodeChannelBackoffMsMin = 50;
/** Longest wait before redialling a peer. */
export const nodeChannelBackoffMsMax = 2_000;
/** From dialling a peer (or accepting a connection) to its TLS handshake and acceptance; slower attempts fail. */
export const nodeChannelConnectTimeoutMs = 5_000;
/** Requests unanswered at once per peer, in each direction; more are refused at once. */
export const nodeChannelRequestsInFlightMax = 1_024;
/** Longest error message a node sends back for a failed request, in UTF-8 bytes; longer ones are cut. */
export const nodeChannelErrorMessageBytesMax = 1_024;
/** Incoming node-to-node connections (including ones still in their handshake) accepted at once. */
export const nodeChannelConnectionsMax = 256;
/** On close, node-to-node connections still open this long after being ended are destroyed. */
export const nodeChannelCloseGraceMs = 500;
/**
 * How long a backup waits for the primary's reply to a forwarded request before
 * answering 503; the primary may still run the request after that.
 */
export const forwardTimeoutMs = 10_000;
/**
 * How long the primary waits for a join to commit before answering 503. Well under
 * forwardTimeoutMs, so that a join forwarded by a backup gets this answer, not the
 * backup's "no reply from the primary".
 */
export const joinCommitTimeoutMs = 5_000;
/** Joins whose settling a primary remembers, to answer the server's second run of the join handler. */
export const settledJoinsRememberedMax = 1_024;
/**
 * Longest attestation `evidence` or `endorsements`, in base64 characters, refused before
 * decoding. A SEV-SNP report (1184 bytes) and its VCEK, ASK and ARK certificates fit in 8 KiB.
 */
export const attestationFieldCharsMax = 64 * 1024;
