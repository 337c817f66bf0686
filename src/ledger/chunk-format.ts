// The ledger's chunk files: their names and how entries are framed inside them.
// docs/ledger-files.md is the specification; this file and that page must agree.
//
//   name    ledger_<start>            open chunk (the one being appended to)
//           ledger_<start>-<end>      finished, not yet fully committed
//           ledger_<start>-<end>.committed
//   header  "COCOLDG1" | u64 start seqno
//   frame   u32 entry length | u32 CRC-32 | u64 seqno | u8 flags | entry
//
// All integers are big-endian. The CRC-32 (ISO-HDLC, as zlib and gzip) covers the
// frame from the seqno to the end of the entry, so a flipped seqno or flag is caught as
// surely as a flipped entry byte; a wrong length misplaces the CRC's range and fails too.
// Everything here is pure: bytes in, bytes or findings out.
import { strict as assert } from 'node:assert';
import { crc32 } from 'node:zlib';
import { readU64, toBuffer, writeU64 } from '../crypto/bytes.js';
import { ledgerEntryBytesMax } from '../limits.js';

export const chunkMagic = Buffer.from('COCOLDG1', 'ascii');
/** Magic (8) + start seqno (8). */
export const chunkHeaderBytes = 16;
/** Length (4) + CRC (4) + seqno (8) + flags (1). */
export const frameHeaderBytes = 17;
/** Flags bit 0: the entry is a signature transaction. Other bits are reserved, zero. */
export const frameFlagSignature = 0x01;

/** Where the CRC's range starts, from the start of a frame. */
const crcCoveredFrom = 8;

/** A ledger file that does not check out: operating input, reported with where and why. */
export class LedgerFormatError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly seqno: number | undefined,
    readonly reason: string,
  ) {
    super(`${file} at offset ${offset}${seqno === undefined ? '' : ` (seqno ${seqno})`}: ${reason}`);
    this.name = 'LedgerFormatError';
  }
}

export type ChunkState = 'open' | 'finished' | 'committed';

export interface ChunkName {
  startSeqno: number;
  /** Absent for the open chunk. */
  endSeqno?: number;
  state: ChunkState;
}

const CHUNK_NAME = /^ledger_([1-9][0-9]{0,15})(?:-([1-9][0-9]{0,15})(\.committed)?)?$/;

/** The chunk a file name denotes, or undefined if it is not a chunk file name. */
export function parseChunkName(name: string): ChunkName | undefined {
  const match = CHUNK_NAME.exec(name);
  if (match === null) return undefined;
  const startSeqno = Number(match[1]);
  if (!Number.isSafeInteger(startSeqno)) return undefined;
  if (match[2] === undefined) return { startSeqno, state: 'open' };
  const endSeqno = Number(match[2]);
  if (!Number.isSafeInteger(endSeqno) || endSeqno < startSeqno) return undefined;
  return { startSeqno, endSeqno, state: match[3] === undefined ? 'finished' : 'committed' };
}

export function chunkFileName(chunk: ChunkName): string {
  assert(Number.isSafeInteger(chunk.startSeqno) && chunk.startSeqno >= 1, `bad chunk start ${chunk.startSeqno}`);
  if (chunk.state === 'open') return `ledger_${chunk.startSeqno}`;
  assert(chunk.endSeqno !== undefined && chunk.endSeqno >= chunk.startSeqno, `bad chunk end ${chunk.endSeqno}`);
  return `ledger_${chunk.startSeqno}-${chunk.endSeqno}${chunk.state === 'committed' ? '.committed' : ''}`;
}

/** Writes a chunk header at `offset`; returns the offset after it. */
export function writeChunkHeader(out: Buffer, offset: number, startSeqno: number): number {
  assert(Number.isSafeInteger(startSeqno) && startSeqno >= 1, `bad chunk start ${startSeqno}`);
  chunkMagic.copy(out, offset);
  writeU64(out, startSeqno, offset + 8);
  return offset + chunkHeaderBytes;
}

export function frameBytes(entryBytes: number): number {
  return frameHeaderBytes + entryBytes;
}

/** Frames `entry` into `out` at `offset` (which must have room); returns the offset after it. */
export function writeFrame(out: Buffer, offset: number, seqno: number, entry: Uint8Array, isSignature: boolean): number {
  // Hot path: messages are built only on failure.
  if (entry.length > ledgerEntryBytesMax) assert.fail(`entry of ${entry.length} bytes exceeds ledgerEntryBytesMax`);
  if (!Number.isSafeInteger(seqno) || seqno < 1) assert.fail(`bad seqno ${seqno}`);
  const end = offset + frameHeaderBytes + entry.length;
  assert(end <= out.length, 'frame does not fit the buffer');
  out.writeUInt32BE(entry.length, offset);
  writeU64(out, seqno, offset + 8);
  out[offset + 16] = isSignature ? frameFlagSignature : 0;
  out.set(entry, offset + frameHeaderBytes);
  out.writeUInt32BE(crc32(out.subarray(offset + crcCoveredFrom, end)), offset + 4);
  return end;
}

