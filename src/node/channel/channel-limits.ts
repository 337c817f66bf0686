// The limits one node-to-node channel runs with: those of src/limits.ts unless the
// caller tunes them (tests shorten the waits; operators may trade memory for tolerance
// of slow peers).
import assert from 'node:assert/strict';
import {
  nodeChannelBackoffMsMax,
  nodeChannelBackoffMsMin,
  nodeChannelConnectTimeoutMs,
  nodeChannelFrameBytesMax,
  nodeChannelQueueBytesMax,
  nodeChannelQueueFramesMax,
  nodeChannelRequestsInFlightMax,
  nodeChannelWriteBatchBytesMax,
} from '../../limits.js';
import type { BackoffLimits } from './backoff.js';

export interface NodeChannelLimits extends BackoffLimits {
  readonly frameBytesMax: number;
  readonly queueFramesMax: number;
  readonly queueBytesMax: number;
  readonly writeBatchBytesMax: number;
  readonly connectTimeoutMs: number;
  readonly requestsInFlightMax: number;
}

const DEFAULT_NODE_CHANNEL_LIMITS: NodeChannelLimits = {
  frameBytesMax: nodeChannelFrameBytesMax,
  queueFramesMax: nodeChannelQueueFramesMax,
  queueBytesMax: nodeChannelQueueBytesMax,
  writeBatchBytesMax: nodeChannelWriteBatchBytesMax,
  backoffMsMin: nodeChannelBackoffMsMin,
  backoffMsMax: nodeChannelBackoffMsMax,
  connectTimeoutMs: nodeChannelConnectTimeoutMs,
  requestsInFlightMax: nodeChannelRequestsInFlightMax,
};

export function resolveNodeChannelLimits(overrides: Partial<NodeChannelLimits> = {}): NodeChannelLimits {
  const limits = { ...DEFAULT_NODE_CHANNEL_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    assert(Number.isSafeInteger(value) && value > 0, `node channel limit ${name} must be a positive integer, got ${String(value)}`);
  }
  assert(limits.frameBytesMax <= limits.queueBytesMax, 'queueBytesMax must hold at least one largest frame');
  assert(limits.frameBytesMax <= 0xffff_ffff, 'frameBytesMax must fit the 4-byte length prefix');
  assert(limits.backoffMsMin <= limits.backoffMsMax, 'backoffMsMin must not exceed backoffMsMax');
  return limits;
}
