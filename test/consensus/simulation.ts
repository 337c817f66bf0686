// A deterministic simulation of a Raft cluster in one process (after TigerBeetle's VOPR,
// STYLE.md §11). One seed fixes everything: fault rates, delays, partitions, restarts,
// election timeouts, membership changes. A safety phase runs with faults while invariants
// are checked after every event; a liveness phase heals the network and demands that every
// node of the final configuration converge on the same committed log. A failure reports
// its seed, so `runSimulation({ seed, nodeCount })` replays it exactly.
//
// Membership, drawn per seed: 'static' nodes never change; 'reconfigure' starts with
// nodeCount nodes and changes them during the safety phase; 'bootstrap' starts one node
// as a new service and grows from there. Changes are proposals carrying a configuration,
// one in flight at a time (as the node layer does), and may add and remove several nodes at
// once. New nodes join with an empty log; removed nodes keep running, as CCF asks of a
// retired node until the new configuration has moved on, and may be added back later.
//
// The caller records the commit seqno on disk after applying a Ready; for half the seeds
// it does so only once it has moved by a number of entries, as a ledger's commit marker
// (the end of its last committed chunk) does, so a restarted node may know less than it
// did before its crash.
//
// For half the seeds the nodes compact their logs (raft-log.ts) to a window of 1-8
// entries, and read compacted entries back from their "disk" (RaftNodeOptions.readEntries)
// without the configurations, which consensus must put back. Drawn from a stream of its
// own, it changes nothing else: the same seed makes the same run with or without it.
import assert from 'node:assert/strict';
import { RaftNode, type RaftNodeOptions } from '../../src/consensus/raft-node.js';
import type { Entry, Message } from '../../src/consensus/messages.js';
import type { TxId } from '../../src/ledger/tx-id.js';
import { seededRandom } from '../support/seeded-random.js';

export type Membership = 'static' | 'reconfigure' | 'bootstrap';

export interface SimulationOptions {
  readonly seed: number;
  readonly nodeCount: number;
  readonly safetyTicks?: number;
  readonly livenessTicksMax?: number;
  /** Instead of drawing it from the seed. */
  readonly membership?: Membership;
  /** Instead of drawing it from the seed: a compaction window, or 'off'. */
  readonly entriesInMemoryMax?: number | 'off';
  /** To plant a bug: build nodes some other way. */
  readonly makeNode?: (options: RaftNodeOptions) => RaftNode;
}

export type SimulationResult =
  | {
    readonly ok: true; readonly seed: number; readonly membership: Membership;
    readonly commitSeqno: number; readonly views: number; readonly configurationChanges: number;
    /** The compaction window drawn for the seed; undefined: no compaction. */
    readonly entriesInMemoryMax: number | undefined;
    /** Entries primaries read back from a disk (readEntries) because compaction had dropped them. */
    readonly entriesReadBack: number;
  }
  | { readonly ok: false; readonly seed: number; readonly error: string };

interface Disk {
  view: number;
  votedFor: string | undefined;
  log: Entry[];
  /** What the caller records once it has applied a Ready's committed entries. */
  commitSeqno: number;
}

interface SimNode {
  node: RaftNode;
  readonly initialConfiguration: readonly string[];
  disk: Disk;
  /** Committed entries this node has applied, from seqno 1 (a restart keeps those on disk). */
  applied: Entry[];
  lastCommitSeqno: number;
  wasPrimary: boolean;
  /** The log as last checked: entries still the same objects need no second look. */
  checked: Entry[];
  /** How many of the log's first entries were checked against the committed log. */
  checkedCommitted: number;
  /** The final status (Committed, Invalid) each TxId reached in this incarnation. */
  finals: Map<string, TxStatus>;
}

interface InFlight {
  readonly to: string;
  readonly message: Message;
}

/** CCF's transaction status (its evaluate_tx_status), as GET /node/tx would answer. */
type TxStatus = 'Unknown' | 'Pending' | 'Committed' | 'Invalid';

