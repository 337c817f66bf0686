// The history of transactions as the ledger sees it: turns committed write sets into
// entries, keeps the Merkle tree over their leaves, makes signature records over its
// root, checks entries received from a primary, and builds receipts. Pure: the
// caller stores entries (ChunkedLedger) and applies write sets (Store).
import assert from 'node:assert/strict';
import { MerkleTree } from '../crypto/merkle-tree.js';
import type { WriteSet } from '../kv/write-set.js';
import { decodeEntry, decodeEntryHeader, encodeEntry, type DecodedEntry, type EntryKind } from './entry.js';
import { EntryFormatError } from './entry-format-error.js';
import { entryLeaf, entryLeafComponents } from './leaf.js';
import type { LedgerSecret } from './ledger-secret.js';
import { buildReceipt, type Receipt } from './receipt.js';
import { checkSignatureRecord, createSignatureRecord, signatureRecordOf, type NodeSigner, type SignatureRecord } from './signature.js';

/** An entry recordEntry checked: decoded, with its signature record if it is a signature transaction, parsed once. */
export interface RecordedEntry extends DecodedEntry {
  readonly signature: SignatureRecord | undefined;
}

export class TxHistory {
  readonly tree: MerkleTree;

  constructor(
    readonly secret: LedgerSecret,
    tree: MerkleTree = new MerkleTree(),
  ) {
    this.tree = tree;
  }

  /** Seqno of the last transaction recorded (leaf i is seqno i + 1). */
  get lastSeqno(): number {
    return this.tree.size;
  }

  /** Primary path: the entry for a write set just committed to the store. */
  recordWriteSet(view: number, writeSet: WriteSet, kind: EntryKind = 'transaction', claimsDigest?: Uint8Array): Buffer {
    assert.equal(writeSet.version, this.lastSeqno + 1, 'write sets are recorded in seqno order, without gaps');
    const entry = encodeEntry({ kind, view, writeSet, secret: this.secret, ...(claimsDigest ? { claimsDigest } : {}) });
    this.tree.append(entryLeaf(entry));
    return entry;
  }

  /** The signature record the next transaction (a signature transaction) must carry. */
  nextSignature(signer: NodeSigner, view: number): SignatureRecord {
    return createSignatureRecord(signer, view, this.lastSeqno + 1, this.tree.root());
  }

  /**
   * Follower path: checks and records an entry made by a primary. The entry must be
   * the next seqno, decrypt under our secret, and, if it is a signature, sign exactly
   * the root we computed ourselves. Returns it decoded, for applying to the store, with
   * the signature record it carries, if any.
   */
  recordEntry(entry: Buffer): RecordedEntry {
    const decoded = decodeEntry(entry, this.secret);
    const { seqno, kind } = decoded.header;
    if (seqno !== this.lastSeqno + 1) throw new EntryFormatError(`entry seqno ${seqno} does not follow ${this.lastSeqno}`);
    let signature: SignatureRecord | undefined;
    if (kind === 'signature') {
      const record = signatureRecordOf(decoded);
      if (record.root !== this.tree.root().toString('hex')) {
        throw new EntryFormatError(`signature at seqno ${seqno} signs a root that differs from this history`);
      }
      const check = checkSignatureRecord(record);
      if (!check.ok) throw new EntryFormatError(check.reason);
      signature = record;
    }
    this.tree.append(entryLeaf(entry));
    return { ...decoded, signature };
  }

  /** Rolls the history back to `seqno` (an uncommitted suffix discarded). */
  truncate(seqno: number): void {
    this.tree.truncate(seqno);
  }

  /** A receipt for the transaction in `entry`, proven by a later signature. */
  receipt(entry: Buffer, signature: SignatureRecord): Receipt {
    const { view, seqno } = decodeEntryHeader(entry);
    assert(seqno <= signature.tree_size, `signature over ${signature.tree_size} does not cover seqno ${seqno}`);
    return buildReceipt({
      view,
      seqno,
      components: entryLeafComponents(entry),
      commitEvidence: this.secret.commitEvidence(view, seqno),
      path: this.tree.path(seqno - 1, signature.tree_size),
      signature,
    });
  }
}
