// The ledger as a directory of chunk files (format: chunk-format.ts, docs/ledger-files.md).
// It stores opaque entries by seqno, rotates chunks after signature transactions, marks
// committed chunks by renaming them, rolls back uncommitted suffixes, and on open checks
// every file and cuts a torn final write. It sees the directory only through LedgerFiles,
// so it does no I/O of its own and runs unchanged in the deterministic simulation.
//
// Ordering contract (as etcd's Ready: "entries saved BEFORE messages are sent"):
// - `append` only buffers; `flush` hands buffered frames to the files; neither makes
//   anything durable. Entries are durable only once `sync` returns. A consensus
//   follower must `sync` before acknowledging entries; a primary before counting
//   itself in the commit quorum.
// - Chunk rotation syncs the finished chunk before renaming it, so only the open chunk
//   can ever end in a torn write.
// - `truncate` and `commit` are durable when they return (renames, truncations and
//   removals are durable in LedgerFiles). The commit seqno itself is recorded only by
//   `.committed` names, so after a restart `commitSeqno` is a lower bound: the end of the
//   last committed chunk.
import { strict as assert } from 'node:assert';
import { ledgerChunkBytesTarget, ledgerChunkOffsetCacheChunksMax, ledgerEntryBytesMax, ledgerWriteBatchBytesMax } from '../limits.js';
import {
  checkFrame,
  chunkFileName,
  chunkHeaderBytes,
  frameBytes,
  frameHeaderBytes,
  LedgerFormatError,
  parseChunkName,
  readChunkFile,
  scanChunk,
  writeChunkHeader,
  writeFrame,
  type ChunkFileContents,
  type ChunkName,
  type ChunkState,
} from './chunk-format.js';
import type { LedgerFiles } from './ledger-files.js';

export { LedgerFormatError } from './chunk-format.js';

export interface ChunkedLedgerOptions {
  /** A chunk is finished after the first signature transaction past this size. */
  chunkBytesTarget?: number;
  /** Seqno of the ledger's first entry: above 1 for a node that started from a snapshot. */
  startSeqno?: number;
}

export interface LedgerEntry {
  seqno: number;
  entry: Buffer;
  isSignature: boolean;
}

export interface ChunkInfo {
  name: string;
  startSeqno: number;
  /** startSeqno - 1 for an open chunk that holds no entry yet. */
  endSeqno: number;
  state: ChunkState;
  /** Including frames buffered but not yet flushed. */
  sizeBytes: number;
}

export interface TornTail {
  file: string;
  /** Where the last good frame ends: the file was cut here (removed, if 0). */
  offset: number;
  /** How many bytes were cut. */
  bytes: number;
  reason: string;
}

export interface LedgerRecovery {
  truncatedTail?: TornTail;
}

export interface LedgerFault {
  file: string;
  offset: number;
  seqno?: number;
  reason: string;
}

/** What `ChunkedLedger.verify` found; it changes nothing on disk. */
export interface LedgerCheck {
  chunks: ChunkInfo[];
  lastSeqno: number;
  commitSeqno: number;
  /** A torn final write that `open` would cut. */
  tornTail?: TornTail;
  /** The first bad place; `chunks` and `lastSeqno` describe what precedes it. */
  error?: LedgerFault;
}

interface Chunk {
  name: string;
  startSeqno: number;
  endSeqno: number;
  state: ChunkState;
  /** Bytes in the file; the open chunk may have more buffered. */
  fileBytes: number;
  /** Frame offsets by seqno - startSeqno; kept for uncommitted chunks only. */
  offsets: number[] | undefined;
}

interface DirectoryScan {
  chunks: Chunk[];
  lastSeqno: number;
  commitSeqno: number;
  tornTail?: TornTail;
  fault?: LedgerFault;
}

