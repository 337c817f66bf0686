// The auditor's check of a whole ledger, offline: replays every chunk file in seqno
// order and checks framing, the seqno chain, entry encoding, the Merkle tree, every
// signature transaction (its root, its signature, its node's endorsement by the
// service) and, given the ledger secret, every commit evidence digest and private
// domain. Stops at the first bad place and names it: file, offset, seqno, why.
import { sha256 } from '../crypto/hash.js';
import { MerkleTree } from '../crypto/merkle-tree.js';
import { jsonCodec } from '../kv/codec.js';
import { parseChunkName, readChunkFile, type ChunkName } from './chunk-format.js';
import { checkEndorsement } from './endorsement.js';
import { decodeEntry, type DecodedEntry } from './entry.js';
import type { LedgerFiles } from './ledger-files.js';
import { leafFromComponents } from './leaf.js';
import type { LedgerSecret } from './ledger-secret.js';
import { checkSignatureRecord, signatureRecordOf } from './signature.js';

/**
 * Where genesis records the service certificate: the `cert` field of the value in
 * this map. A verifier given no certificate adopts the first one it finds there.
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

type LedgerSource = Pick<LedgerFiles, 'list' | 'read' | 'size'>;

class VerifyStop extends Error {
  constructor(readonly failure: VerifyFailure) {
    super(failure.reason);
  }
}

export function verifyLedger(files: LedgerSource, options: VerifyOptions = {}): VerifyReport {
  const { secret } = options;
  const tree = new MerkleTree();
  let serviceCertificate = options.serviceCertificate;
  let certificateSource: VerifyReport['serviceCertificate'] = serviceCertificate === undefined ? 'none' : 'given';
  let bytesDone = 0;
  let entries = 0;
  let signatures = 0;
  let lastSignedSeqno = 0;
  let lastView = 0;
  let filesDone = 0;

  const chunks = orderChunks(files);
  const bytesTotal = chunks.reduce((sum, { name }) => sum + files.size(name), 0);
  const report = (failure?: VerifyFailure): VerifyReport => ({
    ok: failure === undefined,
    files: filesDone,
    bytes: bytesDone,
    entries,
    signatures,
    lastSeqno: tree.size,
    lastSignedSeqno,
    unsignedTail: tree.size - lastSignedSeqno,
    privateDomainsDecrypted: secret !== undefined,
    serviceCertificate: certificateSource,
    root: tree.root().toString('hex'),
    ...(failure === undefined ? {} : { failure }),
  });

  try {
    if (chunks.length === 0) throw new VerifyStop({ file: '', offset: 0, reason: 'no ledger chunk files (ledger_*) found' });
    let uncommittedSeen = false;
    for (const [index, { name, chunk }] of chunks.entries()) {
      if (chunk.startSeqno !== tree.size + 1) {
        const reason = chunk.startSeqno <= tree.size
          ? `chunk starts at seqno ${chunk.startSeqno}, which an earlier chunk already holds`
          : `chunk starts at seqno ${chunk.startSeqno} but the ledger so far ends at ${tree.size}: chunks missing`;
        throw new VerifyStop({ file: name, offset: 0, seqno: tree.size + 1, reason });
      }
      if (chunk.state === 'open' && index !== chunks.length - 1) {
        throw new VerifyStop({ file: name, offset: 0, reason: 'an open chunk is followed by other chunks' });
      }
      if (chunk.state === 'committed' && uncommittedSeen) {
        throw new VerifyStop({ file: name, offset: 0, reason: 'a committed chunk follows an uncommitted one' });
      }
      uncommittedSeen ||= chunk.state !== 'committed';

      const contents = readChunkFile(name, files.read(name));
      for (const frame of contents.frames) {
        const at = { file: name, offset: frame.offset, seqno: frame.seqno };
        const fail = (reason: string): never => {
          throw new VerifyStop({ ...at, reason });
        };
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
        if (header.seqno !== frame.seqno) fail(`entry says seqno ${header.seqno}, its frame ${frame.seqno}`);
        if ((header.kind === 'signature') !== frame.isSignature) fail(`entry kind ${header.kind} disagrees with its frame flags`);
        if (header.view < lastView) fail(`view goes back from ${lastView} to ${header.view}`);
        lastView = header.view;
        if (secret !== undefined && !secret.commitEvidenceDigest(header.view, header.seqno).equals(header.commitEvidenceDigest)) {
          fail('commit evidence digest does not match the ledger secret (wrong ledger secret, or the entry was altered)');
        }
        if (serviceCertificate === undefined) {
          serviceCertificate = serviceCertificateIn(decoded);
          if (serviceCertificate !== undefined) certificateSource = 'from-ledger';
        }
        if (header.kind === 'signature') {
          let record;
          try {
            record = signatureRecordOf(decoded);
          } catch (error) {
            return fail((error as Error).message);
          }
          if (record.root !== tree.root().toString('hex')) fail('signed root differs from the Merkle root of the entries before it');
          const check = checkSignatureRecord(record);
          if (!check.ok) fail(check.reason);
          if (serviceCertificate !== undefined) {
            const chain = checkEndorsement(record.cert, serviceCertificate);
            if (!chain.ok) fail(`signing node is not endorsed by the service certificate: ${chain.reason}`);
          }
          signatures += 1;
          lastSignedSeqno = header.seqno;
        }
        tree.append(leafFromComponents({
          writeSetDigest: sha256(frame.entry),
          commitEvidenceDigest: header.commitEvidenceDigest,
          claimsDigest: header.claimsDigest,
        }));
        entries += 1;
      }
      if (contents.error !== undefined) {
        const { offset, seqno, reason, torn } = contents.error;
        throw new VerifyStop({
          file: name,
          offset,
          ...(seqno === undefined ? {} : { seqno }),
          reason: torn && index === chunks.length - 1 ? `${reason} (a torn last write: a node would cut it on start)` : reason,
        });
      }
      // Leaves below the last signature are proven; keep only what later proofs need.
      tree.retainFrom(lastSignedSeqno);
      bytesDone += files.size(name);
      filesDone += 1;
      options.onProgress?.(bytesDone, bytesTotal);
    }
  } catch (error) {
    if (error instanceof VerifyStop) return report(error.failure);
    throw error;
  }
  return report();
}

function orderChunks(files: LedgerSource): Array<{ name: string; chunk: ChunkName }> {
  const chunks: Array<{ name: string; chunk: ChunkName }> = [];
  for (const name of files.list()) {
    const chunk = parseChunkName(name);
    if (chunk !== undefined) chunks.push({ name, chunk });
  }
  return chunks.sort((a, b) => a.chunk.startSeqno - b.chunk.startSeqno);
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
