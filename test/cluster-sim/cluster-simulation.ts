// The whole cluster under a seeded scheduler, after TigerBeetle's VOPR: N replicas
// (src/node/replica.ts: store, history, chunked ledger and Raft together) in one process,
// each with its own MemoryLedgerFiles and hard-state record, exchanging encoded messages
// over a simulated network. One seed fixes everything: fault rates, clock rates, the
// membership plan, every loss, delay, partition, crash, torn write and client request, so
// `runClusterSimulation(identities, { seed, nodeCount })` replays a run exactly.
//
// The service starts as a real one does: node 0 bootstraps alone and commits genesis, a
// privileged transaction writing the nodes map (every node at once, or only itself);
// the others start with empty ledgers and learn their configuration from it. Membership
// then changes only through transactions on the nodes map, one change in flight at a time.
// A safety phase runs with faults while checker.ts checks its invariants: messages lost,
// delayed, reordered and duplicated (network.ts), symmetric partitions and one-way cut
// links, clocks ticking at different rates, crashes (half of them power cuts that tear
// unsynced ledger bytes) with restarts from the ledger files and the hard-state record,
// and crashes right after a vote is persisted, restarted at once. A liveness phase heals
// everything, restarts every crashed node, trusts every node, and demands that all nodes
// converge on one committed log and one state, with a new transaction committed.
//
// Consensus reads compacted entries back from each node's ledger (ledger-entry-source.ts),
// as a real node does; for half the seeds its in-memory window is 1-8 entries, so backups
// that fall behind are caught up from the ledger, and restarts keep only the window of
// the replayed log (a seed's other draws do not depend on this one).
import assert from 'node:assert/strict';
import { RaftNode, type RaftNodeOptions } from '../../src/consensus/raft-node.js';
import type { Entry } from '../../src/consensus/messages.js';
import type { HardState } from '../../src/consensus/ready.js';
import { NODES_MAP, type NodeInfo, type NodeStatus } from '../../src/gov/service-maps.js';
import { configurationChange, votingNodes } from '../../src/gov/voting-nodes.js';
import { Store } from '../../src/kv/store.js';
import { ChunkedLedger } from '../../src/ledger/chunked-ledger.js';
import { entryWriteSet } from '../../src/ledger/entry.js';
import { LedgerSecret } from '../../src/ledger/ledger-secret.js';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import type { NodeSigner, SignatureRecord } from '../../src/ledger/signature.js';
import { TxHistory } from '../../src/ledger/tx-history.js';
import { formatTxId, type TxId } from '../../src/ledger/tx-id.js';
import { ledgerEntrySource } from '../../src/node/ledger-entry-source.js';
import { Replica } from '../../src/node/replica.js';
import { seededRandom } from '../support/seeded-random.js';
import { Checker, type CheckerStats, type ReplicaParts } from './checker.js';
import type { ClusterIdentities } from './identities.js';
import { Network } from './network.js';

/**
 * 'genesis': genesis trusts every node; 'one-by-one': genesis trusts node 0 and its
 * primaries add the others one transaction at a time; 'churn': the same, and nodes are
 * also retired and trusted again while faults go on.
 */
export type Membership = 'genesis' | 'one-by-one' | 'churn';

export interface ClusterSimulationOptions {
  readonly seed: number;
  /** 3 or 5 (at most identities.nodes.length). */
  readonly nodeCount: number;
  readonly safetySteps?: number;
  readonly livenessStepsMax?: number;
  /** Instead of drawing it from the seed. */
  readonly membership?: Membership;
  /** Instead of drawing it from the seed: a compaction window, or 'default' (limits.ts). */
  readonly entriesInMemoryMax?: number | 'default';
  /** To plant a bug: build Raft nodes some other way. */
  readonly makeRaft?: (options: RaftNodeOptions) => RaftNode;
  /** To plant a bug: build stores some other way. */
  readonly makeStore?: () => Store;
  /** To plant a bug: give nodes other ledger files. */
  readonly makeFiles?: () => MemoryLedgerFiles;
}