export class ChunkedLedger {
  readonly firstSeqno: number;
  private readonly files: LedgerFiles;
  private readonly chunkBytesTarget: number;
  private readonly chunkList: Chunk[];
  private last: number;
  private committed: number;
  /** Frames (and maybe a header) for the open chunk, not yet handed to `files`. */
  private pending: Buffer = Buffer.allocUnsafe(ledgerWriteBatchBytesMax);
  private pendingBytes = 0;
  /** Offset tables of recently read committed chunks, least recently used first. */
  private readonly offsetCache = new Map<string, number[]>();
  /** Bumped by truncate, so that iterators notice their ground moved. */
  private truncations = 0;

  private constructor(files: LedgerFiles, options: Required<ChunkedLedgerOptions>, scan: DirectoryScan) {
    this.files = files;
    this.firstSeqno = options.startSeqno;
    this.chunkBytesTarget = options.chunkBytesTarget;
    this.chunkList = scan.chunks;
    this.last = scan.lastSeqno;
    this.committed = scan.commitSeqno;
  }

  /**
   * Opens the ledger in `files`: checks every chunk file in seqno order (names, headers,
   * frames, CRCs), cuts a torn final write of the open chunk and reports it. Any other
   * fault throws LedgerFormatError naming the file, offset and reason.
   */
  static open(files: LedgerFiles, options: ChunkedLedgerOptions = {}): { ledger: ChunkedLedger; recovery: LedgerRecovery } {
    const resolved = resolveOptions(options);
    const scan = scanDirectory(files, resolved.startSeqno, true);
    if (scan.fault !== undefined) {
      throw new LedgerFormatError(scan.fault.file, scan.fault.offset, scan.fault.seqno, scan.fault.reason);
    }
    const recovery: LedgerRecovery = scan.tornTail === undefined ? {} : { truncatedTail: scan.tornTail };
    return { ledger: new ChunkedLedger(files, resolved, scan), recovery };
  }

  /** Checks the ledger in `files` as `open` does, without changing anything; never throws on bad bytes. */
  static verify(files: LedgerFiles, options: Pick<ChunkedLedgerOptions, 'startSeqno'> = {}): LedgerCheck {
    const scan = scanDirectory(files, resolveOptions(options).startSeqno, false);
    const check: LedgerCheck = { chunks: scan.chunks.map((chunk) => describe(chunk, 0)), lastSeqno: scan.lastSeqno, commitSeqno: scan.commitSeqno };
    if (scan.tornTail !== undefined) check.tornTail = scan.tornTail;
    if (scan.fault !== undefined) check.error = scan.fault;
    return check;
  }

  /** Reads one chunk file's bytes for an auditor; see chunk-format.ts. */
  static readChunkFile(name: string, bytes: Uint8Array): ChunkFileContents {
    return readChunkFile(name, bytes);
  }

  get lastSeqno(): number {
    return this.last;
  }

  get commitSeqno(): number {
    return this.committed;
  }

  /** Appends entry `seqno`, which must follow lastSeqno. Buffered: see the ordering contract above. */
  append(seqno: number, entry: Uint8Array, options: { isSignature: boolean }): void {
    // Hot path: messages are built only on failure.
    if (seqno !== this.last + 1) assert.fail(`append of seqno ${seqno} after ${this.last}`);
    if (entry.length > ledgerEntryBytesMax) assert.fail(`entry of ${entry.length} bytes exceeds ledgerEntryBytesMax`);
    let chunk = this.openChunk();
    if (chunk === undefined) {
      assert(this.pendingBytes === 0, 'buffered bytes without an open chunk');
      const name = chunkFileName({ startSeqno: seqno, state: 'open' });
      chunk = { name, startSeqno: seqno, endSeqno: seqno - 1, state: 'open', fileBytes: 0, offsets: [] };
      this.chunkList.push(chunk);
      this.reserve(chunkHeaderBytes + frameBytes(entry.length));
      this.pendingBytes = writeChunkHeader(this.pending, 0, seqno);
    } else {
      this.reserve(frameBytes(entry.length));
    }
    const offsets = chunk.offsets;
    assert(offsets !== undefined && offsets.length === seqno - chunk.startSeqno);
    offsets.push(chunk.fileBytes + this.pendingBytes);
    this.pendingBytes = writeFrame(this.pending, this.pendingBytes, seqno, entry, options.isSignature);
    chunk.endSeqno = seqno;
    this.last = seqno;
    if (options.isSignature && chunk.fileBytes + this.pendingBytes >= this.chunkBytesTarget) this.finishOpenChunk();
  }