/** Most nodes one run starts, joiners included. */
const extraNodesMax = 4;
/** Most voting nodes in one configuration. */
const configurationSizeMax = 5;
/** Transaction ids whose status is checked on every node, per step. */
const statusChecksPerStep = 3;
/** Compacted seqnos whose TxId is checked against the disk, per node and step. */
const compactedChecksPerStep = 2;

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();
const keys = new WeakMap<Entry, string>();
/** An entry's identity and content; entries are immutable, so it is computed once. */
function keyOf(entry: Entry): string {
  let key = keys.get(entry);
  if (key === undefined) {
    key = `${entry.view}.${entry.seqno}.${entry.isSignature ? 'S' : 'D'}.${textDecoder.decode(entry.data)}.${entry.configuration?.join(',') ?? ''}`;
    keys.set(entry, key);
  }
  return key;
}

function txStatus(node: RaftNode, txId: TxId): TxStatus {
  const localView = node.txIdAt(txId.seqno)?.view;
  const commitSeqno = node.commitSeqno;
  if (commitSeqno >= txId.seqno) return localView === txId.view ? 'Committed' : 'Invalid';
  if (localView === txId.view) return 'Pending';
  // A later view has committed past an entry of this view: this one can never commit.
  const committedView = node.txIdAt(commitSeqno)?.view ?? assert.fail('commit past the log');
  return committedView > txId.view ? 'Invalid' : 'Unknown';
}

export function runSimulation(options: SimulationOptions): SimulationResult {
  try {
    return new Simulation(options).run();
  } catch (error) {
    return { ok: false, seed: options.seed, error: error instanceof Error ? error.message : String(error) };
  }
}

class Simulation {
  readonly #random: () => number;
  readonly #membership: Membership;
  /** Every node started so far, removed ones included. */
  readonly #ids: string[] = [];
  readonly #nodes = new Map<string, SimNode>();
  /** Messages in flight, by the step that delivers them. */
  readonly #inFlight = new Map<number, InFlight[]>();
  #now = 0;
  #proposals = 0;
  #configurationChanges = 0;
  // Fault rates and change rate, drawn per seed.
  #dropRate: number;
  #duplicateRate: number;
  #delayTicksMax: number;
  readonly #partitionRate: number;
  readonly #restartRate: number;
  readonly #changeRate: number;
  /** The disk records a commit seqno only once it has moved this far (a ledger chunk); 1 for half the seeds. */
  readonly #commitMarkerEntries: number;
  /** RaftNodeOptions.entriesInMemoryMax for every node; undefined (no compaction) for half the seeds. */
  readonly #entriesInMemoryMax: number | undefined;
  #entriesReadBack = 0;
  #group = new Map<string, number>();
  #healAt = 0;
  // What the invariants remember.
  /** Every entry ever proposed, by view.seqno, with the view of the entry before it. */
  readonly #created = new Map<string, { key: string; prevView: number }>();
  /** Every TxId ever proposed, in order, for the status checks. */
  readonly #txIds: TxId[] = [];
  #statusCursor = 0;
  /** Per node (across restarts), the final status each TxId reached there. */
  readonly #finalStatus = new Map<string, Map<string, TxStatus>>();
  /** The final status of each TxId on any node: no other node may reach the other one. */
  readonly #settled = new Map<string, TxStatus>();
  /** The committed log as first reported by any node: never to change. */
  readonly #committed: string[] = [];
  readonly #primaryOfView = new Map<number, string>();

