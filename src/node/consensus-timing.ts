// Raft counts time in ticks; operators think in milliseconds. A tick is half a
// heartbeat, so heartbeats go out on time within one tick and an election timeout is
// a whole number of ticks no shorter than configured.
import assert from 'node:assert/strict';

export interface ConsensusTiming {
  readonly tickMs: number;
  readonly heartbeatTicks: number;
  readonly electionTimeoutTicks: number;
}

export function consensusTiming(config: { readonly election_timeout_ms: number; readonly heartbeat_ms: number }): ConsensusTiming {
  const tickMs = Math.max(1, Math.floor(config.heartbeat_ms / 2));
  const heartbeatTicks = Math.max(1, Math.round(config.heartbeat_ms / tickMs));
  const electionTimeoutTicks = Math.ceil(config.election_timeout_ms / tickMs);
  assert(electionTimeoutTicks > heartbeatTicks, `election timeout ${config.election_timeout_ms} ms must exceed the heartbeat ${config.heartbeat_ms} ms`);
  return { tickMs, heartbeatTicks, electionTimeoutTicks };
}