export interface ClusterSimulationStats extends CheckerStats {
  readonly membership: Membership;
  commitSeqno: number;
  views: number;
  clientTx: number;
  membershipTx: number;
  crashes: number;
  /** Crashes that lost unsynced bytes, as a power cut does. */
  tornCrashes: number;
  lostBytes: number;
  /** Client writes a primary refused at the uncommitted-entries limit (drawn small for half the seeds). */
  writesRefusedAtLimit: number;
  /** Restarts whose ledger ended in a torn frame that ChunkedLedger.open cut. */
  tornTails: number;
  /** RaftNode's entriesInMemoryMax: 1-8 for half the seeds, else the default (limits.ts). */
  entriesInMemoryMax: number | undefined;
  /** Entries primaries read back from their ledgers for backups, compaction having dropped them from memory. */
  entriesReadFromLedger: number;
  messages: number;
  messagesLost: number;
  livenessSteps: number;
}

export type ClusterSimulationResult =
  | { readonly ok: true; readonly seed: number; readonly stats: ClusterSimulationStats }
  | { readonly ok: false; readonly seed: number; readonly error: string; readonly stack: string | undefined; readonly stats: ClusterSimulationStats };

const electionTimeoutTicks = 10;
const heartbeatTicks = 2;
/** Client keys are drawn from this many, so writes overwrite each other. */
const keySpace = 24;
const stateCheckEverySteps = 8;
const PRIVATE_VALUES = 'private:values';
const PUBLIC_WRITES = 'public:writes';
const receiptsPerCheck = 6;

interface SimNode {
  readonly label: string;
  readonly signer: NodeSigner;
  readonly initialConfiguration: readonly string[];
  /** What survives a crash: the ledger files and the hard-state record. */
  readonly files: MemoryLedgerFiles;
  hardState: HardState;
  /** The running incarnation; undefined while crashed. */
  parts: ReplicaParts | undefined;
  restartAt: number;
  /** It just made a vote durable and will crash at the end of this step. */
  crashSoon: boolean;
  /** Ticks per step: clocks run at different rates. */
  readonly tickRate: number;
  tickCredit: number;
}

export function runClusterSimulation(identities: ClusterIdentities, options: ClusterSimulationOptions): ClusterSimulationResult {
  const simulation = new ClusterSimulation(identities, options);
  try {
    simulation.run();
    return { ok: true, seed: options.seed, stats: simulation.stats };
  } catch (error) {
    // The first line: node's assert adds a diff that the stack still carries.
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    const stack = error instanceof Error ? error.stack : undefined;
    return { ok: false, seed: options.seed, error: `${simulation.where}: ${message}`, stack, stats: simulation.stats };
  }
}

class ClusterSimulation {
  readonly #stats: Omit<ClusterSimulationStats, keyof CheckerStats | 'commitSeqno' | 'views' | 'messages' | 'messagesLost'>;
  readonly #options: ClusterSimulationOptions;
  readonly #random: () => number;
  readonly #checker: Checker;
  readonly #network: Network;
  readonly #nodes: SimNode[] = [];
  readonly #byId = new Map<string, SimNode>();
  /** The ledger secret every node holds; each process has its own LedgerSecret object, which remembers the last IV it sealed with. */
  readonly #secretBytes: Buffer;
  #now = 0;
  #phase: 'genesis' | 'safety' | 'liveness' = 'genesis';
  #writes = 0;
  /** What each client transaction wrote, by TxId, to rebuild the state its committed ones make. */
  readonly #written = new Map<string, { key: number; count: number; value: string }>();
  /** The last client transaction of the liveness phase: one must commit. */
  #livenessTx: TxId | undefined;
  // Drawn per seed.
  readonly #partitionRate: number;
  readonly #cutRate: number;
  readonly #crashRate: number;
  /** Chance that a node crashes right after persisting a vote: the moment a vote must survive. */
  readonly #crashAfterVoteRate: number;
  readonly #writeRate: number;
  readonly #signRate: number;
  readonly #changeRate: number;
  readonly #signatureIntervalTx: number;
  readonly #chunkBytesTarget: number;
  /** RaftNode's uncommittedEntriesMax: small for half the seeds, so that primaries reach it. */
  readonly #uncommittedEntriesMax: number | undefined;

