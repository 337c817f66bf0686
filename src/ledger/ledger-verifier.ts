// The auditor's check of a whole ledger, offline: replays every chunk file in seqno
// order and checks framing, the seqno chain, entry encoding, the Merkle tree, every
// signature transaction (its root, its signature, its node's endorsement by the
// service) and, given the ledger secret, every commit evidence digest and private
// domain. Stops at the first bad place and names it: file, offset, seqno, why.
//
// The work splits in two: `checkChunk` does everything one chunk file allows on its own
// (framing, decoding, decryption, leaf digests, signature cryptography) and `LedgerFold`
// does what needs order (the seqno chain across files, views, the Merkle tree, signed
// roots, endorsements). Chunk checks are independent, so they could run on several
// cores; measured on this 2-core machine, worker threads did not beat one thread
// (memory-bound hashing), so verifyLedger runs them in turn.
import { sha256 } from '../crypto/hash.js';
import { MerkleTree } from '../crypto/merkle-tree.js';
import { jsonCodec } from '../kv/codec.js';
import { parseChunkName, readChunkFile, type ChunkName } from './chunk-format.js';
import { decodeEntry, type DecodedEntry } from './entry.js';
import type { LedgerFiles } from './ledger-files.js';
import { leafFromComponents } from './leaf.js';
import type { LedgerSecret } from './ledger-secret.js';
import { checkEndorsement } from './node-certificates.js';
import { checkSignatureRecord, signatureRecordOf, type SignatureRecord } from './signature.js';

/**
 * Where genesis records the service certificate: the `cert` field of the value in
 * this map (src/gov/service-maps.ts re-exports the name). A verifier
 * given no certificate adopts the first one it finds there.
 */
export const SERVICE_INFO_MAP = 'public:coco.gov.service.info';

