// A hand-driven cluster for scenario tests: every Ready is handled at once (entries kept,
// messages queued), and the test decides what is delivered and when.
import { RaftNode, type RaftNodeOptions } from '../../src/consensus/raft-node.js';
import type { Entry, Envelope } from '../../src/consensus/messages.js';
import type { Ready } from '../../src/consensus/ready.js';

export interface NodeSetup {
  readonly random?: () => number;
  readonly persisted?: RaftNodeOptions['persisted'];
}

export class Cluster {
  readonly nodes = new Map<string, RaftNode>();
  readonly readies = new Map<string, Ready[]>();
  queue: Envelope[] = [];
  /** Nodes whose messages, both ways, are dropped. */
  readonly isolated = new Set<string>();

  constructor(ids: readonly string[], setup: Readonly<Record<string, NodeSetup>> = {}) {
    for (const id of ids) {
      this.nodes.set(id, new RaftNode({
        id,
        peers: ids.filter((other) => other !== id),
        electionTimeoutTicks: 10,
        heartbeatTicks: 2,
        random: setup[id]?.random ?? (() => 0.5),
        persisted: setup[id]?.persisted,
      }));
      this.readies.set(id, []);
    }
  }

  node(id: string): RaftNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  flush(id: string): Ready {
    const node = this.node(id);
    const ready = node.ready();
    this.readies.get(id)?.push(ready);
    this.queue.push(...ready.messages);
    node.advance();
    return ready;
  }

  tick(id: string, ticks = 1): void {
    for (let count = 0; count < ticks; count++) {
      this.node(id).tick();
      this.flush(id);
    }
  }

  propose(id: string, isSignature: boolean, text = 'x'): void {
    this.node(id).propose(new TextEncoder().encode(text), isSignature);
    this.flush(id);
  }

  /** Delivers queued messages (and those they cause) that `accept`, dropping the rest. */
  deliverAll(accept: (envelope: Envelope) => boolean = () => true): void {
    for (let steps = 0; this.queue.length > 0; steps++) {
      if (steps > 10_000) throw new Error('messages never quiesce');
      const envelope = this.queue.shift();
      if (envelope === undefined) break;
      const { to, message } = envelope;
      if (this.isolated.has(to) || this.isolated.has(message.from) || !accept(envelope)) continue;
      this.node(to).step(message);
      this.flush(to);
    }
  }

  /** Makes `id` time out and runs the election to the end. */
  elect(id: string): void {
    this.tick(id, 20);
    this.deliverAll();
  }
}

export const entry = (view: number, seqno: number, isSignature: boolean): Entry =>
  ({ view, seqno, isSignature, data: new TextEncoder().encode(`${view}.${seqno}`) });
