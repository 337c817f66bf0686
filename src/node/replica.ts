// One replica of the service: the store, the transaction history, the ledger files and
// the Raft state machine, kept in step. The primary turns committed write sets into
// ledger entries and proposes them; a backup checks, decrypts, applies and appends the
// entries its primary sends; both roll back an uncommitted suffix together and commit
// at signatures (docs/consensus.md). No clock and no sockets: the caller ticks it,
// hands it messages and sends what processReady returns, so the same code runs in the
// node process and in the deterministic simulation.
import assert from 'node:assert/strict';
import type { Envelope, Message } from '../consensus/messages.js';
import type { RaftNode } from '../consensus/raft-node.js';
import type { HardState, Ready, Role } from '../consensus/ready.js';
import { configurationChange } from '../gov/voting-nodes.js';
import type { Store } from '../kv/store.js';
import type { WriteSet } from '../kv/write-set.js';
import type { ChunkedLedger } from '../ledger/chunked-ledger.js';
import { entryWriteSet } from '../ledger/entry.js';
import { LedgerWriter, type WrittenEntry } from '../ledger/ledger-writer.js';
import type { Receipt } from '../ledger/receipt.js';
import type { NodeSigner, SignatureRecord } from '../ledger/signature.js';
import type { TxHistory } from '../ledger/tx-history.js';
import type { TxId } from '../ledger/tx-id.js';

export type TxStatus = 'Unknown' | 'Pending' | 'Committed' | 'Invalid';

export type ReceiptLookup =
  | { readonly status: 'ready'; readonly receipt: Receipt }
  | { readonly status: 'pending' | 'unknown' | 'invalid' };

export interface ReplicaOptions {
  /** Store, history and ledger must stand at the same seqno as the Raft log. */
  readonly store: Store;
  readonly history: TxHistory;
  readonly ledger: ChunkedLedger;
  readonly raft: RaftNode;
  readonly signer: NodeSigner;
  /** The primary signs after this many transactions (0: only when asked). */
  readonly signatureIntervalTx: number;
  /** Makes the view and vote durable (Ready step 3); called only when they change. */
  readonly persistHardState: (state: HardState) => void;
  /** Signature records already in the ledger, oldest first (a restarted replica). */
  readonly signatures?: readonly SignatureRecord[];
}

export class Replica {
  readonly store: Store;
  readonly #history: TxHistory;
  readonly #ledger: ChunkedLedger;
  readonly #raft: RaftNode;
  readonly #writer: LedgerWriter;
  readonly #persistHardState: (state: HardState) => void;
  /** Signature records in seqno order, to find the one that proves a transaction. */
  readonly #signatures: SignatureRecord[];
  #hardState: HardState;
  /**
   * The view in which this replica has taken up the primary's role (processReady ran since
   * consensus made it primary, so the store is rolled back to the log); undefined when not.
   */
  #primaryView: number | undefined;
  #commitSeqno: number;

