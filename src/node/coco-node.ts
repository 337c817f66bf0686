// A Coco node: one replica of the service (store, history, ledger files, Raft) at the
// edge of time and the network. It ticks consensus on a timer, carries Raft messages
// over the node-to-node channel, signs every `interval_tx` transactions or `interval_ms`
// after the first unsigned one while it is primary, and answers what operators and
// clients ask about transactions. A node either starts a new service (genesis) or joins
// a running one with what the service gave it at join (join-admission.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { decodeMessage, encodeMessage } from '../consensus/message-codec.js';
import { RaftNode } from '../consensus/raft-node.js';
import type { Role } from '../consensus/ready.js';
import { parseCertificate } from '../crypto/certificate.js';
import { NODES_MAP, type NodeInfo } from '../gov/service-maps.js';
import { Store } from '../kv/store.js';
import type { WriteSet } from '../kv/write-set.js';
import { ChunkedLedger } from '../ledger/chunked-ledger.js';
import { LedgerSecret } from '../ledger/ledger-secret.js';
import type { SignatureRecord } from '../ledger/signature.js';
import type { TxId } from '../ledger/tx-id.js';
import { TxHistory } from '../ledger/tx-history.js';
import { ChannelError } from './channel/channel-error.js';
import { NodeChannel } from './channel/node-channel.js';
import { CommitWaiters } from './commit-waiters.js';
import { consensusTiming } from './consensus-timing.js';
import { DirectoryLedgerFiles } from './directory-ledger-files.js';
import { writeGenesis, type Genesis } from './genesis.js';
import { HardStateFile } from './hard-state-file.js';
import { ledgerEntrySource } from './ledger-entry-source.js';
import { ConfigError, configPath, type JoinCommand, type NodeConfig, type StartCommand } from './node-config.js';
import { Replica, type ReceiptLookup, type TxStatus } from './replica.js';
import { createNodeIdentity, createServiceIdentity, type NodeIdentity, type ServiceIdentity } from './service-identity.js';

export type { ReceiptLookup, TxStatus } from './replica.js';

export class NodeStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeStartError';
  }
}

/** What a joining node receives from the service once admitted (join-admission.ts). */
export interface JoinedService {
  readonly service: ServiceIdentity;
  readonly identity: NodeIdentity;
  readonly ledgerSecret: LedgerSecret;
  /** Nodes to reach before this node's own store knows them: id → node-to-node address. */
  readonly peers: ReadonlyMap<string, string>;
}

/** The parts every node is built from, whether it starts or joins. */
interface NodeParts {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly service: ServiceIdentity;
  readonly identity: NodeIdentity;
  readonly secret: LedgerSecret;
  readonly bootstrap: boolean;
  readonly peers: ReadonlyMap<string, string>;
}

export class CocoNode {
  readonly store = new Store();
  readonly #config: NodeConfig;
  readonly #logger: Logger;
  readonly #service: ServiceIdentity;
  readonly #identity: NodeIdentity;
  readonly #secret: LedgerSecret;
  readonly #ledger: ChunkedLedger;
  readonly #replica: Replica;
  /** Addresses learnt at join, for peers this node's store does not list yet. */
  readonly #joinPeers: ReadonlyMap<string, string>;
  readonly #tickMs: number;
  #channel: NodeChannel | undefined;
  #channelPeers = new Map<string, string>();
  /** The consensus peers the channel was last set up for: consensus replaces the array when they change. */
  #peersSetUp: readonly string[] | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #signatureTimer: NodeJS.Timeout | undefined;
  #driveScheduled = false;
  #stopping = false;
  #lastRole: Role | undefined;
  /** Callers waiting for transactions to commit (a join's answer waits for its own). */
  readonly #commitWaiters = new CommitWaiters((txId) => this.#replica.txStatus(txId));
  #waitersCheckedAtSeqno = 0;
  /** Whether the nodes map records this node Retired (checked when the consensus peers change). */
  #retired = false;
  /** Told when the primary this node knows changes: forwarded requests to the old one are given up. */
  readonly #primaryListeners = new Set<() => void>();
  #lastPrimaryId: string | undefined;

