// A Coco node that starts a new service: it makes the service and node identities,
// writes genesis, and from then on turns every committed transaction into a ledger
// entry, signs the history every `interval_tx` transactions or `interval_ms` after the
// first unsigned one, and commits at each signature once it is on disk (one node is
// its own majority; consensus replaces that rule later). It answers what operators and
// clients ask about transactions: status, commit, receipts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { parseCertificate } from '../crypto/certificate.js';
import { Store } from '../kv/store.js';
import type { WriteSet } from '../kv/write-set.js';
import { ChunkedLedger } from '../ledger/chunked-ledger.js';
import { LedgerSecret } from '../ledger/ledger-secret.js';
import { LedgerWriter } from '../ledger/ledger-writer.js';
import type { Receipt } from '../ledger/receipt.js';
import type { SignatureRecord } from '../ledger/signature.js';
import type { TxId } from '../ledger/tx-id.js';
import { TxHistory } from '../ledger/tx-history.js';
import type { NodeInfo } from '../gov/service-maps.js';
import { DirectoryLedgerFiles } from './directory-ledger-files.js';
import { writeGenesis } from './genesis.js';
import { ConfigError, configPath, type NodeConfig } from './node-config.js';
import { createNodeIdentity, createServiceIdentity, type NodeIdentity, type ServiceIdentity } from './service-identity.js';

export type TxStatus = 'Unknown' | 'Pending' | 'Committed' | 'Invalid';

export type ReceiptLookup =
  | { readonly status: 'ready'; readonly receipt: Receipt }
  | { readonly status: 'pending' | 'unknown' | 'invalid' };

/** The view a single-node service runs in until consensus brings elections. */
const SINGLE_NODE_VIEW = 1;

export class NodeStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeStartError';
  }
}

export class CocoNode {
  readonly store = new Store();
  readonly view = SINGLE_NODE_VIEW;
  readonly #config: NodeConfig;
  readonly #logger: Logger;
  readonly #service: ServiceIdentity;
  readonly #identity: NodeIdentity;
  readonly #history: TxHistory;
  readonly #ledger: ChunkedLedger;
  readonly #writer: LedgerWriter;
  /** Signature records in seqno order, to find the one that proves a transaction. */
  readonly #signatures: SignatureRecord[] = [];
  #commitSeqno = 0;
  #signatureTimer: NodeJS.Timeout | undefined;
  #stopping = false;

