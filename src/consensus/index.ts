// Raft for Coco: a pure state machine (raft-node.ts) and the types its caller needs.
export { RaftNode, type RaftNodeOptions } from './raft-node.js';
export type { Ready, HardState, Role } from './ready.js';
export type { Configuration } from './configuration.js';
export { encodeMessage, decodeMessage } from './message-codec.js';
export { MessageFormatError } from './message-format-error.js';
export * from './messages.js';
export type { EntrySource } from './entry-source.js';