  constructor(options: ReplicaOptions) {
    const { store, history, ledger, raft } = options;
    assert(store.version === raft.lastTxId.seqno && history.lastSeqno === store.version && ledger.lastSeqno === store.version,
      `replica parts disagree: store ${store.version}, history ${history.lastSeqno}, ledger ${ledger.lastSeqno}, log ${raft.lastTxId.seqno}`);
    this.store = store;
    this.#history = history;
    this.#ledger = ledger;
    this.#raft = raft;
    this.#persistHardState = options.persistHardState;
    this.#signatures = [...(options.signatures ?? [])];
    // What a brand-new node has durably: the first Ready then persists whatever the Raft
    // node starts with, a bootstrapped node's view 1 and self-vote included (after a
    // restart it rewrites the persisted state once, which is harmless).
    this.#hardState = { view: 0, votedFor: undefined };
    this.#primaryView = raft.role === 'primary' ? raft.view : undefined;
    this.#commitSeqno = raft.commitSeqno;
    this.#writer = new LedgerWriter({
      store,
      history,
      ledger,
      signer: options.signer,
      signatureIntervalTx: options.signatureIntervalTx,
      onEntry: (entry) => this.#propose(entry),
    });
  }

  get role(): Role { return this.#raft.role; }
  get primaryId(): string | undefined { return this.#raft.primaryId; }
  get view(): number { return this.#raft.view; }
  get commitSeqno(): number { return this.#commitSeqno; }
  get lastSeqno(): number { return this.#raft.lastTxId.seqno; }
  get unsignedTx(): number { return this.#writer.unsignedTx; }
  /** The nodes this replica exchanges messages with. */
  get peers(): readonly string[] { return this.#raft.peers; }
  get ledger(): ChunkedLedger { return this.#ledger; }

  /**
   * Why a client write cannot run here now, or undefined. Check it right before each store
   * commit, in the same synchronous step: once the store has committed a write, it must
   * reach the ledger and consensus, so every refusal happens here and never after. A write
   * needs room for itself under uncommittedEntriesMax only: the signature that may follow
   * it (signatureIntervalTx) is never refused (RaftNode.canPropose).
   */
  writesRefused(): string | undefined {
    return this.#notPrimary() ?? (this.#raft.canPropose(false) ? undefined : 'too many transactions wait for commit');
  }

  /** Whether the primary has written transactions since its last signature: a signature timer should sign. */
  get signatureDue(): boolean {
    return this.#notPrimary() === undefined && this.#writer.unsignedTx > 0;
  }

  /** Primary: a client transaction just committed to the store; records and proposes it. */
  committed(writeSet: WriteSet): TxId {
    const refused = this.writesRefused();
    assert(refused === undefined, `the store committed a write that this replica refuses (${refused}): check writesRefused() right before committing`);
    const view = this.#raft.view;
    this.#writer.append(view, writeSet);
    return { view, seqno: writeSet.version };
  }

  /**
   * Primary: signs everything before it with a signature transaction. Allowed at the
   * uncommitted-entries limit (signatures are what frees it), as long as something is
   * unsigned or the view is new.
   */
  sign(): SignatureRecord {
    const notPrimary = this.#notPrimary();
    assert(notPrimary === undefined, `only the primary signs: ${notPrimary}`);
    assert(this.#raft.canPropose(true), 'past uncommittedEntriesMax a signature must sign something: the last entry is a signature of this view');
    return this.#writer.sign(this.#raft.view);
  }

  /**
   * Why this replica cannot write as primary now. Consensus may have made it primary in a
   * step whose Ready is not processed yet: the new primary's rollback of its unsigned
   * suffix has not reached the store, so a write would land at a seqno consensus no longer
   * has. Until processReady takes up the role, it refuses.
   */
  #notPrimary(): string | undefined {
    if (this.#raft.role !== 'primary') return 'this node is not the primary';
    if (this.#primaryView !== this.#raft.view) return 'this node is taking up the primary role';
    return undefined;
  }

  tick(): void {
    this.#raft.tick();
  }

  step(message: Message): void {
    this.#raft.step(message);
  }

  hasReady(): boolean {
    return this.#raft.hasReady();
  }

  /**
   * Does what consensus asks, in the order it must be done (ready.ts): roll back, persist
   * entries, persist the vote, then hand back the messages to send, and commit. A replica
   * that has just become primary signs at once, so that it can commit in its view.
   */
  processReady(): Envelope[] {
    const ready = this.#raft.ready();
    if (ready.rolledBackTo !== undefined) this.#rollBack(ready.rolledBackTo);
    this.#persist(ready);
    if (ready.hardState.view !== this.#hardState.view || ready.hardState.votedFor !== this.#hardState.votedFor) {
      this.#persistHardState(ready.hardState);
      this.#hardState = ready.hardState;
    }
    if (ready.committed.length > 0) this.#commit(ready.commitSeqno);
    this.#raft.advance();
    // By view, not role: several steps between two Readies may go from primary to primary of a later view.
    const becamePrimary = ready.role === 'primary' && this.#primaryView !== ready.hardState.view;
    this.#primaryView = ready.role === 'primary' ? ready.hardState.view : undefined;
    if (becamePrimary && this.#raft.role === 'primary') this.sign();
    return [...ready.messages];
  }

  /** The TxId of the transaction at `seqno` (for read-only responses); consensus knows it for every seqno, compacted or not. */
  txIdAt(seqno: number): TxId {
    const txId = this.#raft.txIdAt(seqno);
    assert(txId !== undefined, `no entry at seqno ${seqno} (last ${this.lastSeqno})`);
    return txId;
  }

  /**
   * CCF's rules: Invalid only once it can never commit (another transaction committed at
   * its seqno, or a later view committed before it); otherwise Pending while held here,
   * and Unknown while not. Committed and Invalid are final; Pending and Unknown may
   * alternate (docs/consistency.md has the diagram and the exceptions after a restart).
   */
  txStatus(txId: TxId): TxStatus {
    if (txId.seqno === 0) return 'Invalid';
    const commitSeqno = this.#commitSeqno;
    if (txId.seqno <= commitSeqno) return this.txIdAt(txId.seqno).view === txId.view ? 'Committed' : 'Invalid';
    if (commitSeqno > 0 && txId.view < this.txIdAt(commitSeqno).view) return 'Invalid';
    if (txId.seqno <= this.lastSeqno && this.txIdAt(txId.seqno).view === txId.view) return 'Pending';
    return 'Unknown';
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

  /** The primary's write path hands every entry it appends to consensus. */
  #propose(entry: WrittenEntry): void {
    const configuration = entry.isSignature ? undefined : configurationChange(this.store, entry.writeSet);
    const txId = this.#raft.propose(entry.data, entry.isSignature, configuration);
    assert(txId !== undefined && txId.seqno === entry.seqno && txId.view === entry.view,
      `consensus refused entry ${entry.view}.${entry.seqno} that the store already committed: check writesRefused() before committing`);
    if (entry.signature !== undefined) this.#signatures.push(entry.signature);
  }

  #rollBack(seqno: number): void {
    assert(seqno >= this.#commitSeqno, `rollback to ${seqno} below commit ${this.#commitSeqno}`);
    this.#ledger.truncate(Math.min(seqno, this.#ledger.lastSeqno));
    this.#history.truncate(Math.min(seqno, this.#history.lastSeqno));
    this.store.rollback(Math.min(seqno, this.store.version));
    while ((this.#signatures.at(-1)?.seqno ?? 0) > seqno) this.#signatures.pop();
  }

  /**
   * Entries this replica proposed are in the ledger already; those from a primary are
   * checked (seqno, signature over our own root, decryption) and applied. Entries from a
   * primary are made durable before they are acknowledged (ready.ts): the primary never
   * resends what it counts as held here, so losing them in a crash would stall this node
   * for the rest of the view. Our own entries, which nobody acknowledges, are synced only
   * when they hold a signature (commit stops only there).
   */
  #persist(ready: Ready): void {
    let sync = false;
    for (const entry of ready.entriesToPersist) {
      sync ||= entry.isSignature;
      if (entry.seqno <= this.#ledger.lastSeqno) {
        assert.equal(this.txIdAt(entry.seqno).view, entry.view, `entry ${entry.seqno} to persist differs from the ledger's`);
        continue;
      }
      sync = true;
      const data = Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
      const recorded = this.#history.recordEntry(data);
      const { header } = recorded;
      assert(header.view === entry.view && header.seqno === entry.seqno && (header.kind === 'signature') === entry.isSignature,
        `entry ${entry.view}.${entry.seqno} does not carry the id and kind consensus gave it`);
      const writeSet = entryWriteSet(recorded);
      this.store.apply(writeSet);
      const configuration = configurationChange(this.store, writeSet);
      assert.deepEqual(configuration, entry.configuration === undefined ? undefined : [...entry.configuration].sort(),
        `entry ${entry.seqno}: the configuration consensus carries differs from the nodes map`);
      this.#ledger.append(entry.seqno, data, { isSignature: entry.isSignature });
      // recordEntry parsed and checked the record already: keep that one.
      if (recorded.signature !== undefined) this.#signatures.push(recorded.signature);
    }
    if (sync) this.#ledger.sync();
    else this.#ledger.flush();
  }

  #commit(seqno: number): void {
    assert(seqno > this.#commitSeqno && seqno <= this.#ledger.lastSeqno, `commit to ${seqno} from ${this.#commitSeqno}`);
    this.#ledger.commit(seqno);
    this.store.compact(seqno);
    this.#commitSeqno = seqno;
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