  constructor(identities: ClusterIdentities, options: ClusterSimulationOptions) {
    assert(options.nodeCount >= 1 && options.nodeCount <= identities.nodes.length, `nodeCount must be 1..${identities.nodes.length}`);
    this.#options = options;
    this.#random = seededRandom(options.seed);
    const roll = this.#random();
    const membership = options.membership ?? (roll < 0.35 ? 'genesis' : roll < 0.7 ? 'one-by-one' : 'churn');
    this.#stats = {
      membership, clientTx: 0, membershipTx: 0, crashes: 0, tornCrashes: 0, lostBytes: 0, writesRefusedAtLimit: 0, tornTails: 0, livenessSteps: 0,
      entriesInMemoryMax: undefined, entriesReadFromLedger: 0,
    };
    // Its own stream, so that the rest of a seed's run draws as it did before compaction.
    const compactionRandom = seededRandom(options.seed ^ 0x3c3c3c3c);
    const window = options.entriesInMemoryMax ?? (compactionRandom() < 0.5 ? 'default' : 1 + Math.floor(compactionRandom() * 8));
    if (window !== 'default') this.#stats.entriesInMemoryMax = window;
    this.#network = new Network(this.#random, {
      dropRate: this.#random() * 0.15,
      duplicateRate: this.#random() * 0.1,
      delayStepsMax: 1 + Math.floor(this.#random() * 5),
    });
    this.#partitionRate = this.#random() * 0.06;
    this.#cutRate = this.#random() * 0.03;
    this.#crashRate = this.#random() * 0.025;
    this.#crashAfterVoteRate = this.#random() < 0.5 ? 0 : this.#random() * 0.5;
    // Few entries per step: the faults, not the volume, find bugs, and every entry costs
    // each node a decryption (and a signature an ECDSA verification), again at each restart.
    this.#writeRate = 0.05 + this.#random() * 0.3;
    this.#signRate = 0.05 + this.#random() * 0.25;
    this.#changeRate = membership === 'genesis' ? 0 : 0.02 + this.#random() * 0.06;
    this.#signatureIntervalTx = this.#random() < 0.3 ? 0 : 1 + Math.floor(this.#random() * 8);
    this.#chunkBytesTarget = 1000 + Math.floor(this.#random() * 4000);
    this.#uncommittedEntriesMax = this.#random() < 0.5 ? undefined : 1 + Math.floor(this.#random() * 32);
    const skew = this.#random() < 0.5 ? 0 : this.#random() * 0.5;
    this.#secretBytes = Buffer.from(Array.from({ length: 32 }, () => Math.floor(this.#random() * 256)));
    this.#checker = new Checker(identities.serviceCertificate, this.#random);

    identities.nodes.slice(0, options.nodeCount).forEach((signer, index) => {
      const node: SimNode = {
        label: `n${index}`, signer,
        initialConfiguration: index === 0 ? [signer.nodeId] : [],
        files: options.makeFiles?.() ?? new MemoryLedgerFiles(),
        hardState: { view: 0, votedFor: undefined },
        parts: undefined, restartAt: 0, crashSoon: false,
        tickRate: 1 + (this.#random() * 2 - 1) * skew, tickCredit: this.#random(),
      };
      this.#nodes.push(node);
      this.#byId.set(signer.nodeId, node);
    });
  }

  get stats(): ClusterSimulationStats {
    return {
      ...this.#stats, ...this.#checker.stats,
      commitSeqno: this.#checker.committedSeqno, views: this.#checker.views, messages: this.#network.sent, messagesLost: this.#network.lost,
    };
  }

  get where(): string {
    return `seed ${this.#options.seed}, ${this.#phase} step ${this.#now}`;
  }

  run(): void {
    this.#startService();
    for (const node of this.#nodes.slice(1)) this.#boot(node);
    this.#phase = 'safety';
    const safetySteps = this.#options.safetySteps ?? 300;
    for (let step = 0; step < safetySteps; step++) this.#step();
    this.#checkAllStates();
    this.#checker.checkReceipts(this.#running(), receiptsPerCheck);

    this.#phase = 'liveness';
    this.#network.heal(this.#now, true);
    this.#network.faults = { dropRate: 0, duplicateRate: 0, delayStepsMax: 2 };
    for (const node of this.#nodes) if (node.parts === undefined) this.#boot(node);
    const livenessStepsMax = this.#options.livenessStepsMax ?? 500;
    for (let step = 0; step < livenessStepsMax; step++) {
      this.#step();
      this.#stats.livenessSteps++;
      if (this.#converged()) {
        this.#checkConverged();
        return;
      }
    }
    const state = this.#nodes.map((node) => {
      const parts = this.#parts(node);
      const last = parts.raft.lastTxId;
      const configurations = parts.raft.activeConfigurations.map((nodes) => `[${nodes.map((id) => this.#label(id)).join(',')}]`).join('');
      return `${node.label}:${parts.replica.role}@${parts.replica.view} last ${last.view}.${last.seqno} commit ${parts.replica.commitSeqno} ${configurations}`;
    });
    assert.fail(`no convergence after healing: ${state.join('; ')}`);
  }

  /** Node 0 alone, primary at view 1, commits genesis and signs it. */
  #startService(): void {
    const first = this.#nodes[0] as SimNode;
    this.#checker.started(first.label);
    const ledger = ChunkedLedger.open(first.files, { chunkBytesTarget: this.#chunkBytesTarget }).ledger;
    const options: RaftNodeOptions = { ...this.#raftOptions(first, ledger), bootstrap: true };
    const raft = this.#options.makeRaft?.(options) ?? new RaftNode(options);
    const parts = this.#assemble(first, raft, ledger, this.#newStore(), new TxHistory(new LedgerSecret(this.#secretBytes)), []);
    const genesis = parts.store.begin({ privileged: true });
    for (const node of this.#stats.membership === 'genesis' ? this.#nodes : [first]) genesis.map<string, NodeInfo>(NODES_MAP).set(node.signer.nodeId, this.#nodeInfo(node, 'Trusted'));
    const result = genesis.commit();
    assert(result.status === 'committed', 'genesis commits');
    this.#checker.ran(parts.replica.committed(result.writeSet));
    this.#stats.membershipTx++;
    // Unless signatureIntervalTx 1 signed it already.
    if (parts.replica.signatureDue) parts.replica.sign();
    this.#drain(first);
  }

  /**
   * Starts a node from what it has durably, as a restarted process would: the ledger
   * (ChunkedLedger.open cuts a torn tail) replayed into a fresh history and store, and the
   * Raft state from the hard-state record, the ledger's entries and its commit marker.
   * Consensus reads the replayed entries one by one as they are made (a generator), and
   * keeps only its window of them.
   */
  #boot(node: SimNode): void {
    this.#checker.started(node.label);
    const { ledger, recovery } = ChunkedLedger.open(node.files, { chunkBytesTarget: this.#chunkBytesTarget });
    if (recovery.truncatedTail !== undefined) this.#stats.tornTails++;
    const store = this.#newStore();
    const history = new TxHistory(new LedgerSecret(this.#secretBytes));
    const signatures: SignatureRecord[] = [];
    function* replay(): Generator<Entry> {
      for (const { seqno, entry, isSignature } of ledger.entries()) {
        const recorded = history.recordEntry(entry);
        const writeSet = entryWriteSet(recorded);
        store.apply(writeSet);
        const configuration = configurationChange(store, writeSet);
        const { view } = recorded.header;
        if (recorded.signature !== undefined) signatures.push(recorded.signature);
        yield configuration === undefined ? { view, seqno, isSignature, data: entry } : { view, seqno, isSignature, data: entry, configuration };
      }
    }
    const { view, votedFor } = node.hardState;
    const options: RaftNodeOptions = { ...this.#raftOptions(node, ledger), persisted: { view, votedFor, log: replay(), commitSeqno: ledger.commitSeqno } };
    const raft = this.#options.makeRaft?.(options) ?? new RaftNode(options);
    assert(store.version === ledger.lastSeqno, `${node.label}: consensus did not read the whole ledger at restart`);
    store.compact(ledger.commitSeqno);
    this.#assemble(node, raft, ledger, store, history, signatures);
    this.#drain(node);
  }

  #raftOptions(node: SimNode, ledger: ChunkedLedger): RaftNodeOptions {
    const readFromLedger = ledgerEntrySource(ledger);
    return {
      id: node.signer.nodeId,
      initialConfiguration: node.initialConfiguration,
      electionTimeoutTicks,
      heartbeatTicks,
      random: seededRandom(Math.floor(this.#random() * 2 ** 32)),
      readEntries: (from, to, bytesMax) => {
        const entries = readFromLedger(from, to, bytesMax);
        this.#stats.entriesReadFromLedger += entries.length;
        return entries;
      },
      ...(this.#stats.entriesInMemoryMax === undefined ? {} : { entriesInMemoryMax: this.#stats.entriesInMemoryMax }),
      ...(this.#uncommittedEntriesMax === undefined ? {} : { uncommittedEntriesMax: this.#uncommittedEntriesMax }),
    };
  }

  #assemble(node: SimNode, raft: RaftNode, ledger: ChunkedLedger, store: Store, history: TxHistory, signatures: SignatureRecord[]): ReplicaParts {
    const replica = new Replica({
      store, history, ledger, raft, signatures,
      signer: node.signer,
      signatureIntervalTx: this.#signatureIntervalTx,
      persistHardState: (state) => {
        node.hardState = state;
        if (this.#phase === 'safety' && state.votedFor !== undefined && this.#random() < this.#crashAfterVoteRate) node.crashSoon = true;
      },
    });
    node.parts = { replica, raft, store, history, ledger };
    return node.parts;
  }

  #newStore(): Store {
    return this.#options.makeStore?.() ?? new Store();
  }

  #step(): void {
    this.#now++;
    if (this.#phase === 'safety') this.#fault();
    for (const node of this.#nodes) {
      if (node.parts === undefined) continue;
      node.tickCredit += node.tickRate;
      for (; node.tickCredit >= 1; node.tickCredit--) {
        node.parts.replica.tick();
        this.#drain(node);
      }
    }
    for (const node of this.#nodes) if (node.parts?.replica.role === 'primary') this.#client(node);
    for (const { to, message } of this.#network.deliver(this.#now)) {
      const node = this.#byId.get(to);
      assert(node !== undefined, `a message to unknown node ${to}`);
      if (node.parts === undefined) continue;
      node.parts.replica.step(message);
      this.#drain(node);
    }
    for (const node of this.#nodes) {
      if (node.crashSoon && node.parts !== undefined) {
        // A supervisor restarts it at once: the vote must have survived.
        this.#crash(node);
        this.#boot(node);
      }
      node.crashSoon = false;
    }
    this.#checker.checkStatuses(this.#running());
    if (this.#now % stateCheckEverySteps === 0) {
      for (const node of this.#nodes) if (node.parts !== undefined) this.#checker.checkState(node.label, node.parts);
    }
  }

  /** Does what each Ready asks (replica.ts), sends its messages, then checks the node. */
  #drain(node: SimNode): void {
    const parts = this.#parts(node);
    while (parts.replica.hasReady()) {
      for (const { to, message } of parts.replica.processReady()) this.#network.send(this.#now, node.signer.nodeId, to, message);
    }
    this.#checker.observe(node.label, parts);
  }

  #fault(): void {
    this.#network.heal(this.#now);
    const ids = this.#nodes.map((node) => node.signer.nodeId);
    if (!this.#network.partitioned && this.#random() < this.#partitionRate) this.#network.partition(ids, this.#now + 5 + Math.floor(this.#random() * 50));
    if (this.#random() < this.#cutRate) {
      const from = this.#pick(ids);
      const to = this.#pick(ids.filter((id) => id !== from));
      if (from !== undefined && to !== undefined) this.#network.cutLink(from, to, this.#now + 5 + Math.floor(this.#random() * 40));
    }
    if (this.#random() < this.#crashRate) {
      const node = this.#pick(this.#nodes.filter((candidate) => candidate.parts !== undefined));
      if (node !== undefined) {
        this.#crash(node);
        node.restartAt = this.#now + 1 + Math.floor(this.#random() * 30);
      }
    }
    for (const node of this.#nodes) if (node.parts === undefined && this.#now >= node.restartAt) this.#boot(node);
  }

  /**
   * The process dies: its memory (buffered ledger frames, unsent messages, Raft state) is
   * gone. Half the time the machine loses power too, and the files keep only a random
   * prefix of what was never synced: a torn write.
   */
  #crash(node: SimNode): void {
    node.parts = undefined;
    this.#stats.crashes++;
    if (this.#random() < 0.5) {
      this.#stats.tornCrashes++;
      for (const loss of node.files.crash(this.#random)) this.#stats.lostBytes += loss.lostBytes;
    }
  }

  /**
   * What arrives at a primary: client writes (each only if writesRefused() allows it,
   * as the RPC layer checks), the signature timer (whenever a signature is due: at the
   * uncommitted-entries limit too), and governance changing the nodes map.
   */
  #client(node: SimNode): void {
    const { replica } = this.#parts(node);
    const liveness = this.#phase === 'liveness';
    // Once healed, a write until one commits (one rolled back by an election does not count).
    const writes = liveness
      ? (this.#livenessTx === undefined || replica.txStatus(this.#livenessTx) === 'Invalid' ? 1 : 0)
      : (this.#random() < this.#writeRate ? 1 + Math.floor(this.#random() * 3) : 0);
    for (let write = 0; write < writes; write++) this.#write(node);
    if (liveness || this.#random() < this.#changeRate) this.#changeMembership(node);
    if (replica.signatureDue && (liveness || this.#random() < this.#signRate)) replica.sign();
    this.#drain(node);
  }

  #write(node: SimNode): void {
    const { replica, store } = this.#parts(node);
    if (replica.writesRefused() !== undefined) {
      // Only a primary's clients write here: it refuses only at the uncommitted-entries limit.
      this.#stats.writesRefusedAtLimit++;
      return;
    }
    const count = ++this.#writes;
    const key = Math.floor(this.#random() * keySpace);
    const value = `value ${count} from ${node.label}`;
    const tx = store.begin();
    tx.map<number, string>(PRIVATE_VALUES).set(key, value);
    tx.map<number, number>(PUBLIC_WRITES).set(key, count);
    const result = tx.commit();
    assert(result.status === 'committed', 'a blind write commits');
    const txId = replica.committed(result.writeSet);
    assert(txId.seqno === result.version && txId.view === replica.view, `${node.label}: write ${result.version} got TxId ${formatTxId(txId)}`);
    this.#checker.ran(txId);
    this.#written.set(formatTxId(txId), { key, count, value });
    this.#stats.clientTx++;
    if (this.#phase === 'liveness') this.#livenessTx = txId;
  }

  /**
   * One change to the nodes map, if none is in flight: trust a node not yet trusted, or
   * (churn) retire a trusted one. In the liveness phase, only trust, until all are.
   */
  #changeMembership(node: SimNode): void {
    const { replica, raft, store } = this.#parts(node);
    if (raft.activeConfigurations.length !== 1 || replica.writesRefused() !== undefined) return;
    const trusted = votingNodes(store);
    const untrusted = this.#nodes.filter((other) => !trusted.includes(other.signer.nodeId));
    const liveness = this.#phase === 'liveness';
    let change: { node: SimNode; status: NodeStatus } | undefined;
    if (untrusted.length > 0 && (liveness || this.#stats.membership !== 'churn' || this.#random() < 0.5)) {
      change = { node: this.#pick(untrusted) as SimNode, status: 'Trusted' };
    } else if (!liveness && this.#stats.membership === 'churn' && trusted.length > 1) {
      change = { node: this.#byId.get(this.#pick(trusted) as string) as SimNode, status: 'Retired' };
    }
    if (change === undefined) return;
    const tx = store.begin({ privileged: true });
    tx.map<string, NodeInfo>(NODES_MAP).set(change.node.signer.nodeId, this.#nodeInfo(change.node, change.status));
    const result = tx.commit();
    assert(result.status === 'committed', 'a nodes map write commits');
    this.#checker.ran(replica.committed(result.writeSet));
    this.#stats.membershipTx++;
  }

  #nodeInfo(node: SimNode, status: NodeStatus): NodeInfo {
    return { status, cert: node.signer.certificate, rpc_address: `${node.label}.sim:8000`, node_to_node_address: `${node.label}.sim:8001` };
  }

  /** One primary, every node a voter in its only configuration, all holding its whole log, committed. */
  #converged(): boolean {
    const primaries = this.#nodes.filter((node) => this.#parts(node).replica.role === 'primary');
    const primary = primaries[0];
    if (primaries.length !== 1 || primary === undefined || this.#livenessTx === undefined) return false;
    const { raft, replica } = this.#parts(primary);
    const [configuration, ...later] = raft.activeConfigurations;
    if (later.length > 0 || configuration?.length !== this.#nodes.length) return false;
    if (replica.txStatus(this.#livenessTx) !== 'Committed') return false;
    const last = raft.lastTxId;
    return this.#nodes.every((node) => {
      const parts = this.#parts(node);
      return parts.replica.commitSeqno === last.seqno && parts.raft.lastTxId.view === last.view && parts.raft.lastTxId.seqno === last.seqno;
    });
  }

  /**
   * Once converged: one state everywhere, and it is what the committed client writes make
   * (none rolled back, none lost); every transaction decided everywhere; receipts verify.
   */
  #checkConverged(): void {
    const digests = new Set(this.#nodes.map((node) => this.#checker.checkState(node.label, this.#parts(node))));
    assert.equal(digests.size, 1, 'converged nodes hold different states');
    const primary = this.#parts(this.#nodes.find((node) => this.#parts(node).replica.role === 'primary') as SimNode);
    const model = new Map<number, { count: number; value: string }>();
    const committed = this.#checker.transactions.filter((txId) => primary.replica.txStatus(txId) === 'Committed');
    for (const txId of committed.sort((a, b) => a.seqno - b.seqno)) {
      const write = this.#written.get(formatTxId(txId));
      if (write !== undefined) model.set(write.key, write);
    }
    for (const node of this.#nodes) {
      const tx = this.#parts(node).store.begin();
      for (let key = 0; key < keySpace; key++) {
        const expected = model.get(key);
        assert.equal(tx.map<number, string>(PRIVATE_VALUES).get(key), expected?.value, `${node.label}: private value of key ${key}`);
        assert.equal(tx.map<number, number>(PUBLIC_WRITES).get(key), expected?.count, `${node.label}: public count of key ${key}`);
      }
      tx.abort();
    }
    for (const node of this.#nodes) {
      for (const txId of this.#checker.transactions) {
        const status = this.#checker.checkStatus(node.label, this.#parts(node), txId);
        assert(status === 'Committed' || status === 'Invalid', `${node.label}: ${formatTxId(txId)} is still ${status} after convergence`);
      }
    }
    const livenessTx = this.#livenessTx as TxId;
    for (const node of this.#nodes) this.#checker.checkReceipt(node.label, this.#parts(node), livenessTx);
    this.#checker.checkReceipts(this.#running(), receiptsPerCheck);
  }

  #checkAllStates(): void {
    for (const node of this.#nodes) if (node.parts !== undefined) this.#checker.checkState(node.label, node.parts);
  }

  #running(): Array<{ label: string; parts: ReplicaParts | undefined }> {
    return this.#nodes.map((node) => ({ label: node.label, parts: node.parts }));
  }

  #parts(node: SimNode): ReplicaParts {
    assert(node.parts !== undefined, `${node.label} is not running`);
    return node.parts;
  }

  #label(id: string): string {
    return this.#byId.get(id)?.label ?? id.slice(0, 8);
  }

  #pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.#random() * items.length)];
  }
}
