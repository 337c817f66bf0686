// A hand-driven cluster for scenario tests: every Ready is handled at once (entries kept
// on the node's "disk", messages queued, until hasReady() is false), and the test decides
// what is delivered and when. A node set up with entriesInMemoryMax compacts its log and
// reads compacted entries back from its disk, as a replica reads its ledger.
import { RaftNode, type RaftNodeOptions } from '../../src/consensus/raft-node.js';
import type { Entry, Envelope } from '../../src/consensus/messages.js';
import type { Ready } from '../../src/consensus/ready.js';

export interface NodeSetup {
  readonly random?: () => number;
  readonly persisted?: RaftNodeOptions['persisted'];
  /** Defaults to every node the cluster was built with. */
  readonly initialConfiguration?: readonly string[];
  readonly bootstrap?: true;
  /** Compact the log to this window, reading compacted entries back from the node's disk. */
  readonly entriesInMemoryMax?: number;
}

/** One call of a node's readEntries. */
export interface EntryRead {
  readonly node: string;
  readonly from: number;
  readonly to: number;
  readonly bytesMax: number;
  readonly returned: number;
}

export class Cluster {
  readonly nodes = new Map<string, RaftNode>();
  readonly readies = new Map<string, Ready[]>();
  /** What each node persisted (Ready steps 1 and 2): its durable log. */
  readonly disks = new Map<string, Entry[]>();
  /** Every readEntries call, oldest first. */
  readonly reads: EntryRead[] = [];
  queue: Envelope[] = [];
  /** Nodes whose messages, both ways, are dropped. */
  readonly isolated = new Set<string>();

  constructor(ids: readonly string[], setup: Readonly<Record<string, NodeSetup>> = {}) {
    for (const id of ids) this.add(id, { initialConfiguration: ids, ...setup[id] });
  }

  /** Starts a node; a joining node has `initialConfiguration: []` and no persisted state. */
  add(id: string, setup: NodeSetup & { readonly initialConfiguration: readonly string[] }): RaftNode {
    const disk = [...(setup.persisted?.log ?? [])];
    const node = new RaftNode({
      id,
      initialConfiguration: setup.initialConfiguration,
      electionTimeoutTicks: 10,
      heartbeatTicks: 2,
      random: setup.random ?? (() => 0.5),
      persisted: setup.persisted,
      bootstrap: setup.bootstrap,
      ...(setup.entriesInMemoryMax === undefined ? {} : {
        entriesInMemoryMax: setup.entriesInMemoryMax,
        readEntries: (from: number, to: number, bytesMax: number) => this.#readDisk(id, from, to, bytesMax),
      }),
    });
    this.nodes.set(id, node);
    this.readies.set(id, []);
    this.disks.set(id, disk);
    return node;
  }

  /** A ledger's answer: the entries' bytes, views and signature flags, no configurations; cut at bytesMax. */
  #readDisk(id: string, from: number, to: number, bytesMax: number): Entry[] {
    const disk = this.disks.get(id) ?? [];
    const entries: Entry[] = [];
    let bytes = 0;
    for (const { view, seqno, isSignature, data } of disk.slice(from - 1, to)) {
      if (entries.length > 0 && bytes + data.byteLength > bytesMax) break;
      bytes += data.byteLength;
      entries.push({ view, seqno, isSignature, data });
    }
    this.reads.push({ node: id, from, to, bytesMax, returned: entries.length });
    return entries;
  }

  node(id: string): RaftNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Handles Readies until there are none: a primary may commit in advance(). */
  flush(id: string): Ready[] {
    const node = this.node(id);
    const handled: Ready[] = [];
    while (node.hasReady()) {
      const ready = node.ready();
      handled.push(ready);
      this.readies.get(id)?.push(ready);
      const disk = this.disks.get(id) ?? [];
      if (ready.rolledBackTo !== undefined) disk.length = Math.min(disk.length, ready.rolledBackTo);
      for (const persisted of ready.entriesToPersist) {
        if (persisted.seqno !== disk.length + 1) throw new Error(`${id} persisted ${persisted.seqno} after ${disk.length}`);
        disk.push(persisted);
      }
      this.queue.push(...ready.messages);
      node.advance();
    }
    return handled;
  }

  tick(id: string, ticks = 1): void {
    for (let count = 0; count < ticks; count++) {
      this.node(id).tick();
      this.flush(id);
    }
  }

  propose(id: string, isSignature: boolean, text = 'x', configuration?: readonly string[]): void {
    const txId = this.node(id).propose(new TextEncoder().encode(text), isSignature, configuration);
    if (txId === undefined) throw new Error(`${id} refused a proposal`);
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

  /** Heartbeats from `primary` until every message is delivered: backups learn the commit seqno. */
  settle(primary: string): void {
    this.deliverAll();
    this.tick(primary, 2);
    this.deliverAll();
  }
}

export const entry = (view: number, seqno: number, isSignature: boolean): Entry =>
  ({ view, seqno, isSignature, data: new TextEncoder().encode(`${view}.${seqno}`) });

/** Persisted state for a restarted node: its log, with nothing recorded as committed. */
export const persistedLog = (view: number, log: Entry[]): NonNullable<RaftNodeOptions['persisted']> =>
  ({ view, votedFor: undefined, log, commitSeqno: 0 });
