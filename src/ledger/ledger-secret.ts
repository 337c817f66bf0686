// The ledger secret: the 32-byte symmetric secret that protects private domains.
// Keys are derived from it with HKDF so one secret serves two purposes without
// reusing a key: AES-256-GCM encryption of private domains, and the HMAC that makes
// commit evidence (revealed only once a transaction commits, as in CCF).
import assert from 'node:assert/strict';
import { AesGcmKey, ivFromCounters } from '../crypto/aes-gcm.js';
import { hkdfSha256 } from '../crypto/hkdf.js';
import { hmacSha256Hex, sha256Utf8 } from '../crypto/hash.js';
import { fromHex } from '../crypto/bytes.js';

export const LEDGER_SECRET_BYTES = 32;

export class LedgerSecret {
  readonly encryptionKey: AesGcmKey;
  readonly #commitEvidenceKey: Buffer;
  readonly #raw: Buffer;

  constructor(secret: Uint8Array) {
    assert.equal(secret.length, LEDGER_SECRET_BYTES, 'a ledger secret is 32 bytes');
    this.#raw = Buffer.from(secret);
    this.encryptionKey = new AesGcmKey(hkdfSha256(secret, new Uint8Array(0), 'coco ledger encryption v1', 32));
    this.#commitEvidenceKey = hkdfSha256(secret, new Uint8Array(0), 'coco commit evidence v1', 32);
  }

  /** The raw secret, for handing to a joining node or a recovery share. */
  get bytes(): Buffer {
    return Buffer.from(this.#raw);
  }

  /**
   * The commit evidence of a transaction: `ce:<view>.<seqno>:<64 hex>`. Its SHA-256
   * is in the entry and the Merkle leaf; the evidence itself is shown only in receipts
   * of committed transactions, so a receipt with it proves commit, not just signing.
   */
  commitEvidence(view: number, seqno: number): string {
    const txId = `${view}.${seqno}`;
    return `ce:${txId}:${hmacSha256Hex(this.#commitEvidenceKey, txId)}`;
  }

  commitEvidenceDigest(view: number, seqno: number): Buffer {
    return sha256Utf8(this.commitEvidence(view, seqno));
  }
}

/** IV of a private domain: u32 view || u64 seqno, strictly increasing on a primary. */
export function privateDomainIv(view: number, seqno: number): Buffer {
  return ivFromCounters(view, seqno);
}

/**
 * Reads a ledger secret from the text of a secret file: the 32 bytes as 64 hex digits
 * or as base64, surrounding white space ignored.
 */
export function parseLedgerSecret(text: string): LedgerSecret {
  const trimmed = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = fromHex(trimmed);
  else if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) bytes = Buffer.from(trimmed, 'base64');
  if (bytes?.length !== LEDGER_SECRET_BYTES) {
    throw new TypeError('a ledger secret file holds 32 bytes as 64 hex digits or as base64');
  }
  return new LedgerSecret(bytes);
}