  constructor(readonly options: SimulationOptions) {
    this.#random = seededRandom(options.seed);
    this.#dropRate = this.#random() * 0.2;
    this.#duplicateRate = this.#random() * 0.1;
    this.#delayTicksMax = 1 + Math.floor(this.#random() * 6);
    this.#partitionRate = this.#random() * 0.06;
    this.#restartRate = this.#random() * 0.02;
    const roll = this.#random();
    this.#membership = options.membership ?? (roll < 0.4 ? 'static' : roll < 0.75 ? 'reconfigure' : 'bootstrap');
    this.#changeRate = this.#membership === 'static' ? 0 : 0.01 + this.#random() * 0.04;
    // Its own stream, so that the rest of a seed's run draws as it did without lagging markers.
    const lagRandom = seededRandom(options.seed ^ 0x5a5a5a5a);
    this.#commitMarkerEntries = lagRandom() < 0.5 ? 1 : 2 + Math.floor(lagRandom() * 40);
    const compactionRandom = seededRandom(options.seed ^ 0x3c3c3c3c);
    const window = options.entriesInMemoryMax ?? (compactionRandom() < 0.5 ? 'off' : 1 + Math.floor(compactionRandom() * 8));
    this.#entriesInMemoryMax = window === 'off' ? undefined : window;
    if (this.#membership === 'bootstrap') {
      const id = this.#spawn();
      this.#start(id, [id], true);
    } else {
      const ids = Array.from({ length: options.nodeCount }, () => this.#spawn());
      for (const id of ids) this.#start(id, ids, false);
    }
  }

  run(): SimulationResult {
    const safetyTicks = this.options.safetyTicks ?? 500;
    for (let tick = 0; tick < safetyTicks; tick++) this.#step(true);
    // Liveness: heal everything, stop losing messages and changing nodes, keep some reordering.
    this.#group.clear();
    this.#dropRate = 0;
    this.#duplicateRate = 0;
    this.#delayTicksMax = 2;
    const livenessTicksMax = this.options.livenessTicksMax ?? 400;
    for (let tick = 0; tick < livenessTicksMax; tick++) {
      this.#step(false);
      const converged = this.#converged();
      if (converged !== undefined) {
        return {
          ok: true, seed: this.options.seed, membership: this.#membership, commitSeqno: converged,
          views: this.#primaryOfView.size, configurationChanges: this.#configurationChanges,
          entriesInMemoryMax: this.#entriesInMemoryMax, entriesReadBack: this.#entriesReadBack,
        };
      }
    }
    const state = this.#ids.map((id) => {
      const { node } = this.#sim(id);
      const configurations = node.activeConfigurations.map((configuration) => `[${configuration.join(',')}]`).join('');
      return `${id}:${node.role}@${node.view} last ${node.lastTxId.view}.${node.lastTxId.seqno} commit ${node.commitSeqno} ${configurations}`;
    });
    throw new Error(`no convergence after healing (${this.#membership}): ${state.join(', ')}`);
  }

  #sim(id: string): SimNode {
    const sim = this.#nodes.get(id);
    assert(sim !== undefined);
    return sim;
  }

  /** A new node id; joining mid-partition, it lands on a random side. */
  #spawn(): string {
    const id = `n${this.#ids.length}`;
    this.#ids.push(id);
    this.#finalStatus.set(id, new Map());
    if (this.#group.size > 0) this.#group.set(id, Math.floor(this.#random() * 2));
    return id;
  }

  #start(id: string, initialConfiguration: readonly string[], bootstrap: boolean): void {
    this.#restart(id, initialConfiguration, { view: 0, votedFor: undefined, log: [], commitSeqno: 0 }, bootstrap);
  }

  #restart(id: string, initialConfiguration: readonly string[], disk: Disk, bootstrap = false): void {
    const nodeOptions: RaftNodeOptions = {
      id,
      initialConfiguration,
      electionTimeoutTicks: 10,
      heartbeatTicks: 2,
      random: seededRandom(Math.floor(this.#random() * 2 ** 32)),
      persisted: bootstrap ? undefined : { view: disk.view, votedFor: disk.votedFor, log: [...disk.log], commitSeqno: disk.commitSeqno },
      bootstrap: bootstrap ? true : undefined,
      ...(this.#entriesInMemoryMax === undefined ? {} : { entriesInMemoryMax: this.#entriesInMemoryMax, readEntries: (from: number, to: number) => this.#readBack(disk, from, to) }),
    };
    const node = this.options.makeNode?.(nodeOptions) ?? new RaftNode(nodeOptions);
    const applied = disk.log.slice(0, disk.commitSeqno);
    this.#nodes.set(id, {
      node, initialConfiguration, disk, applied,
      lastCommitSeqno: disk.commitSeqno, wasPrimary: false, checked: [], checkedCommitted: 0, finals: new Map(),
    });
    this.#handleReady(id);
  }

  /**
   * A node's readEntries: from its disk, as a ledger would give them, without the
   * configurations (consensus puts them back). Entries here are small: never cut by bytes.
   */
  #readBack(disk: Disk, from: number, to: number): Entry[] {
    assert(from >= 1 && from <= to && to <= disk.log.length, `read back ${from}..${to} outside the disk's 1..${disk.log.length}`);
    const entries = disk.log.slice(from - 1, to).map(({ view, seqno, isSignature, data }) => ({ view, seqno, isSignature, data }));
    this.#entriesReadBack += entries.length;
    return entries;
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
    const due = this.#inFlight.get(this.#now) ?? [];
    this.#inFlight.delete(this.#now);
    this.#shuffle(due);
    for (const flight of due) {
      this.#sim(flight.to).node.step(flight.message);
      this.#handleReady(flight.to);
    }
    this.#checkLogs();
    this.#checkTxStatus();
  }

  #maybeFault(): void {
    if (this.#group.size > 0 && this.#now >= this.#healAt) this.#group.clear();
    if (this.#group.size === 0 && this.#random() < this.#partitionRate) {
      for (const id of this.#ids) this.#group.set(id, Math.floor(this.#random() * 2));
      this.#healAt = this.#now + 5 + Math.floor(this.#random() * 60);
    }
    if (this.#random() < this.#restartRate) {
      // A crash loses volatile state (role, unsent messages); the disk stays.
      const id = this.#ids[Math.floor(this.#random() * this.#ids.length)] ?? assert.fail();
      const { disk, initialConfiguration } = this.#sim(id);
      for (const [at, flights] of this.#inFlight) this.#inFlight.set(at, flights.filter((flight) => flight.message.from !== id));
      this.#restart(id, initialConfiguration, disk);
    }
  }

  #propose(id: string, faults: boolean): void {
    const { node } = this.#sim(id);
    if (faults && this.#random() < this.#changeRate && node.activeConfigurations.length === 1) this.#changeConfiguration(id);
    if (faults && this.#random() < 0.3) this.#proposeOne(id, false);
    const lastSigned = node.lastSignedTxId;
    const unsigned = lastSigned.seqno !== node.lastTxId.seqno || lastSigned.view !== node.view;
    if (unsigned && (!faults || this.#random() < 0.2)) this.#proposeOne(id, true);
    this.#handleReady(id);
  }

  /**
   * Keeps each node with some chance and adds others, so several may come and go at once.
   * An added node is a fresh joiner or one that left before, back with its old log.
   */
  #changeConfiguration(id: string): void {
    const { node } = this.#sim(id);
    const current = node.activeConfigurations[0] ?? assert.fail();
    const next = current.filter(() => this.#random() < 0.75);
    const target = this.options.nodeCount;
    while (next.length < configurationSizeMax && (next.length === 0 || this.#random() < (next.length < target ? 0.8 : 0.25))) {
      const returning = this.#ids.filter((other) => !current.includes(other) && !next.includes(other));
      const canSpawn = this.#ids.length < this.options.nodeCount + extraNodesMax;
      if (returning.length > 0 && (!canSpawn || this.#random() < 0.5)) {
        next.push(returning[Math.floor(this.#random() * returning.length)] ?? assert.fail());
      } else if (canSpawn) {
        const joiner = this.#spawn();
        this.#start(joiner, [], false);
        next.push(joiner);
      } else {
        break;
      }
    }
    if (next.length === 0 || (next.length === current.length && next.every((node) => current.includes(node)))) return;
    this.#configurationChanges++;
    this.#proposeOne(id, false, next);
  }

  #proposeOne(id: string, isSignature: boolean, change?: readonly string[]): void {
    const { node } = this.#sim(id);
    const prevView = node.lastTxId.view;
    // As CCF's genesis does, a service's first entry names its nodes, so that a joiner
    // (whose initial configuration is empty) learns one from the first commit it hears of.
    const configuration = change ?? (node.lastTxId.seqno === 0 && this.#membership !== 'static' ? node.activeConfigurations[0] : undefined);
    const data = textEncoder.encode(`p${++this.#proposals}`);
    const txId = node.propose(data, isSignature, configuration);
    assert(txId !== undefined, 'a primary accepts proposals');
    const key = keyOf(configuration === undefined ? { ...txId, isSignature, data } : { ...txId, isSignature, data, configuration });
    assert(!this.#created.has(`${txId.view}.${txId.seqno}`), `TxId ${txId.view}.${txId.seqno} proposed twice`);
    this.#created.set(`${txId.view}.${txId.seqno}`, { key, prevView });
    this.#txIds.push(txId);
  }

  /** Does what a node's caller does with its Readies, checking invariants on the way. */
  #handleReady(id: string): void {
    const sim = this.#sim(id);
    const { node, disk } = sim;
    while (node.hasReady()) {
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
      if (ready.commitSeqno - disk.commitSeqno >= this.#commitMarkerEntries) disk.commitSeqno = ready.commitSeqno;
      if (ready.role === 'primary') {
        const other = this.#primaryOfView.get(node.view);
        assert(other === undefined || other === id, `two primaries in view ${node.view}: ${other} and ${id}`);
        this.#primaryOfView.set(node.view, id);
      }
      node.advance();
      const becamePrimary = ready.role === 'primary' && !sim.wasPrimary;
      sim.wasPrimary = ready.role === 'primary';
      // As CCF does, a new primary signs at once: nothing commits until a signature of its view does.
      if (becamePrimary && node.role === 'primary') this.#proposeOne(id, true);
    }
    assert(disk.commitSeqno <= node.commitSeqno, `${id}: the disk records commit ${disk.commitSeqno}, past the node's ${node.commitSeqno}`);
    if (this.#commitMarkerEntries === 1) assert.equal(disk.commitSeqno, node.commitSeqno, `${id}: a commit not yet recorded on disk`);
  }

  #send(to: string, message: Message): void {
    const from = message.from;
    if (this.#group.size > 0 && this.#group.get(from) !== this.#group.get(to)) return;
    if (this.#random() < this.#dropRate) return;
    const copies = this.#random() < this.#duplicateRate ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const at = this.#now + 1 + Math.floor(this.#random() * this.#delayTicksMax);
      const flights = this.#inFlight.get(at);
      if (flights === undefined) this.#inFlight.set(at, [{ to, message }]);
      else flights.push({ to, message });
    }
  }

  /**
   * Log matching (Raft §5.3) and committed entries never lost or changed, on every node, in
   * memory and on disk. Entries are immutable and shared, so one still the same object as
   * at the last check has been checked already. Where compaction dropped an entry from
   * memory (only at or below the commit seqno: asserted), the disk's copy is checked, and
   * consensus's TxId for it; a few compacted TxIds per step are checked again, as later
   * compactions and rollbacks must leave them alone.
   */
  #checkLogs(): void {
    for (const id of this.#ids) {
      const sim = this.#sim(id);
      const { node } = sim;
      const disk = sim.disk.log;
      const last = node.lastTxId.seqno;
      const firstInMemory = node.firstSeqnoInMemory;
      assert.equal(last, disk.length, `${id}: the log in memory and on disk differ in length`);
      assert(last >= sim.checkedCommitted, `${id} lost committed seqno ${last + 1}`);
      assert(firstInMemory <= node.commitSeqno + 1, `${id} dropped uncommitted entries from memory: holds ${firstInMemory}..${last}, commit ${node.commitSeqno}`);
      assert(this.#entriesInMemoryMax !== undefined || firstInMemory === 1, `${id} compacted without a window`);
      for (let index = 0; index < last; index++) {
        const inMemory = node.entryAt(index + 1);
        const entry = inMemory ?? (disk[index] as Entry);
        if (entry === sim.checked[index]) continue;
        assert(inMemory === undefined ? index + 1 < firstInMemory : entry === disk[index], `${id}: the log in memory and on disk differ at seqno ${index + 1}`);
        assert.equal(node.txIdAt(index + 1)?.view, entry.view, `${id}: consensus's TxId at seqno ${index + 1} differs from the entry's`);
        const created = this.#created.get(`${entry.view}.${entry.seqno}`);
        assert(created !== undefined, `${id} holds ${entry.view}.${entry.seqno}, which nobody proposed`);
        assert.equal(keyOf(entry), created.key, `${id} holds a different entry at ${entry.view}.${entry.seqno}`);
        assert.equal(node.txIdAt(index)?.view, created.prevView, `${id}: log matching fails before ${entry.view}.${entry.seqno}`);
        if (index < sim.checkedCommitted) assert.equal(keyOf(entry), this.#committed[index], `${id} changed committed seqno ${index + 1}`);
        sim.checked[index] = entry;
      }
      sim.checked.length = last;
      for (let check = 0; check < compactedChecksPerStep && firstInMemory > 1; check++) {
        const seqno = 1 + ((this.#now * 7919 + check * 104_729) % (firstInMemory - 1));
        const view = node.txIdAt(seqno)?.view;
        assert(view === disk[seqno - 1]?.view && view === sim.checked[seqno - 1]?.view, `${id}: compacted seqno ${seqno} changed its TxId`);
      }
      const committed = Math.min(node.commitSeqno, this.#committed.length);
      for (; sim.checkedCommitted < committed; sim.checkedCommitted++) {
        const entry = sim.checked[sim.checkedCommitted] as Entry;
        assert.equal(keyOf(entry), this.#committed[sim.checkedCommitted], `${id} changed committed seqno ${sim.checkedCommitted + 1}`);
      }
    }
  }

  /**
   * Transaction status as docs/consistency.md promises: once Committed or Invalid on a
   * node it stays so there; after a restart whose disk's commit seqno lagged, Committed may
   * read Pending and Invalid Unknown until the commit is learnt again, never the other
   * final status; no TxId is Committed on one node and Invalid on another. A few TxIds per
   * step, in turn, on every node.
   */
  #checkTxStatus(): void {
    const count = Math.min(statusChecksPerStep, this.#txIds.length);
    for (let check = 0; check < count; check++) {
      const txId = this.#txIds[this.#statusCursor++ % this.#txIds.length] ?? assert.fail();
      const key = `${txId.view}.${txId.seqno}`;
      for (const id of this.#ids) {
        const sim = this.#sim(id);
        const seen = this.#finalStatus.get(id) ?? assert.fail();
        const status = txStatus(sim.node, txId);
        const before = sim.finals.get(key);
        const earlier = seen.get(key);
        if (before !== undefined) {
          assert.equal(status, before, `${id}: TxId ${key} went from ${before} to ${status}`);
        } else if (earlier !== undefined && status !== earlier) {
          assert(this.#commitMarkerEntries > 1, `${id}: TxId ${key} was ${earlier} before a restart and is ${status} after it, though the disk recorded every commit`);
          assert.equal(status, earlier === 'Committed' ? 'Pending' : 'Unknown', `${id}: TxId ${key} was ${earlier} before a restart`);
        }
        if (status === 'Committed' || status === 'Invalid') {
          sim.finals.set(key, status);
          seen.set(key, status);
          const settled = this.#settled.get(key);
          assert(settled === undefined || settled === status, `TxId ${key} is ${settled} on one node and ${status} on another`);
          this.#settled.set(key, status);
        }
      }
    }
  }

  /** The common commit seqno once every node of the one configuration holds the primary's whole log, committed. */
  #converged(): number | undefined {
    const primaries = this.#ids.map((id) => this.#sim(id).node).filter((node) => node.role === 'primary');
    const primary = primaries[0];
    if (primaries.length !== 1 || primary === undefined) return undefined;
    const last = primary.lastTxId;
    const [configuration, ...later] = primary.activeConfigurations;
    if (last.seqno === 0 || primary.commitSeqno !== last.seqno || configuration === undefined || later.length > 0) return undefined;
    for (const id of configuration) {
      const sim = this.#sim(id);
      if (sim.node.commitSeqno !== last.seqno || sim.node.lastTxId.view !== last.view || sim.node.lastTxId.seqno !== last.seqno) return undefined;
      if (sim.applied.length !== last.seqno) return undefined;
    }
    for (const id of configuration) {
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