export interface VerifyOptions {
  readonly secret?: LedgerSecret;
  /** PEM; when absent, taken from the ledger's service info, if any. */
  readonly serviceCertificate?: string;
  /** Called after each chunk file with the bytes checked so far. */
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface VerifyFailure {
  readonly file: string;
  readonly offset: number;
  readonly seqno?: number;
  readonly reason: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly files: number;
  readonly bytes: number;
  readonly entries: number;
  readonly signatures: number;
  readonly lastSeqno: number;
  /** Seqno of the last signature transaction: everything up to it is proven. */
  readonly lastSignedSeqno: number;
  /** Entries after the last signature: well-formed but not yet covered by a signature. */
  readonly unsignedTail: number;
  readonly privateDomainsDecrypted: boolean;
  readonly serviceCertificate: 'given' | 'from-ledger' | 'none';
  readonly root: string;
  readonly failure?: VerifyFailure;
}

/** One good entry of a chunk, as the fold needs it. */
export interface CheckedEntry {
  readonly seqno: number;
  readonly offset: number;
  readonly view: number;
  readonly leaf: Uint8Array;
  /** For a signature transaction: its record, whose own signature already verified. */
  readonly signature?: SignatureRecord;
}

/** What one chunk file says on its own, for the fold. */
export interface ChunkCheck {
  readonly name: string;
  readonly chunk: ChunkName;
  readonly bytes: number;
  /** Every good entry before the first failure, in seqno order. */
  readonly entries: CheckedEntry[];
  /** The first service certificate recorded in this chunk, if any. */
  readonly serviceCertificate?: string;
  readonly failure?: VerifyFailure;
  /** The failure is an incomplete last write (only meaningful for the last chunk). */
  readonly torn?: boolean;
}

type LedgerSource = Pick<LedgerFiles, 'list' | 'read' | 'size'>;

/**
 * The chunk files of a directory listing, in seqno order. Files not named `ledger_*`
 * are ignored; a `ledger_*` name that is not a chunk name is returned as malformed.
 */
export function orderedChunks(names: readonly string[]): { chunks: Array<{ name: string; chunk: ChunkName }>; malformed: string[] } {
  const chunks: Array<{ name: string; chunk: ChunkName }> = [];
  const malformed: string[] = [];
  for (const name of names) {
    const chunk = parseChunkName(name);
    if (chunk !== undefined) chunks.push({ name, chunk });
    else if (name.startsWith('ledger_')) malformed.push(name);
  }
  return { chunks: chunks.sort((a, b) => a.chunk.startSeqno - b.chunk.startSeqno), malformed };
}

/** Checks one chunk file on its own. Never throws on bad bytes. */
export function checkChunk(name: string, chunk: ChunkName, bytes: Buffer, secret?: LedgerSecret): ChunkCheck {
  const contents = readChunkFile(name, bytes);
  const entries: CheckedEntry[] = [];
  let serviceCertificate: string | undefined;
  const result = (failure?: VerifyFailure, torn?: boolean): ChunkCheck => ({
    name,
    chunk,
    bytes: bytes.length,
    entries,
    ...(serviceCertificate === undefined ? {} : { serviceCertificate }),
    ...(failure === undefined ? {} : { failure }),
    ...(torn === true ? { torn } : {}),
  });

  for (const frame of contents.frames) {
    const fail = (reason: string): ChunkCheck => result({ file: name, offset: frame.offset, seqno: frame.seqno, reason });
    let decoded: DecodedEntry;
    try {
      decoded = decodeEntry(frame.entry, secret);
    } catch (error) {
      const message = (error as Error).message;
      return fail((error as Error).name === 'DecryptionError'
        ? `private domain does not decrypt (wrong ledger secret, or the entry was altered): ${message}`
        : message);
    }
    const { header } = decoded;
    if (header.seqno !== frame.seqno) return fail(`entry says seqno ${header.seqno}, its frame ${frame.seqno}`);
    if ((header.kind === 'signature') !== frame.isSignature) return fail(`entry kind ${header.kind} disagrees with its frame flags`);
    if (secret !== undefined && !secret.commitEvidenceDigest(header.view, header.seqno).equals(header.commitEvidenceDigest)) {
      return fail('commit evidence digest does not match the ledger secret (wrong ledger secret, or the entry was altered)');
    }
    serviceCertificate ??= serviceCertificateIn(decoded);
    let signature: SignatureRecord | undefined;
    if (header.kind === 'signature') {
      try {
        signature = signatureRecordOf(decoded);
      } catch (error) {
        return fail((error as Error).message);
      }
      const check = checkSignatureRecord(signature);
      if (!check.ok) return fail(check.reason);
    }
    const leaf = leafFromComponents({
      writeSetDigest: sha256(frame.entry),
      commitEvidenceDigest: header.commitEvidenceDigest,
      claimsDigest: header.claimsDigest,
    });
    entries.push({ seqno: header.seqno, offset: frame.offset, view: header.view, leaf, ...(signature === undefined ? {} : { signature }) });
  }
  if (contents.error !== undefined) {
    const { offset, seqno, reason, torn } = contents.error;
    return result({ file: name, offset, ...(seqno === undefined ? {} : { seqno }), reason }, torn);
  }
  return result();
}

/** Folds chunk checks, in seqno order, into the verdict on the whole ledger. */
export class LedgerFold {
  readonly #tree = new MerkleTree();
  readonly #chunkCount: number;
  readonly #privateDomainsDecrypted: boolean;
  #serviceCertificate: string | undefined;
  #certificateSource: VerifyReport['serviceCertificate'];
  #files = 0;
  #bytes = 0;
  #signatures = 0;
  #lastSignedSeqno = 0;
  #lastView = 0;
  #uncommittedSeen = false;
  #failure: VerifyFailure | undefined;

  constructor(options: { chunkCount: number; malformedNames?: readonly string[]; serviceCertificate?: string; privateDomainsDecrypted: boolean }) {
    this.#chunkCount = options.chunkCount;
    this.#serviceCertificate = options.serviceCertificate;
    this.#certificateSource = options.serviceCertificate === undefined ? 'none' : 'given';
    this.#privateDomainsDecrypted = options.privateDomainsDecrypted;
    const malformed = options.malformedNames?.[0];
    if (malformed !== undefined) {
      this.#failure = { file: malformed, offset: 0, reason: 'not a chunk file name (ledger_<start>, ledger_<start>-<end> or ledger_<start>-<end>.committed)' };
    } else if (options.chunkCount === 0) {
      this.#failure = { file: '', offset: 0, reason: 'no ledger chunk files (ledger_*) found' };
    }
  }