/** The first bad place in a chunk file. */
export interface ChunkFault {
  offset: number;
  /** The seqno expected at `offset`, when known. */
  seqno?: number;
  reason: string;
  /**
   * True when the fault could be a torn final write: an incomplete last frame (or
   * header), a CRC mismatch in a frame that ends exactly at the end of the file, or
   * nothing but zero bytes from `offset` on. Only the open chunk may end torn.
   */
  torn: boolean;
}

export interface ChunkExpectation {
  startSeqno?: number;
  endSeqno?: number;
  /** A finished chunk must hold at least one entry and end with a signature transaction. */
  finished?: boolean;
}

export interface ChunkScan {
  /** From the header; undefined if the header is unreadable. */
  startSeqno: number | undefined;
  frames: number;
  /** Seqno of the last good frame (startSeqno - 1 if none). */
  lastSeqno: number;
  lastIsSignature: boolean;
  /** Offset just after the last good frame (the header's end if none). */
  goodBytes: number;
  fault?: ChunkFault;
}

export type FrameVisitor = (seqno: number, offset: number, frameLength: number, isSignature: boolean) => void;

function zeroFrom(bytes: Buffer, offset: number): boolean {
  for (let at = offset; at < bytes.length; at++) if (bytes[at] !== 0) return false;
  return true;
}

/** Whether the few bytes left at `offset` could be the start of frame `seqno`, cut short. */
function plausibleFrameStart(bytes: Buffer, offset: number, seqno: number): boolean {
  if (zeroFrom(bytes, offset)) return true;
  const remaining = bytes.length - offset;
  if (remaining >= 4 && bytes.readUInt32BE(offset) > ledgerEntryBytesMax) return false;
  if (remaining >= crcCoveredFrom + 8 && readU64(bytes, offset + crcCoveredFrom) !== seqno) return false;
  return true;
}

/**
 * Checks the frame at `offset`, which should hold `seqno`: its length, seqno, flags and
 * CRC. Returns where it ends, or the fault. The frame must fit in `bytes` entirely to
 * pass; a frame that runs past the end is reported as a (possibly torn) fault.
 */
export function checkFrame(bytes: Buffer, offset: number, seqno: number): { end: number; isSignature: boolean } | ChunkFault {
  const fault = (reason: string, torn: boolean): ChunkFault => ({ offset, seqno, reason, torn });
  const remaining = bytes.length - offset;
  if (remaining < frameHeaderBytes) {
    return fault(`incomplete frame header: ${remaining} of ${frameHeaderBytes} bytes`, plausibleFrameStart(bytes, offset, seqno));
  }
  const length = bytes.readUInt32BE(offset);
  const storedCrc = bytes.readUInt32BE(offset + 4);
  const frameSeqno = readU64(bytes, offset + 8);
  const flags = bytes[offset + 16] as number;
  if (length > ledgerEntryBytesMax) {
    return fault(`entry length ${length} exceeds the maximum ${ledgerEntryBytesMax}`, zeroFrom(bytes, offset));
  }
  const end = offset + frameHeaderBytes + length;
  const seqnoFault = (): string | undefined => {
    if (frameSeqno !== seqno) return `frame has seqno ${frameSeqno === -1 ? 'beyond 2^53 - 1' : frameSeqno}, expected ${seqno}`;
    if ((flags & ~frameFlagSignature) !== 0) return `unknown flags 0x${flags.toString(16).padStart(2, '0')}`;
    return undefined;
  };
  if (end > bytes.length) {
    // Torn only if what is there could be the start of the right frame.
    const wrong = seqnoFault();
    if (wrong !== undefined) return fault(wrong, zeroFrom(bytes, offset));
    return fault(`incomplete frame: needs ${frameHeaderBytes + length} bytes, ${remaining} remain`, true);
  }
  // The CRC first: a damaged complete frame reads as damaged, whichever field was hit.
  const actualCrc = crc32(bytes.subarray(offset + crcCoveredFrom, end));
  if (actualCrc !== storedCrc) {
    const hex = (value: number): string => value.toString(16).padStart(8, '0');
    return fault(`CRC mismatch: stored ${hex(storedCrc)}, computed ${hex(actualCrc)}`, end === bytes.length || zeroFrom(bytes, offset));
  }
  // An intact frame in the wrong place (a dropped, repeated or moved frame).
  const wrong = seqnoFault();
  if (wrong !== undefined) return fault(wrong, false);
  return { end, isSignature: flags === frameFlagSignature };
}

/**
 * Checks a chunk file's bytes frame by frame, calling `visit` for every good frame.
 * Stops at the first fault. Never throws on bad bytes.
 */