  /** Hands buffered frames to the files in one append. Does not make them durable. */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const chunk = this.openChunk();
    assert(chunk !== undefined, 'buffered bytes without an open chunk');
    this.files.append(chunk.name, this.pending.subarray(0, this.pendingBytes));
    chunk.fileBytes += this.pendingBytes;
    this.pendingBytes = 0;
    if (this.pending.length > ledgerWriteBatchBytesMax) this.pending = Buffer.allocUnsafe(ledgerWriteBatchBytesMax);
  }

  /** Flushes, then makes every appended entry durable. */
  sync(): void {
    this.flush();
    const chunk = this.openChunk();
    if (chunk !== undefined) this.files.sync(chunk.name);
  }

  /**
   * Records that entries up to `seqno` are committed: every finished chunk that ends at
   * or before it is renamed `.committed`. Never goes backwards, never past lastSeqno.
   */
  commit(seqno: number): void {
    assert(Number.isSafeInteger(seqno), `bad commit seqno ${seqno}`);
    assert(seqno >= this.committed, `commit going backwards: ${seqno} < ${this.committed}`);
    assert(seqno <= this.last, `commit of ${seqno} past the last seqno ${this.last}`);
    this.committed = seqno;
    let first = this.chunkList.length;
    while (first > 0 && (this.chunkList[first - 1] as Chunk).state !== 'committed') first -= 1;
    for (let index = first; index < this.chunkList.length; index++) {
      const chunk = this.chunkList[index] as Chunk;
      if (chunk.state !== 'finished' || chunk.endSeqno > seqno) break;
      this.renameChunk(chunk, 'committed');
      chunk.offsets = undefined;
    }
  }

  /**
   * Removes every entry after `seqno` (a rollback of an uncommitted suffix); the next
   * append is `seqno + 1`. Later chunk files are removed, the chunk holding `seqno` is
   * cut and becomes the open chunk again.
   */
  truncate(seqno: number): void {
    assert(Number.isSafeInteger(seqno), `bad truncate seqno ${seqno}`);
    assert(seqno >= this.committed, `truncate to ${seqno} would remove committed entries (commit ${this.committed})`);
    assert(seqno <= this.last, `truncate to ${seqno} past the last seqno ${this.last}`);
    if (seqno === this.last) return;
    this.flush();
    this.truncations += 1;
    // Highest first, so that a crash part-way leaves a consistent prefix.
    while (this.chunkList.length > 0 && (this.chunkList.at(-1) as Chunk).startSeqno > seqno) {
      const chunk = this.chunkList.pop() as Chunk;
      assert(chunk.state !== 'committed', `truncate would remove committed chunk ${chunk.name}`);
      this.files.remove(chunk.name);
    }
    const tail = this.chunkList.at(-1);
    if (tail !== undefined && tail.endSeqno > seqno) {
      assert(tail.state !== 'committed' && tail.offsets !== undefined, `truncate into committed chunk ${tail.name}`);
      // Rename before cutting: a crash in between leaves an open chunk with extra
      // entries, which is consistent; the other order would leave a lying name.
      if (tail.state === 'finished') this.renameChunk(tail, 'open');
      const keep = seqno - tail.startSeqno + 1;
      const cut = tail.offsets[keep];
      assert(cut !== undefined);
      this.files.truncate(tail.name, cut);
      tail.offsets.length = keep;
      tail.endSeqno = seqno;
      tail.fileBytes = cut;
    }
    this.last = seqno;
  }

  /** Entry `seqno`, or undefined outside [firstSeqno, lastSeqno]. Throws LedgerFormatError if the file no longer checks out. */
  read(seqno: number): { entry: Buffer; isSignature: boolean } | undefined {
    if (!Number.isSafeInteger(seqno) || seqno < this.firstSeqno || seqno > this.last) return undefined;
    const [entry] = this.readRange(seqno, seqno);
    assert(entry !== undefined);
    return { entry: entry.entry, isSignature: entry.isSignature };
  }

  /** Entries `from` to `to`, both included, within [firstSeqno, lastSeqno]; one file read per chunk. */
  readRange(from: number, to: number): LedgerEntry[] {
    assert(Number.isSafeInteger(from) && Number.isSafeInteger(to), 'bad range');
    assert(from >= this.firstSeqno && to <= this.last && from <= to + 1, `range ${from}..${to} outside ${this.firstSeqno}..${this.last}`);
    const out: LedgerEntry[] = [];
    let seqno = from;
    while (seqno <= to) {
      const chunk = this.findChunk(seqno);
      const offsets = this.offsetsOf(chunk);
      const until = Math.min(to, chunk.endSeqno);
      const start = offsets[seqno - chunk.startSeqno] as number;
      const end = until === chunk.endSeqno ? this.chunkBytes(chunk) : (offsets[until + 1 - chunk.startSeqno] as number);
      const bytes = this.readChunk(chunk, start, end);
      let at = 0;
      for (; seqno <= until; seqno++) {
        const frame = checkFrame(bytes, at, seqno);
        if ('reason' in frame) throw new LedgerFormatError(chunk.name, start + frame.offset, seqno, frame.reason);
        out.push({ seqno, entry: bytes.subarray(at + frameHeaderBytes, frame.end), isSignature: frame.isSignature });
        at = frame.end;
      }
      assert(at === bytes.length, `${chunk.name}: frames do not fill ${start}..${end}`);
    }
    return out;
  }

  /**
   * Streams entries from `fromSeqno` to the end, reading one chunk at a time, so a
   * ledger of any size can be walked. Must not be interleaved with `truncate`.
   */
  *entries(fromSeqno: number = this.firstSeqno): Generator<LedgerEntry> {
    const truncations = this.truncations;
    let seqno = Math.max(fromSeqno, this.firstSeqno);
    while (seqno <= this.last) {
      const chunk = this.findChunk(seqno);
      const bytes = this.readChunk(chunk, 0, this.chunkBytes(chunk));
      const frames: LedgerEntry[] = [];
      const scan = scanChunk(bytes, { startSeqno: chunk.startSeqno }, (frameSeqno, offset, frameLength, isSignature) => {
        if (frameSeqno >= seqno) frames.push({ seqno: frameSeqno, entry: bytes.subarray(offset + frameHeaderBytes, offset + frameLength), isSignature });
      });
      if (scan.fault !== undefined) throw new LedgerFormatError(chunk.name, scan.fault.offset, scan.fault.seqno, scan.fault.reason);
      assert(scan.lastSeqno === chunk.endSeqno, `${chunk.name} holds ${scan.lastSeqno}, expected ${chunk.endSeqno}`);
      for (const frame of frames) {
        yield frame;
        assert(truncations === this.truncations, 'ledger truncated while its entries were being iterated');
      }
      seqno = chunk.endSeqno + 1;
    }
  }

  /** The chunk files, in seqno order, for operators. */
  chunks(): ChunkInfo[] {
    return this.chunkList.map((chunk) => describe(chunk, chunk.state === 'open' ? this.pendingBytes : 0));
  }

  /** Syncs, then releases the files' cached resources. */
  close(): void {
    this.sync();
    this.files.close();
  }

  private openChunk(): Chunk | undefined {
    const tail = this.chunkList.at(-1);
    return tail?.state === 'open' ? tail : undefined;
  }

  /** Makes room for `bytes` more buffered bytes, flushing what is buffered if need be. */
  private reserve(bytes: number): void {
    if (this.pendingBytes + bytes <= this.pending.length) return;
    if (this.pendingBytes > 0) this.flush();
    if (bytes > this.pending.length) this.pending = Buffer.allocUnsafe(bytes);
  }

  private finishOpenChunk(): void {
    const chunk = this.openChunk();
    assert(chunk !== undefined && chunk.endSeqno >= chunk.startSeqno, 'no open chunk with entries to finish');
    this.flush();
    this.files.sync(chunk.name);
    this.renameChunk(chunk, chunk.endSeqno <= this.committed ? 'committed' : 'finished');
    if (chunk.state === 'committed') chunk.offsets = undefined;
  }

  private renameChunk(chunk: Chunk, state: ChunkState): void {
    const name: ChunkName = state === 'open' ? { startSeqno: chunk.startSeqno, state } : { startSeqno: chunk.startSeqno, endSeqno: chunk.endSeqno, state };
    const newName = chunkFileName(name);
    this.files.rename(chunk.name, newName);
    this.offsetCache.delete(chunk.name);
    chunk.name = newName;
    chunk.state = state;
  }

  /** The chunk holding `seqno`, which must be in [firstSeqno, lastSeqno]. */
  private findChunk(seqno: number): Chunk {
    let low = 0;
    let high = this.chunkList.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if ((this.chunkList[middle] as Chunk).startSeqno <= seqno) low = middle;
      else high = middle - 1;
    }
    const chunk = this.chunkList[low];
    assert(chunk !== undefined && chunk.startSeqno <= seqno && seqno <= chunk.endSeqno, `no chunk holds seqno ${seqno}`);
    return chunk;
  }

  /** Size of the chunk's content, buffered bytes included. */
  private chunkBytes(chunk: Chunk): number {
    return chunk.fileBytes + (chunk.state === 'open' ? this.pendingBytes : 0);
  }

  /** Bytes [start, end) of the chunk, from its file and, for the open chunk, the buffer. */
  private readChunk(chunk: Chunk, start: number, end: number): Buffer {
    assert(0 <= start && start <= end && end <= this.chunkBytes(chunk));
    const fileEnd = Math.min(end, chunk.fileBytes);
    const fromFile = start < fileEnd ? this.files.readRange(chunk.name, start, fileEnd - start) : undefined;
    if (end <= chunk.fileBytes) return fromFile ?? Buffer.alloc(0);
    const fromBuffer = this.pending.subarray(Math.max(start, chunk.fileBytes) - chunk.fileBytes, end - chunk.fileBytes);
    return fromFile === undefined ? Buffer.from(fromBuffer) : Buffer.concat([fromFile, fromBuffer]);
  }

  private offsetsOf(chunk: Chunk): number[] {
    if (chunk.offsets !== undefined) return chunk.offsets;
    const cached = this.offsetCache.get(chunk.name);
    if (cached !== undefined) {
      this.offsetCache.delete(chunk.name);
      this.offsetCache.set(chunk.name, cached);
      return cached;
    }
    const offsets: number[] = [];
    const scan = scanChunk(this.files.read(chunk.name), { startSeqno: chunk.startSeqno, endSeqno: chunk.endSeqno }, (_seqno, offset) => {
      offsets.push(offset);
    });
    if (scan.fault !== undefined) throw new LedgerFormatError(chunk.name, scan.fault.offset, scan.fault.seqno, scan.fault.reason);
    this.offsetCache.set(chunk.name, offsets);
    while (this.offsetCache.size > ledgerChunkOffsetCacheChunksMax) {
      const oldest = this.offsetCache.keys().next().value;
      assert(oldest !== undefined);
      this.offsetCache.delete(oldest);
    }
    return offsets;
  }
}