  /** Adds the next chunk; returns false once the ledger has failed (later chunks are moot). */
  add(check: ChunkCheck): boolean {
    if (this.#failure !== undefined) return false;
    this.#failure = this.#fold(check);
    if (this.#failure !== undefined) return false;
    // Leaves below the last signature are proven; keep only what later proofs need.
    this.#tree.retainFrom(this.#lastSignedSeqno);
    this.#files += 1;
    this.#bytes += check.bytes;
    return true;
  }

  get bytesDone(): number {
    return this.#bytes;
  }

  report(): VerifyReport {
    const tree = this.#tree;
    return {
      ok: this.#failure === undefined,
      files: this.#files,
      bytes: this.#bytes,
      entries: tree.size,
      signatures: this.#signatures,
      lastSeqno: tree.size,
      lastSignedSeqno: this.#lastSignedSeqno,
      unsignedTail: tree.size - this.#lastSignedSeqno,
      privateDomainsDecrypted: this.#privateDomainsDecrypted,
      serviceCertificate: this.#certificateSource,
      root: tree.root().toString('hex'),
      ...(this.#failure === undefined ? {} : { failure: this.#failure }),
    };
  }

  #fold(check: ChunkCheck): VerifyFailure | undefined {
    const { name, chunk } = check;
    const tree = this.#tree;
    const last = this.#files === this.#chunkCount - 1;
    if (chunk.startSeqno !== tree.size + 1) {
      const reason = chunk.startSeqno <= tree.size
        ? `chunk starts at seqno ${chunk.startSeqno}, which an earlier chunk already holds`
        : `chunk starts at seqno ${chunk.startSeqno} but the ledger so far ends at ${tree.size}: chunks missing`;
      return { file: name, offset: 0, seqno: tree.size + 1, reason };
    }
    if (chunk.state === 'open' && !last) return { file: name, offset: 0, reason: 'an open chunk is followed by other chunks' };
    if (chunk.state === 'committed' && this.#uncommittedSeen) return { file: name, offset: 0, reason: 'a committed chunk follows an uncommitted one' };
    this.#uncommittedSeen ||= chunk.state !== 'committed';
    if (this.#serviceCertificate === undefined && check.serviceCertificate !== undefined) {
      this.#serviceCertificate = check.serviceCertificate;
      this.#certificateSource = 'from-ledger';
    }

    for (const entry of check.entries) {
      const at = { file: name, offset: entry.offset, seqno: entry.seqno };
      if (entry.view < this.#lastView) return { ...at, reason: `view goes back from ${this.#lastView} to ${entry.view}` };
      this.#lastView = entry.view;
      const { signature } = entry;
      if (signature !== undefined) {
        if (signature.root !== tree.root().toString('hex')) return { ...at, reason: 'signed root differs from the Merkle root of the entries before it' };
        if (this.#serviceCertificate !== undefined) {
          const chain = checkEndorsement(signature.cert, this.#serviceCertificate);
          if (!chain.ok) return { ...at, reason: `signing node is not endorsed by the service certificate: ${chain.reason}` };
        }
        this.#signatures += 1;
        this.#lastSignedSeqno = entry.seqno;
      }
      tree.append(entry.leaf);
    }
    if (check.failure !== undefined) {
      const note = check.torn === true && last ? ' (a torn last write: a node would cut it on start)' : '';
      return { ...check.failure, reason: `${check.failure.reason}${note}` };
    }
    return undefined;
  }
}

/** Verifies a ledger, chunk by chunk, holding one chunk file in memory at a time. */
export function verifyLedger(files: LedgerSource, options: VerifyOptions = {}): VerifyReport {
  const { chunks, malformed } = orderedChunks(files.list());
  const bytesTotal = chunks.reduce((sum, { name }) => sum + files.size(name), 0);
  const fold = new LedgerFold({
    chunkCount: chunks.length,
    malformedNames: malformed,
    ...(options.serviceCertificate === undefined ? {} : { serviceCertificate: options.serviceCertificate }),
    privateDomainsDecrypted: options.secret !== undefined,
  });
  for (const { name, chunk } of chunks) {
    if (!fold.add(checkChunk(name, chunk, files.read(name), options.secret))) break;
    options.onProgress?.(fold.bytesDone, bytesTotal);
  }
  return fold.report();
}

function serviceCertificateIn(decoded: DecodedEntry): string | undefined {
  const write = decoded.publicMaps.find((map) => map.name === SERVICE_INFO_MAP)?.writes[0];
  if (write?.value == null) return undefined;
  try {
    const info = jsonCodec.decode(write.value) as { cert?: unknown };
    return typeof info?.cert === 'string' ? info.cert : undefined;
  } catch {
    return undefined;
  }
}