export function scanChunk(bytesIn: Uint8Array, expect: ChunkExpectation, visit?: FrameVisitor): ChunkScan {
  const bytes = toBuffer(bytesIn);
  const scan: ChunkScan = { startSeqno: undefined, frames: 0, lastSeqno: 0, lastIsSignature: false, goodBytes: 0 };
  const fail = (offset: number, seqno: number | undefined, reason: string, torn: boolean): ChunkScan => {
    scan.fault = seqno === undefined ? { offset, reason, torn } : { offset, seqno, reason, torn };
    return scan;
  };

  if (bytes.length < chunkHeaderBytes) {
    const expected = Buffer.alloc(chunkHeaderBytes);
    chunkMagic.copy(expected);
    const startKnown = expect.startSeqno !== undefined;
    if (startKnown) writeU64(expected, expect.startSeqno as number, 8);
    const comparable = startKnown ? bytes.length : Math.min(bytes.length, chunkMagic.length);
    const prefix = bytes.subarray(0, comparable).equals(expected.subarray(0, comparable));
    return fail(0, expect.startSeqno, `file is ${bytes.length} bytes, shorter than the ${chunkHeaderBytes}-byte header`, prefix || zeroFrom(bytes, 0));
  }
  if (!bytes.subarray(0, chunkMagic.length).equals(chunkMagic)) {
    return fail(0, expect.startSeqno, 'bad magic: not a Coco ledger chunk (expected "COCOLDG1")', zeroFrom(bytes, 0));
  }
  const startSeqno = readU64(bytes, 8);
  if (startSeqno < 1) return fail(8, expect.startSeqno, 'header start seqno is 0 or beyond 2^53 - 1', false);
  if (expect.startSeqno !== undefined && startSeqno !== expect.startSeqno) {
    return fail(8, expect.startSeqno, `header says the chunk starts at seqno ${startSeqno} but its name says ${expect.startSeqno}`, false);
  }
  scan.startSeqno = startSeqno;
  scan.lastSeqno = startSeqno - 1;
  scan.goodBytes = chunkHeaderBytes;

  let offset = chunkHeaderBytes;
  let seqno = startSeqno;
  while (offset < bytes.length) {
    if (expect.endSeqno !== undefined && seqno > expect.endSeqno) {
      return fail(offset, seqno, `bytes follow seqno ${expect.endSeqno}, where the chunk's name says it ends`, false);
    }
    const frame = checkFrame(bytes, offset, seqno);
    if ('reason' in frame) return fail(frame.offset, frame.seqno, frame.reason, frame.torn);
    const { end, isSignature } = frame;
    if (visit !== undefined) visit(seqno, offset, end - offset, isSignature);
    scan.frames += 1;
    scan.lastSeqno = seqno;
    scan.lastIsSignature = isSignature;
    scan.goodBytes = end;
    offset = end;
    seqno += 1;
  }

  if (expect.endSeqno !== undefined && scan.lastSeqno !== expect.endSeqno) {
    return fail(bytes.length, scan.lastSeqno + 1, `chunk ends at seqno ${scan.lastSeqno} but its name says ${expect.endSeqno}`, false);
  }
  if (expect.finished === true && !scan.lastIsSignature) {
    return fail(bytes.length, scan.lastSeqno, scan.frames === 0 ? 'finished chunk holds no entries' : `finished chunk ends with seqno ${scan.lastSeqno}, which is not a signature transaction`, false);
  }
  return scan;
}

export interface ChunkFrame {
  seqno: number;
  /** Offset of the frame (not the entry) in the file. */
  offset: number;
  isSignature: boolean;
  /** A view into the file's bytes. */
  entry: Buffer;
}

export interface ChunkFileContents {
  /** From the header, else from the name, else 0. */
  startSeqno: number;
  /** What the name says, if it is a chunk file name. */
  chunk?: ChunkName;
  /** Every good frame before the first fault. */
  frames: ChunkFrame[];
  error?: { offset: number; seqno?: number; reason: string; torn: boolean };
}

/**
 * Reads one chunk file for an auditor: checks the header and every frame against the
 * name and reports the first bad place. Pure, and never throws on garbage.
 */
export function readChunkFile(name: string, bytesIn: Uint8Array): ChunkFileContents {
  const bytes = toBuffer(bytesIn);
  const chunk = parseChunkName(name);
  const frames: ChunkFrame[] = [];
  const scan = scanChunk(
    bytes,
    chunk === undefined ? {} : { startSeqno: chunk.startSeqno, endSeqno: chunk.endSeqno, finished: chunk.state !== 'open' },
    (seqno, offset, frameLength, isSignature) => {
      frames.push({ seqno, offset, isSignature, entry: bytes.subarray(offset + frameHeaderBytes, offset + frameLength) });
    },
  );
  const contents: ChunkFileContents = { startSeqno: scan.startSeqno ?? chunk?.startSeqno ?? 0, frames };
  if (chunk !== undefined) contents.chunk = chunk;
  if (chunk === undefined) {
    contents.error = { offset: 0, reason: `"${name.slice(0, 80)}" is not a chunk file name (ledger_<start>, ledger_<start>-<end> or ledger_<start>-<end>.committed)`, torn: false };
  } else if (scan.fault !== undefined) {
    contents.error = scan.fault;
  }
  return contents;
}
