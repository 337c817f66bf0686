// Receipts: offline proof that a transaction is in the ledger, checkable with only
// the service certificate. A receipt carries the transaction's leaf components, the
// Merkle path from its leaf to a signed root, and the signature transaction that
// signed that root with a node certificate endorsed by the service. docs/receipts.md
// specifies the JSON and every verification step.
import { sha256Utf8 } from '../crypto/hash.js';
import { pathMatchesIndex, rootFromPath, type MerklePath } from '../crypto/merkle-tree.js';
import { checkEndorsement } from './node-certificates.js';
import { leafFromComponents, type LeafComponents } from './leaf.js';
import { checkSignatureRecord, HEX_DIGEST, parseSignatureRecord, type SignatureRecord } from './signature.js';
import { parseTxId } from './tx-id.js';

export interface Receipt {
  /** The transaction proven, `view.seqno`. */
  readonly txid: string;
  readonly leaf_components: {
    readonly write_set_digest: string;
    /** `ce:<view>.<seqno>:<hex>`: shown only once the transaction is committed. */
    readonly commit_evidence: string;
    readonly claims_digest: string;
  };
  /** Siblings from the leaf up to the signed root. */
  readonly proof: ReadonlyArray<{ readonly left: string } | { readonly right: string }>;
  readonly signature: SignatureRecord;
}

export interface ReceiptInput {
  readonly view: number;
  readonly seqno: number;
  readonly components: LeafComponents;
  readonly commitEvidence: string;
  readonly path: MerklePath;
  readonly signature: SignatureRecord;
}

export function buildReceipt(input: ReceiptInput): Receipt {
  return {
    txid: `${input.view}.${input.seqno}`,
    leaf_components: {
      write_set_digest: Buffer.from(input.components.writeSetDigest).toString('hex'),
      commit_evidence: input.commitEvidence,
      claims_digest: Buffer.from(input.components.claimsDigest).toString('hex'),
    },
    proof: input.path.map((step) => ('left' in step ? { left: step.left.toString('hex') } : { right: step.right.toString('hex') })),
    signature: input.signature,
  };
}

export type ReceiptCheck =
  | { readonly ok: true; readonly txid: string; readonly signedBy: string }
  | { readonly ok: false; readonly reason: string };

const COMMIT_EVIDENCE = /^ce:(\d{1,10}\.\d{1,16}):[0-9a-f]{64}$/;

/**
 * Verifies a receipt (parsed JSON, untrusted) against the service certificate.
 * Never throws: any malformed field is a failed check with its reason.
 */
export function verifyReceipt(value: unknown, serviceCertificate: string): ReceiptCheck {
  try {
    return checkReceipt(value, serviceCertificate);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

function checkReceipt(value: unknown, serviceCertificate: string): ReceiptCheck {
  const fail = (reason: string): ReceiptCheck => ({ ok: false, reason });
  if (typeof value !== 'object' || value === null) return fail('a receipt is a JSON object');
  const receipt = value as Record<string, unknown>;

  const txid = typeof receipt.txid === 'string' ? parseTxId(receipt.txid) : undefined;
  if (txid === undefined) return fail('txid is missing or not view.seqno');
  const { seqno } = txid;

  const leaf = receipt.leaf_components as Record<string, unknown> | undefined;
  if (typeof leaf !== 'object' || leaf === null) return fail('leaf_components is missing');
  const { write_set_digest: writeSetDigest, commit_evidence: commitEvidence, claims_digest: claimsDigest } = leaf;
  if (typeof writeSetDigest !== 'string' || !HEX_DIGEST.test(writeSetDigest)) return fail('write_set_digest is not a hex SHA-256');
  if (typeof claimsDigest !== 'string' || !HEX_DIGEST.test(claimsDigest)) return fail('claims_digest is not a hex SHA-256');
  const evidence = typeof commitEvidence === 'string' ? COMMIT_EVIDENCE.exec(commitEvidence) : null;
  if (evidence === null) return fail('commit_evidence is missing or malformed');
  if (evidence[1] !== receipt.txid) return fail(`commit evidence is for ${evidence[1]}, not ${receipt.txid}`);

  if (!Array.isArray(receipt.proof)) return fail('proof is not a list');
  const path: MerklePath = [];
  for (const step of receipt.proof as unknown[]) {
    const s = step as Record<string, unknown> | null;
    const keys = s !== null && typeof s === 'object' ? Object.keys(s) : [];
    const side = keys[0];
    const hash = side === undefined ? undefined : s?.[side];
    if (keys.length !== 1 || (side !== 'left' && side !== 'right') || typeof hash !== 'string' || !HEX_DIGEST.test(hash)) {
      return fail('each proof step is {"left": hex} or {"right": hex}');
    }
    path.push(side === 'left' ? { left: Buffer.from(hash, 'hex') } : { right: Buffer.from(hash, 'hex') });
  }

  let signature: SignatureRecord;
  try {
    signature = parseSignatureRecord(receipt.signature);
  } catch (error) {
    return fail((error as Error).message);
  }
  if (seqno > signature.tree_size) {
    return fail(`transaction ${receipt.txid} is not covered by the signature over ${signature.tree_size} transactions`);
  }
  if (!pathMatchesIndex(path, seqno - 1, signature.tree_size)) {
    return fail(`proof does not lead from position ${seqno} in a tree of ${signature.tree_size} transactions`);
  }

  const leafHash = leafFromComponents({
    writeSetDigest: Buffer.from(writeSetDigest, 'hex'),
    commitEvidenceDigest: sha256Utf8(commitEvidence as string),
    claimsDigest: Buffer.from(claimsDigest, 'hex'),
  });
  const root = rootFromPath(leafHash, path);
  if (root.toString('hex') !== signature.root) return fail('proof does not lead to the signed root');

  const signed = checkSignatureRecord(signature);
  if (!signed.ok) return fail(signed.reason);
  const chain = checkEndorsement(signature.cert, serviceCertificate);
  if (!chain.ok) return fail(`signing node is not endorsed by the service certificate: ${chain.reason}`);
  return { ok: true, txid: receipt.txid as string, signedBy: signature.node_id };
}