function resolveOptions(options: ChunkedLedgerOptions): Required<ChunkedLedgerOptions> {
  const resolved = { chunkBytesTarget: options.chunkBytesTarget ?? ledgerChunkBytesTarget, startSeqno: options.startSeqno ?? 1 };
  assert(Number.isSafeInteger(resolved.chunkBytesTarget) && resolved.chunkBytesTarget > 0, `bad chunkBytesTarget ${resolved.chunkBytesTarget}`);
  assert(Number.isSafeInteger(resolved.startSeqno) && resolved.startSeqno >= 1, `bad startSeqno ${resolved.startSeqno}`);
  return resolved;
}

function describe(chunk: Chunk, pendingBytes: number): ChunkInfo {
  return { name: chunk.name, startSeqno: chunk.startSeqno, endSeqno: chunk.endSeqno, state: chunk.state, sizeBytes: chunk.fileBytes + pendingBytes };
}

/**
 * Checks every chunk file in seqno order. With `repair`, a torn final write of the open
 * chunk is cut (the file removed if even its header is torn); without, it is only
 * reported. Stops at the first fault.
 */
function scanDirectory(files: LedgerFiles, startSeqno: number, repair: boolean): DirectoryScan {
  const scan: DirectoryScan = { chunks: [], lastSeqno: startSeqno - 1, commitSeqno: startSeqno - 1 };
  const fail = (file: string, offset: number, seqno: number | undefined, reason: string): DirectoryScan => {
    scan.fault = seqno === undefined ? { file, offset, reason } : { file, offset, seqno, reason };
    return scan;
  };

  const named: Array<{ name: string; chunk: ChunkName }> = [];
  for (const name of files.list()) {
    if (!name.startsWith('ledger_')) continue;
    const chunk = parseChunkName(name);
    if (chunk === undefined) return fail(name, 0, undefined, 'not a chunk file name (ledger_<start>, ledger_<start>-<end> or ledger_<start>-<end>.committed)');
    named.push({ name, chunk });
  }
  named.sort((a, b) => a.chunk.startSeqno - b.chunk.startSeqno);

  let expected = startSeqno;
  for (let index = 0; index < named.length; index++) {
    const { name, chunk } = named[index] as { name: string; chunk: ChunkName };
    const isLast = index === named.length - 1;
    const previous = scan.chunks.at(-1);
    if (chunk.startSeqno !== expected) {
      const reason =
        index === 0
          ? `the ledger starts at seqno ${chunk.startSeqno}, expected ${expected}`
          : chunk.startSeqno > expected
            ? `gap: seqnos ${expected}..${chunk.startSeqno - 1} are in no chunk`
            : `overlap: starts at seqno ${chunk.startSeqno}, but ${previous?.name ?? 'the previous chunk'} ends at ${expected - 1}`;
      return fail(name, 0, expected, reason);
    }
    if (chunk.state === 'open' && !isLast) return fail(name, 0, expected, `open chunk is followed by ${named[index + 1]?.name}`);
    if (chunk.state === 'committed' && previous !== undefined && previous.state !== 'committed') {
      return fail(name, 0, expected, `committed chunk follows uncommitted ${previous.name}`);
    }

    const bytes = files.read(name);
    const offsets: number[] = [];
    const chunkScan = scanChunk(bytes, { startSeqno: chunk.startSeqno, endSeqno: chunk.endSeqno, finished: chunk.state !== 'open' }, (_seqno, offset) => {
      offsets.push(offset);
    });
    let fileBytes = bytes.length;
    const fault = chunkScan.fault;
    if (fault !== undefined) {
      if (!(isLast && chunk.state === 'open' && fault.torn)) return fail(name, fault.offset, fault.seqno, fault.reason);
      const headerTorn = chunkScan.startSeqno === undefined;
      const cutAt = headerTorn ? 0 : chunkScan.goodBytes;
      assert(headerTorn || cutAt === fault.offset);
      scan.tornTail = { file: name, offset: cutAt, bytes: bytes.length - cutAt, reason: fault.reason };
      fileBytes = cutAt;
      if (repair && headerTorn) files.remove(name);
      else if (repair) files.truncate(name, cutAt);
      if (headerTorn) break;
    }
    scan.chunks.push({
      name,
      startSeqno: chunk.startSeqno,
      endSeqno: chunkScan.lastSeqno,
      state: chunk.state,
      fileBytes,
      offsets: chunk.state === 'committed' ? undefined : offsets,
    });
    scan.lastSeqno = chunkScan.lastSeqno;
    if (chunk.state === 'committed') scan.commitSeqno = chunkScan.lastSeqno;
    expected = chunkScan.lastSeqno + 1;
  }
  return scan;
}
