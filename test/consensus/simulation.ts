// A deterministic simulation of a Raft cluster in one process (after TigerBeetle's VOPR,
// STYLE.md §11). One seed fixes everything: fault rates, delays, partitions, restarts,
// election timeouts. A safety phase runs with faults while invariants are checked after
// every event; a liveness phase heals the network and demands that every node converge
// on the same committed log. A failure reports its seed, so `runSimulation({ seed })`
// replays it exactly.
import assert from 'node:assert/strict';
import { RaftNode, type RaftNodeOptions } from '../../src/consensus/raft-node.js';
import type { Entry, Message } from '../../src/consensus/messages.js';
import { seededRandom } from '../support/seeded-random.js';

export interface SimulationOptions {
  readonly seed: number;
  readonly nodeCount: number;
  readonly safetyTicks?: number;
  readonly livenessTicksMax?: number;
  /** To plant a bug: build nodes some other way. */
  readonly makeNode?: (options: RaftNodeOptions) => RaftNode;
}

export type SimulationResult =
  | { readonly ok: true; readonly seed: number; readonly commitSeqno: number; readonly views: number }
  | { readonly ok: false; readonly seed: number; readonly error: string };

interface Disk {
  view: number;
  votedFor: string | undefined;
  log: Entry[];
}

interface SimNode {
  node: RaftNode;
  disk: Disk;
  /** Committed entries this incarnation has applied, from seqno 1. */
  applied: Entry[];
  lastCommitSeqno: number;
  wasPrimary: boolean;
}

interface InFlight {
  readonly deliverAt: number;
  readonly to: string;
  readonly message: Message;
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();
const keyOf = (entry: Entry): string => `${entry.view}.${entry.seqno}.${entry.isSignature ? 'S' : 'D'}.${textDecoder.decode(entry.data)}`;

export function runSimulation(options: SimulationOptions): SimulationResult {
  try {
    return new Simulation(options).run();
  } catch (error) {
    return { ok: false, seed: options.seed, error: error instanceof Error ? error.message : String(error) };
  }
}

class Simulation {
  readonly #random: () => number;
  readonly #ids: string[];
  readonly #nodes = new Map<string, SimNode>();
  #inFlight: InFlight[] = [];
  #now = 0;
  #proposals = 0;
  // Fault rates, drawn per seed.
  #dropRate: number;
  #duplicateRate: number;
  #delayTicksMax: number;
  readonly #partitionRate: number;
  readonly #restartRate: number;
  #group = new Map<string, number>();
  #healAt = 0;
  // What the invariants remember.
  /** Every entry ever proposed, by view.seqno, with the view of the entry before it. */
  readonly #created = new Map<string, { key: string; prevView: number }>();
  /** The committed log as first reported by any node: never to change. */
  readonly #committed: string[] = [];
  readonly #primaryOfView = new Map<number, string>();

  constructor(readonly options: SimulationOptions) {
    this.#random = seededRandom(options.seed);
    this.#ids = Array.from({ length: options.nodeCount }, (_, index) => `n${index}`);
    this.#dropRate = this.#random() * 0.2;
    this.#duplicateRate = this.#random() * 0.1;
    this.#delayTicksMax = 1 + Math.floor(this.#random() * 6);
    this.#partitionRate = this.#random() * 0.06;
    this.#restartRate = this.#random() * 0.02;
    for (const id of this.#ids) this.#start(id, { view: 0, votedFor: undefined, log: [] });
  }

  run(): SimulationResult {
    const safetyTicks = this.options.safetyTicks ?? 300;
    for (let tick = 0; tick < safetyTicks; tick++) this.#step(true);
    // Liveness: heal everything, stop losing messages, keep some reordering.
    this.#group.clear();
    this.#dropRate = 0;
    this.#duplicateRate = 0;
    this.#delayTicksMax = 2;
    const livenessTicksMax = this.options.livenessTicksMax ?? 400;
    for (let tick = 0; tick < livenessTicksMax; tick++) {
      this.#step(false);
      const converged = this.#converged();
      if (converged !== undefined) return { ok: true, seed: this.options.seed, commitSeqno: converged, views: this.#primaryOfView.size };
    }
    const state = this.#ids.map((id) => {
      const { node } = this.#nodes.get(id) ?? assert.fail();
      return `${id}:${node.role}@${node.view} last ${node.lastTxId.view}.${node.lastTxId.seqno} commit ${node.commitSeqno}`;
    });
    throw new Error(`no convergence after healing: ${state.join(', ')}`);
  }