  private constructor(config: NodeConfig, logger: Logger, service: ServiceIdentity, identity: NodeIdentity, ledger: ChunkedLedger) {
    this.#config = config;
    this.#logger = logger;
    this.#service = service;
    this.#identity = identity;
    this.#history = new TxHistory(new LedgerSecret(randomBytes(32)));
    this.#ledger = ledger;
    this.#writer = new LedgerWriter({
      store: this.store,
      history: this.#history,
      ledger,
      signer: identity,
      signatureIntervalTx: config.signatures.interval_tx,
    });
  }

  /**
   * Starts a new service. Refuses a ledger directory that is not empty (restarting a
   * service from its ledger is the recovery work) and then touches nothing.
   */
  static async startNewService(config: NodeConfig, logger: Logger, now: Date): Promise<CocoNode> {
    const ledgerDirectory = configPath(config, config.ledger.directory);
    if (existsSync(ledgerDirectory) && readdirSync(ledgerDirectory).length > 0) {
      throw new NodeStartError(
        `ledger directory ${ledgerDirectory} is not empty: starting a new service needs an empty one ` +
          '(restarting a service from its ledger is not supported yet); nothing was changed',
      );
    }
    const members = config.command.members.map((member) => ({
      certificate: readCertificate(config, member.certificate, 'member certificate'),
      encryptionPublicKey: readPem(config, member.encryption_public_key, 'member encryption public key'),
      ...(member.data === undefined ? {} : { data: member.data }),
    }));
    const users = config.command.users.map((user) => ({
      certificate: readCertificate(config, user.certificate, 'user certificate'),
      ...(user.data === undefined ? {} : { data: user.data }),
    }));

    const service = await createServiceIdentity(config.curve, now);
    const rpcHost = config.network.rpc_address.slice(0, config.network.rpc_address.lastIndexOf(':'));
    const identity = await createNodeIdentity(service, config.curve, rpcHost, now);
    mkdirSync(ledgerDirectory, { recursive: true });
    mkdirSync(configPath(config, config.snapshots.directory), { recursive: true });
    const { ledger } = ChunkedLedger.open(new DirectoryLedgerFiles(ledgerDirectory), { chunkBytesTarget: config.ledger.chunk_bytes });
    const node = new CocoNode(config, logger, service, identity, ledger);

    const tx = node.store.begin({ privileged: true });
    const nodeInfo: NodeInfo = {
      status: 'Trusted',
      cert: identity.certificate,
      rpc_address: config.network.rpc_address,
      node_to_node_address: config.network.node_to_node_address,
    };
    const ids = writeGenesis(tx, { serviceCertificate: service.certificate, members, users, nodeId: identity.nodeId, node: nodeInfo });
    const genesis = tx.commit();
    if (genesis.status !== 'committed') throw new Error('genesis transaction did not commit');
    node.committed(genesis.writeSet);
    node.sign();
    writeFileSync(configPath(config, config.service_certificate_file), service.certificate);
    logger.info({ nodeId: identity.nodeId, members: ids.memberIds.length, users: ids.userIds.length }, 'created a new service');
    return node;
  }

  get nodeId(): string {
    return this.#identity.nodeId;
  }

  get serviceCertificate(): string {
    return this.#service.certificate;
  }

  /** PEM of the node key, for the RPC server's TLS. */
  get tlsKey(): string {
    return this.#identity.keyPair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  }

  /** The node certificate followed by the service certificate: the chain TLS presents. */
  get tlsCertificateChain(): string {
    return `${this.#identity.certificate.trim()}\n${this.#service.certificate.trim()}\n`;
  }

  get nodeCertificate(): string {
    return this.#identity.certificate;
  }

  get lastSeqno(): number {
    return this.#history.lastSeqno;
  }

  get commitSeqno(): number {
    return this.#commitSeqno;
  }

  get ledgerBytes(): number {
    return this.#ledger.chunks().reduce((sum, chunk) => sum + chunk.sizeBytes, 0);
  }

  /** The RPC server's hook: a handler's transaction just committed in the store. */
  committed(writeSet: WriteSet): TxId {
    const signedBefore = this.#writer.lastSignature;
    this.#writer.append(this.view, writeSet);
    const signed = this.#writer.lastSignature;
    if (signed !== signedBefore && signed !== undefined) this.#afterSignature(signed);
    else this.#armSignatureTimer();
    return { view: this.view, seqno: writeSet.version };
  }

  txIdAt(version: number): TxId {
    return { view: this.view, seqno: version };
  }

  writesRefused(): string | undefined {
    return this.#stopping ? 'the node is shutting down' : undefined;
  }

  /** Signs everything written so far (a signature transaction), then commits it. */
  sign(): SignatureRecord {
    const record = this.#writer.sign(this.view);
    this.#afterSignature(record);
    return record;
  }

  txStatus(txId: TxId): TxStatus {
    if (txId.seqno > this.lastSeqno) return txId.view < this.view ? 'Invalid' : 'Unknown';
    if (txId.view !== this.txIdAt(txId.seqno).view) return 'Invalid';
    return txId.seqno <= this.#commitSeqno ? 'Committed' : 'Pending';
  }

  /** A receipt for a committed transaction: its entry, proven by the first signature after it. */
  receipt(txId: TxId): ReceiptLookup {
    const status = this.txStatus(txId);
    if (status === 'Invalid') return { status: 'invalid' };
    if (status === 'Unknown') return { status: 'unknown' };
    if (status === 'Pending') return { status: 'pending' };
    const signature = this.#signatureCovering(txId.seqno);
    const read = this.#ledger.read(txId.seqno);
    if (signature === undefined || read === undefined) return { status: 'pending' };
    return { status: 'ready', receipt: this.#history.receipt(read.entry, signature) };
  }

  /** Stops taking writes, signs and commits what was written, and closes the ledger. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    clearTimeout(this.#signatureTimer);
    if (this.#writer.unsignedTx > 0) this.sign();
    this.#ledger.close();
    this.#logger.info({ commitSeqno: this.#commitSeqno }, 'ledger closed');
  }

  #armSignatureTimer(): void {
    if (this.#signatureTimer !== undefined || this.#stopping) return;
    this.#signatureTimer = setTimeout(() => {
      this.#signatureTimer = undefined;
      if (this.#writer.unsignedTx > 0 && !this.#stopping) this.sign();
    }, this.#config.signatures.interval_ms);
  }

  /** A signature is durable once flushed and synced; one node is a majority, so it commits. */
  #afterSignature(record: SignatureRecord): void {
    clearTimeout(this.#signatureTimer);
    this.#signatureTimer = undefined;
    this.#signatures.push(record);
    this.#ledger.flush();
    this.#ledger.sync();
    this.#ledger.commit(record.seqno);
    this.store.compact(record.seqno);
    this.#commitSeqno = record.seqno;
  }

  #signatureCovering(seqno: number): SignatureRecord | undefined {
    let low = 0;
    let high = this.#signatures.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#signatures[middle] as SignatureRecord).seqno > seqno) high = middle;
      else low = middle + 1;
    }
    const signature = this.#signatures[low];
    return signature !== undefined && signature.seqno <= this.#commitSeqno ? signature : undefined;
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

function readPem(config: NodeConfig, path: string, what: string): string {
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