  private constructor(parts: NodeParts) {
    const { config, identity } = parts;
    this.#config = config;
    this.#logger = parts.logger;
    this.#service = parts.service;
    this.#identity = identity;
    this.#secret = parts.secret;
    this.#joinPeers = parts.peers;
    const ledgerDirectory = configPath(config, config.ledger.directory);
    mkdirSync(ledgerDirectory, { recursive: true });
    mkdirSync(configPath(config, config.snapshots.directory), { recursive: true });
    this.#ledger = ChunkedLedger.open(new DirectoryLedgerFiles(ledgerDirectory), { chunkBytesTarget: config.ledger.chunk_bytes }).ledger;
    const timing = consensusTiming(config.consensus);
    this.#tickMs = timing.tickMs;
    const hardState = new HardStateFile(configPath(config, config.consensus.state_file));
    const raft = new RaftNode({
      id: identity.nodeId,
      initialConfiguration: parts.bootstrap ? [identity.nodeId] : [],
      electionTimeoutTicks: timing.electionTimeoutTicks,
      heartbeatTicks: timing.heartbeatTicks,
      random: Math.random,
      // Committed entries beyond raftLogEntriesInMemoryMax leave memory; a backup far behind is fed from the ledger.
      readEntries: ledgerEntrySource(this.#ledger),
      ...(parts.bootstrap ? { bootstrap: true as const } : {}),
    });
    this.#replica = new Replica({
      store: this.store,
      history: new TxHistory(parts.secret),
      ledger: this.#ledger,
      raft,
      signer: identity,
      signatureIntervalTx: config.signatures.interval_tx,
      persistHardState: (state) => hardState.write(state),
    });
  }

  /**
   * Starts a new service. Refuses a ledger directory that is not empty (restarting a
   * service from its ledger is the recovery work) and then touches nothing.
   */
  static async startNewService(config: NodeConfig, logger: Logger, now: Date, genesisExtras: GenesisExtras): Promise<CocoNode> {
    refuseUsedLedger(config);
    const command = config.command as StartCommand;
    if (command.type !== 'start') throw new ConfigError('startNewService needs a start command');
    const members = command.members.map((member) => ({
      certificate: readCertificate(config, member.certificate, 'member certificate'),
      encryptionPublicKey: readPem(config, member.encryption_public_key, 'member encryption public key'),
      ...(member.data === undefined ? {} : { data: member.data }),
    }));
    const users = command.users.map((user) => ({
      certificate: readCertificate(config, user.certificate, 'user certificate'),
      ...(user.data === undefined ? {} : { data: user.data }),
    }));

    const service = await createServiceIdentity(config.curve, now);
    const identity = await createNodeIdentity(service, config.curve, hostOf(config.network.rpc_address), now);
    const node = new CocoNode({ config, logger, service, identity, secret: new LedgerSecret(randomBytes(32)), bootstrap: true, peers: new Map() });

    const tx = node.store.begin({ privileged: true });
    const nodeInfo: NodeInfo = {
      status: 'Trusted',
      cert: identity.certificate,
      rpc_address: config.network.rpc_address,
      node_to_node_address: config.network.node_to_node_address,
    };
    const ids = writeGenesis(tx, {
      serviceCertificate: service.certificate,
      members,
      users,
      nodeId: identity.nodeId,
      node: nodeInfo,
      platform: genesisExtras.platform,
      measurement: genesisExtras.measurement,
    });
    const genesis = tx.commit();
    if (genesis.status !== 'committed') throw new Error('genesis transaction did not commit');
    node.#replica.committed(genesis.writeSet);
    // Genesis commits at its own signature (already taken when interval_tx is 1).
    if (node.#replica.signatureDue) node.sign();
    writeFileSync(configPath(config, config.service_certificate_file), service.certificate);
    logger.info({ nodeId: identity.nodeId, members: ids.memberIds.length, users: ids.userIds.length }, 'created a new service');
    return node;
  }

  /** A node admitted to a running service: empty store, caught up by the primary. */
  static joinService(config: NodeConfig, logger: Logger, joined: JoinedService): CocoNode {
    refuseUsedLedger(config);
    if ((config.command as JoinCommand).type !== 'join') throw new ConfigError('joinService needs a join command');
    const node = new CocoNode({ config, logger, service: joined.service, identity: joined.identity, secret: joined.ledgerSecret, bootstrap: false, peers: joined.peers });
    logger.info({ nodeId: joined.identity.nodeId, peers: [...joined.peers.keys()] }, 'joined the service; catching up');
    return node;
  }

  /** Opens the node-to-node channel and starts consensus time. */
  async run(): Promise<void> {
    this.#channel = await NodeChannel.open({
      nodeId: this.nodeId,
      privateKey: this.tlsKey,
      certificate: this.#identity.certificate,
      serviceCertificate: this.#service.certificate,
      listenAddress: this.#config.network.node_to_node_address,
      isTrustedPeer: (nodeId) => this.#isTrustedPeer(nodeId),
      onMessage: (from, payload) => this.#receive(from, payload),
      onRequest: (from, payload) => this.#onRequest(from, payload),
      logger: this.#logger,
    });
    this.#refreshPeers();
    this.#tickTimer = setInterval(() => {
      this.#replica.tick();
      this.#drive();
    }, this.#tickMs);
    this.#tickTimer.unref();
  }

  /** Answers forwarded requests (set by the RPC layer). */
  requestHandler: ((from: string, payload: Uint8Array) => Promise<Uint8Array>) | undefined;

  get nodeId(): string { return this.#identity.nodeId; }
  get serviceCertificate(): string { return this.#service.certificate; }
  get service(): ServiceIdentity { return this.#service; }
  get ledgerSecret(): LedgerSecret { return this.#secret; }
  get view(): number { return this.#replica.view; }
  get role(): Role { return this.#replica.role; }
  get primaryId(): string | undefined { return this.#replica.primaryId; }
  get lastSeqno(): number { return this.#replica.lastSeqno; }
  get commitSeqno(): number { return this.#replica.commitSeqno; }
  get nodeToNodeAddress(): string { return this.#channel?.address ?? this.#config.network.node_to_node_address; }
  get channel(): NodeChannel | undefined { return this.#channel; }

  /** PEM of the node key, for TLS. */
  get tlsKey(): string {
    return this.#identity.keyPair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  }

  /** The node certificate followed by the service certificate: the chain TLS presents. */
  get tlsCertificateChain(): string {
    return `${this.#identity.certificate.trim()}\n${this.#service.certificate.trim()}\n`;
  }

  get nodeCertificate(): string { return this.#identity.certificate; }

  get ledgerBytes(): number {
    return this.#ledger.chunks().reduce((sum, chunk) => sum + chunk.sizeBytes, 0);
  }

  /** The RPC server's hook: a handler's transaction just committed in the store. */
  committed(writeSet: WriteSet): TxId {
    const txId = this.#replica.committed(writeSet);
    this.#scheduleDrive();
    return txId;
  }

  txIdAt(seqno: number): TxId {
    return this.#replica.txIdAt(seqno);
  }

  writesRefused(): string | undefined {
    if (this.#stopping) return 'the node is shutting down';
    if (this.#retired) return 'this node was retired from the service (remove_node); send requests to another node';
    return this.#replica.writesRefused();
  }

  /**
   * Whether governance retired this node (remove_node). A retired node takes no writes and
   * forwards none; consensus has dropped it from the configuration with the same entry.
   */
  get retired(): boolean {
    return this.#retired;
  }

  /** Signs everything written so far (a signature transaction) and processes it at once. */
  sign(): SignatureRecord {
    const record = this.#replica.sign();
    this.#drive();
    return record;
  }

  txStatus(txId: TxId): TxStatus {
    return this.#replica.txStatus(txId);
  }

  receipt(txId: TxId): ReceiptLookup {
    return this.#replica.receipt(txId);
  }

  /** Resolves once `txId` is Committed or Invalid, or with its status then after `timeoutMs`; never rejects. */
  waitForSettled(txId: TxId, timeoutMs: number): Promise<TxStatus> {
    return this.#commitWaiters.wait(txId, timeoutMs);
  }

  /** Calls `listener` after each change of the primary this node knows; returns what stops it. */
  onPrimaryChange(listener: () => void): () => void {
    this.#primaryListeners.add(listener);
    return () => this.#primaryListeners.delete(listener);
  }

  /** Peers whose node-to-node connection is up and accepted us: a cheap sign that they run. */
  reachablePeers(): Set<string> {
    return new Set(this.#channel?.peers().filter((peer) => peer.connected).map((peer) => peer.nodeId));
  }

  /** Sends a forwarded request to another node over the channel; `signal` withdraws it. */
  forward(to: string, payload: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.#channel === undefined) return Promise.reject(new ChannelError('the node-to-node channel is not open', { sent: false }));
    return this.#channel.request(to, payload, timeoutMs, signal);
  }

  /** Stops taking writes, signs what it wrote if primary, closes the channel and the ledger. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#tickTimer);
    clearTimeout(this.#signatureTimer);
    if (this.#replica.signatureDue) this.sign();
    this.#drive();
    this.#commitWaiters.close();
    await this.#channel?.close();
    this.#ledger.close();
    this.#logger.info({ commitSeqno: this.commitSeqno, lastSeqno: this.lastSeqno }, 'ledger closed');
  }

  #receive(from: string, payload: Uint8Array): void {
    if (this.#stopping) return;
    let message;
    try {
      message = decodeMessage(payload);
    } catch (error) {
      this.#logger.warn({ from, err: error }, 'dropped a malformed consensus message');
      return;
    }
    // The channel authenticated the sender: a message claiming another sender is refused.
    if (message.from !== from) {
      this.#logger.warn({ from, claimed: message.from }, 'dropped a consensus message naming another sender');
      return;
    }
    this.#replica.step(message);
    this.#scheduleDrive();
  }

  #onRequest(from: string, payload: Uint8Array): Promise<Uint8Array> {
    if (this.requestHandler === undefined) return Promise.reject(new Error('this node takes no forwarded requests yet'));
    return this.requestHandler(from, payload);
  }

  #scheduleDrive(): void {
    if (this.#driveScheduled) return;
    this.#driveScheduled = true;
    setImmediate(() => {
      this.#driveScheduled = false;
      this.#drive();
    });
  }

  /** Processes every Ready consensus has, sending its messages; then keeps timers and peers in step. */
  #drive(): void {
    while (this.#replica.hasReady()) {
      for (const { to, message } of this.#replica.processReady()) this.#channel?.send(to, encodeMessage(message));
    }
    const role = this.#replica.role;
    if (role !== this.#lastRole) {
      this.#logger.info({ role, view: this.view, primaryId: this.primaryId }, 'consensus role');
      this.#lastRole = role;
    }
    this.#refreshPeers();
    this.#armSignatureTimer();
    this.#notifyWatchers();
  }

  /** Wakes whoever waits on a commit or on a change of primary, when there was one. */
  #notifyWatchers(): void {
    if (this.commitSeqno !== this.#waitersCheckedAtSeqno) {
      this.#waitersCheckedAtSeqno = this.commitSeqno;
      if (this.#commitWaiters.size > 0) this.#commitWaiters.check();
    }
    const primaryId = this.primaryId;
    if (primaryId !== this.#lastPrimaryId) {
      this.#lastPrimaryId = primaryId;
      for (const listener of [...this.#primaryListeners]) listener();
    }
  }

  #armSignatureTimer(): void {
    if (this.#signatureTimer !== undefined || this.#stopping || !this.#replica.signatureDue) return;
    this.#signatureTimer = setTimeout(() => {
      this.#signatureTimer = undefined;
      // signatureDue, not the role alone: a step may have made consensus primary of a new
      // view with its Ready not processed yet. A due signature is taken even at the
      // uncommitted-entries limit, since signatures are what frees it (replica.ts).
      if (this.#replica.signatureDue && !this.#stopping) this.sign();
    }, this.#config.signatures.interval_ms);
  }

  /** Keeps the channel's peers to the nodes consensus talks to, at their recorded addresses. */
  #refreshPeers(): void {
    const channel = this.#channel;
    // Runs after every Ready: read the nodes map only when the set of peers changed (the
    // transaction that changes it also records the newcomers' addresses).
    if (channel === undefined || this.#replica.peers === this.#peersSetUp) return;
    this.#peersSetUp = this.#replica.peers;
    const wanted = new Map<string, string>();
    const records = this.#nodeRecords();
    // The same transaction that retires this node changes the configuration, so the peers too.
    this.#retired = records.get(this.nodeId)?.status === 'Retired';
    for (const id of this.#replica.peers) {
      // A retired node still in an active configuration gets the appends that tell it it left.
      const address = records.get(id)?.node_to_node_address ?? this.#joinPeers.get(id);
      if (address !== undefined) wanted.set(id, address);
    }
    // A joiner answers its primary before its own store names any node.
    for (const [id, address] of this.#joinPeers) if (!wanted.has(id) && id !== this.nodeId) wanted.set(id, address);
    for (const [id, address] of wanted) if (this.#channelPeers.get(id) !== address) channel.setPeer(id, address);
    for (const id of this.#channelPeers.keys()) if (!wanted.has(id)) channel.removePeer(id);
    this.#channelPeers = wanted;
  }

  #nodeRecords(): Map<string, NodeInfo> {
    const tx = this.store.begin();
    try {
      const records = new Map<string, NodeInfo>();
      tx.map<string, NodeInfo>(NODES_MAP).forEach((info, id) => records.set(id, info));
      return records;
    } finally {
      tx.abort();
    }
  }

  /**
   * The channel's trust check: a peer must be a Trusted node. A Pending node (one that
   * asked to join an open service, not yet trusted by governance) is refused, and so is a
   * Retired one, unless consensus still talks to it while its removal is in flight. The
   * nodes the join answer named were Trusted then: a joiner trusts them while its store
   * catches up (in which a node trusted by a later vote still looks Pending).
   */
  #isTrustedPeer(nodeId: string): boolean {
    const tx = this.store.begin();
    let info: NodeInfo | undefined;
    try {
      info = tx.map<string, NodeInfo>(NODES_MAP).get(nodeId);
    } finally {
      tx.abort();
    }
    if (info?.status === 'Retired') return this.#replica.peers.includes(nodeId);
    return info?.status === 'Trusted' || this.#joinPeers.has(nodeId);
  }
}

/** What genesis records about the first node's platform, for the code and TEE manifests. */
export type GenesisExtras = Pick<Genesis, 'platform' | 'measurement'>;

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

function refuseUsedLedger(config: NodeConfig): void {
  const ledgerDirectory = configPath(config, config.ledger.directory);
  if (existsSync(ledgerDirectory) && readdirSync(ledgerDirectory).length > 0) {
    throw new NodeStartError(
      `ledger directory ${ledgerDirectory} is not empty: a node starts or joins with an empty one ` +
        '(restarting from a ledger is not supported yet); nothing was changed',
    );
  }
}

function readCertificate(config: NodeConfig, path: string, what: string): string {
  const pem = readPem(config, path, what);
  try {
    parseCertificate(pem);
  } catch (error) {
    throw new ConfigError(`${what} ${configPath(config, path)}: ${(error as Error).message}`);
  }
  return pem;
}

export function readPem(config: NodeConfig, path: string, what: string): string {
  const resolved = configPath(config, path);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${what} ${resolved}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new ConfigError(`${what} ${resolved} is not a PEM file`);
  return text;
}