  #sim(id: string): SimNode {
    const sim = this.#nodes.get(id);
    assert(sim !== undefined);
    return sim;
  }

  #start(id: string, disk: Disk): void {
    const nodeOptions: RaftNodeOptions = {
      id,
      peers: this.#ids.filter((other) => other !== id),
      electionTimeoutTicks: 10,
      heartbeatTicks: 2,
      random: seededRandom(Math.floor(this.#random() * 2 ** 32)),
      persisted: { view: disk.view, votedFor: disk.votedFor, log: [...disk.log] },
    };
    const node = this.options.makeNode?.(nodeOptions) ?? new RaftNode(nodeOptions);
    this.#nodes.set(id, { node, disk, applied: [], lastCommitSeqno: 0, wasPrimary: false });
  }

  #step(faults: boolean): void {
    this.#now++;
    if (faults) this.#maybeFault();
    for (const id of this.#ids) {
      const sim = this.#sim(id);
      sim.node.tick();
      this.#handleReady(id);
      if (sim.node.role === 'primary') this.#propose(id, faults);
    }
    const due = this.#inFlight.filter((flight) => flight.deliverAt <= this.#now);
    this.#inFlight = this.#inFlight.filter((flight) => flight.deliverAt > this.#now);
    this.#shuffle(due);
    for (const flight of due) {
      this.#sim(flight.to).node.step(flight.message);
      this.#handleReady(flight.to);
    }
    this.#checkLogs();
  }

  #maybeFault(): void {
    if (this.#group.size > 0 && this.#now >= this.#healAt) this.#group.clear();
    if (this.#group.size === 0 && this.#random() < this.#partitionRate) {
      for (const id of this.#ids) this.#group.set(id, Math.floor(this.#random() * 2));
      this.#healAt = this.#now + 5 + Math.floor(this.#random() * 60);
    }
    if (this.#random() < this.#restartRate) {
      // A crash loses volatile state (role, commit seqno, unsent messages); the disk stays.
      const id = this.#ids[Math.floor(this.#random() * this.#ids.length)] ?? assert.fail();
      const { disk } = this.#sim(id);
      this.#inFlight = this.#inFlight.filter((flight) => flight.message.from !== id);
      this.#start(id, disk);
    }
  }

  #propose(id: string, faults: boolean): void {
    const { node } = this.#sim(id);
    if (faults && this.#random() < 0.3) this.#proposeOne(id, false);
    const last = node.entries[node.entries.length - 1];
    const unsigned = last === undefined || !last.isSignature || last.view !== node.view;
    if (unsigned && (!faults || this.#random() < 0.2)) this.#proposeOne(id, true);
  }

  #proposeOne(id: string, isSignature: boolean): void {
    const { node } = this.#sim(id);
    const prevView = node.lastTxId.view;
    const data = textEncoder.encode(`p${++this.#proposals}`);
    const txId = node.propose(data, isSignature);
    assert(txId !== undefined, 'a primary accepts proposals');
    const key = keyOf({ ...txId, isSignature, data });
    assert(!this.#created.has(`${txId.view}.${txId.seqno}`), `TxId ${txId.view}.${txId.seqno} proposed twice`);
    this.#created.set(`${txId.view}.${txId.seqno}`, { key, prevView });
    this.#handleReady(id);
  }

  /** Does what a node's caller does with a Ready, checking invariants on the way. */
  #handleReady(id: string): void {
    const sim = this.#sim(id);
    const { node, disk } = sim;
    const ready = node.ready();
    if (ready.rolledBackTo !== undefined) {
      assert(ready.rolledBackTo >= sim.lastCommitSeqno, `${id} rolled back below its commit`);
      disk.log.length = Math.min(disk.log.length, ready.rolledBackTo);
    }
    for (const entry of ready.entriesToPersist) {
      assert.equal(entry.seqno, disk.log.length + 1, `${id} persisted a gap`);
      disk.log.push(entry);
    }
    disk.view = ready.hardState.view;
    disk.votedFor = ready.hardState.votedFor;
    for (const { to, message } of ready.messages) this.#send(to, message);
    for (const entry of ready.committed) {
      assert.equal(entry.seqno, sim.applied.length + 1, `${id} applied out of order`);
      const key = keyOf(entry);
      const known = this.#committed[entry.seqno - 1];
      if (known === undefined) this.#committed.push(key);
      else assert.equal(key, known, `${id} committed a different entry at seqno ${entry.seqno}`);
      sim.applied.push(entry);
    }
    assert(ready.commitSeqno >= sim.lastCommitSeqno, `${id} commit seqno went backwards`);
    sim.lastCommitSeqno = ready.commitSeqno;
    if (ready.role === 'primary') {
      const other = this.#primaryOfView.get(node.view);
      assert(other === undefined || other === id, `two primaries in view ${node.view}: ${other} and ${id}`);
      this.#primaryOfView.set(node.view, id);
    }
    node.advance();
    const becamePrimary = ready.role === 'primary' && !sim.wasPrimary;
    sim.wasPrimary = ready.role === 'primary';
    // As CCF does, a new primary signs at once: nothing commits until a signature of its view does.
    if (becamePrimary) this.#proposeOne(id, true);
  }

  #send(to: string, message: Message): void {
    const from = message.from;
    if (this.#group.size > 0 && this.#group.get(from) !== this.#group.get(to)) return;
    if (this.#random() < this.#dropRate) return;
    const copies = this.#random() < this.#duplicateRate ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      this.#inFlight.push({ deliverAt: this.#now + 1 + Math.floor(this.#random() * this.#delayTicksMax), to, message });
    }
  }

  /** Log matching (Raft §5.3) and committed entries never lost or changed, on every node. */
  #checkLogs(): void {
    for (const id of this.#ids) {
      const { node, disk } = this.#sim(id);
      let prevView = 0;
      for (const entry of node.entries) {
        const created = this.#created.get(`${entry.view}.${entry.seqno}`);
        assert(created !== undefined, `${id} holds ${entry.view}.${entry.seqno}, which nobody proposed`);
        assert.equal(keyOf(entry), created.key, `${id} holds a different entry at ${entry.view}.${entry.seqno}`);
        assert.equal(prevView, created.prevView, `${id}: log matching fails before ${entry.view}.${entry.seqno}`);
        prevView = entry.view;
      }
      assert(node.commitSeqno <= this.#committed.length || node.commitSeqno <= node.entries.length);
      for (let seqno = 1; seqno <= Math.min(node.commitSeqno, this.#committed.length); seqno++) {
        const entry = node.entries[seqno - 1];
        const diskEntry = disk.log[seqno - 1];
        assert(entry !== undefined && diskEntry !== undefined, `${id} lost committed seqno ${seqno}`);
        assert.equal(keyOf(entry), this.#committed[seqno - 1], `${id} changed committed seqno ${seqno}`);
        assert.equal(keyOf(diskEntry), this.#committed[seqno - 1], `${id} disk changed committed seqno ${seqno}`);
      }
    }
  }

  /** The common commit seqno once every node holds the primary's whole log, committed. */
  #converged(): number | undefined {
    const primaries = this.#ids.map((id) => this.#sim(id).node).filter((node) => node.role === 'primary');
    const primary = primaries[0];
    if (primaries.length !== 1 || primary === undefined) return undefined;
    const last = primary.lastTxId;
    if (last.seqno === 0 || primary.commitSeqno !== last.seqno) return undefined;
    for (const id of this.#ids) {
      const sim = this.#sim(id);
      if (sim.node.commitSeqno !== last.seqno || sim.node.lastTxId.view !== last.view || sim.node.lastTxId.seqno !== last.seqno) return undefined;
      if (sim.applied.length !== last.seqno) return undefined;
    }
    for (const id of this.#ids) {
      this.#sim(id).applied.forEach((entry, index) => assert.equal(keyOf(entry), this.#committed[index], `${id} converged on a different log`));
    }
    return last.seqno;
  }

  #shuffle<T>(items: T[]): void {
    for (let index = items.length - 1; index > 0; index--) {
      const other = Math.floor(this.#random() * (index + 1));
      const item = items[index] as T;
      items[index] = items[other] as T;
      items[other] = item;
    }
  }
}
