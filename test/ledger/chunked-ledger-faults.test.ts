// ChunkedLedger and readChunkFile against damaged files: a torn final write is cut and
// reported; every other fault is a LedgerFormatError naming file, offset and reason,
// never a crash and never silent acceptance. Most cases run on the in-memory files
// (thousands of variants); the directory implementation repeats the torn tail.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readChunkFile } from '../../src/ledger/chunk-format.js';
import { ChunkedLedger, LedgerFormatError } from '../../src/ledger/chunked-ledger.js';
import type { LedgerFiles } from '../../src/ledger/ledger-files.js';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import { DirectoryLedgerFiles } from '../../src/node/directory-ledger-files.js';

const chunkBytesTarget = 1000;

function entryFor(seqno: number, variant = 0): Buffer {
  const length = 10 + ((seqno * 7919 + variant) % 90);
  const out = Buffer.alloc(length);
  for (let index = 0; index < length; index++) out[index] = (seqno * 31 + index * 7 + variant) & 0xff;
  return out;
}

const isSignature = (seqno: number): boolean => seqno % 10 === 0;

/** A synced ledger of `count` entries: a few finished chunks and an open one. */
function buildLedger(files: LedgerFiles, count: number): void {
  const { ledger } = ChunkedLedger.open(files, { chunkBytesTarget });
  for (let seqno = 1; seqno <= count; seqno++) ledger.append(seqno, entryFor(seqno), { isSignature: isSignature(seqno) });
  ledger.sync();
}

function copyOf(files: LedgerFiles): MemoryLedgerFiles {
  const copy = new MemoryLedgerFiles();
  for (const name of files.list()) {
    copy.append(name, files.read(name));
    copy.sync(name);
  }
  return copy;
}

function replace(files: LedgerFiles, name: string, bytes: Uint8Array, newName = name): void {
  files.remove(name);
  files.append(newName, bytes);
  files.sync(newName);
}

function flip(bytes: Buffer, offset: number, mask = 0xff): Buffer {
  const out = Buffer.from(bytes);
  out[offset] = (out[offset] as number) ^ mask;
  return out;
}

/** open() must throw a LedgerFormatError about `file` (at `offset`, if given). */
function expectFormatError(files: LedgerFiles, file: string, offset?: number, reason?: RegExp): LedgerFormatError {
  let caught: unknown;
  try {
    ChunkedLedger.open(files, { chunkBytesTarget });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof LedgerFormatError, `expected LedgerFormatError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  if (offset !== undefined) assert.equal(caught.offset, offset, caught.message);
  if (reason !== undefined) assert.match(caught.reason, reason);
  assert.ok(caught.message.includes(file) && caught.message.includes(`offset ${caught.offset}`));
  // verify() finds the same, without throwing.
  const check = ChunkedLedger.verify(files);
  assert.deepEqual(check.error && { file: check.error.file, offset: check.error.offset, reason: check.error.reason }, { file: caught.file, offset: caught.offset, reason: caught.reason });
  return caught;
}

function expectAllEntries(ledger: ChunkedLedger, to: number): void {
  let seqno = 0;
  for (const frame of ledger.entries()) {
    seqno += 1;
    assert.equal(frame.seqno, seqno);
    assert.deepEqual(frame.entry, entryFor(seqno));
  }
  assert.equal(seqno, to);
}

const base = new MemoryLedgerFiles();
buildLedger(base, 95);
const baseChunks = ChunkedLedger.verify(base).chunks;
const openChunk = baseChunks.at(-1);
const finishedChunk = baseChunks[1];
assert.ok(openChunk !== undefined && openChunk.state === 'open' && openChunk.endSeqno === 95);
assert.ok(finishedChunk !== undefined && finishedChunk.state === 'finished' && baseChunks.length >= 4);

function framesOf(name: string): ReturnType<typeof readChunkFile>['frames'] {
  const contents = readChunkFile(name, base.read(name));
  assert.equal(contents.error, undefined);
  return contents.frames;
}

describe('ChunkedLedger recovery from a torn final write', () => {
  it('cuts the open chunk at every offset to its last good frame, reports it, and carries on', () => {
    const name = openChunk.name;
    const full = base.read(name);
    const frames = framesOf(name);
    for (let cut = 0; cut < full.length; cut++) {
      const files = copyOf(base);
      files.truncate(name, cut);
      const { ledger, recovery } = ChunkedLedger.open(files, { chunkBytesTarget });
      const kept = frames.filter((frame) => frame.offset + 17 + frame.entry.length <= cut);
      const lastKept = kept.at(-1);
      const goodEnd: number = cut < 16 ? 0 : lastKept === undefined ? 16 : lastKept.offset + 17 + lastKept.entry.length;
      const lastSeqno: number = openChunk.startSeqno - 1 + kept.length;
      assert.equal(ledger.lastSeqno, lastSeqno, `cut at ${cut}`);
      if (cut < 16) {
        assert.deepEqual(recovery.truncatedTail && { file: recovery.truncatedTail.file, offset: recovery.truncatedTail.offset, bytes: recovery.truncatedTail.bytes }, { file: name, offset: 0, bytes: cut });
      } else if (cut === goodEnd) {
        assert.deepEqual(recovery, {}, `a cut at a frame boundary (${cut}) is a clean ledger`);
      } else {
        assert.equal(recovery.truncatedTail?.file, name);
        assert.equal(recovery.truncatedTail?.offset, goodEnd);
        assert.equal(recovery.truncatedTail?.bytes, cut - goodEnd);
        assert.match(recovery.truncatedTail?.reason ?? '', /incomplete|shorter than/);
      }
      if (goodEnd === 0) assert.equal(files.exists(name), false, 'a chunk with a torn header is removed');
      else assert.equal(files.size(name), goodEnd);
      // Appending works, and the result reopens cleanly.
      ledger.append(lastSeqno + 1, entryFor(lastSeqno + 1), { isSignature: isSignature(lastSeqno + 1) });
      ledger.sync();
      const again = ChunkedLedger.open(files, { chunkBytesTarget });
      assert.deepEqual(again.recovery, {});
      expectAllEntries(again.ledger, lastSeqno + 1);
    }
  });

  it('cuts a last frame whose CRC does not match, and a zero-filled tail', () => {
    const name = openChunk.name;
    const last = framesOf(name).at(-1);
    assert.ok(last !== undefined);
    for (const offset of [last.offset + 4, last.offset + 9, last.offset + 16, last.offset + 17, last.offset + 17 + last.entry.length - 1]) {
      const files = copyOf(base);
      replace(files, name, flip(files.read(name), offset));
      const { ledger, recovery } = ChunkedLedger.open(files, { chunkBytesTarget });
      assert.equal(recovery.truncatedTail?.offset, last.offset);
      assert.match(recovery.truncatedTail?.reason ?? '', /CRC mismatch/);
      assert.equal(ledger.lastSeqno, 94);
    }
    for (const zeros of [1, 16, 17, 40, 500]) {
      const files = copyOf(base);
      files.append(name, Buffer.alloc(zeros));
      const { ledger, recovery } = ChunkedLedger.open(files, { chunkBytesTarget });
      assert.deepEqual(recovery.truncatedTail && { offset: recovery.truncatedTail.offset, bytes: recovery.truncatedTail.bytes }, { offset: base.size(name), bytes: zeros });
      assert.equal(ledger.lastSeqno, 95);
    }
  });

  it('reports a torn tail in verify() without cutting it', () => {
    const files = copyOf(base);
    files.truncate(openChunk.name, base.size(openChunk.name) - 3);
    const check = ChunkedLedger.verify(files);
    assert.equal(check.error, undefined);
    assert.equal(check.tornTail?.file, openChunk.name);
    assert.equal(check.lastSeqno, 94);
    assert.equal(files.size(openChunk.name), base.size(openChunk.name) - 3);
  });

  it('does the same on a real directory', () => {
    const directory = mkdtempSync(join(tmpdir(), 'coco-chunked-ledger-faults-'));
    try {
      const files = new DirectoryLedgerFiles(directory);
      buildLedger(files, 95);
      files.close();
      const size = files.size(openChunk.name);
      truncateSync(join(directory, openChunk.name), size - 5);
      const reopened = new DirectoryLedgerFiles(directory);
      const { ledger, recovery } = ChunkedLedger.open(reopened, { chunkBytesTarget });
      assert.equal(recovery.truncatedTail?.file, openChunk.name);
      assert.equal(ledger.lastSeqno, 94);
      ledger.append(95, entryFor(95), { isSignature: false });
      ledger.close();
      const again = ChunkedLedger.open(new DirectoryLedgerFiles(directory), { chunkBytesTarget });
      assert.deepEqual(again.recovery, {});
      expectAllEntries(again.ledger, 95);
      again.ledger.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('ChunkedLedger against corruption', () => {
  it('rejects a flipped byte anywhere in a middle frame, naming the file and the frame', () => {
    for (const chunk of [finishedChunk, openChunk]) {
      const frames = framesOf(chunk.name);
      const middle = frames[Math.floor(frames.length / 2)];
      assert.ok(middle !== undefined && middle !== frames.at(-1));
      const frameLength = 17 + middle.entry.length;
      for (let at = 0; at < frameLength; at++) {
        // In the open chunk, a length pushed past the end of the file cannot be told
        // from a torn write (docs/ledger-files.md); everything else must be caught.
        if (chunk === openChunk && at < 3) continue;
        for (const mask of [0x01, 0x80]) {
          const files = copyOf(base);
          const damaged = flip(base.read(chunk.name), middle.offset + at, mask);
          replace(files, chunk.name, damaged);
          expectFormatError(files, chunk.name, middle.offset);
          const contents = readChunkFile(chunk.name, damaged);
          assert.equal(contents.error?.offset, middle.offset);
          assert.equal(contents.error?.seqno, middle.seqno);
          assert.equal(contents.frames.length, frames.indexOf(middle));
        }
      }
    }
  });

  it('rejects a damaged header', () => {
    for (let at = 0; at < 16; at++) {
      const files = copyOf(base);
      replace(files, finishedChunk.name, flip(base.read(finishedChunk.name), at, 0x04));
      expectFormatError(files, finishedChunk.name, at < 8 ? 0 : 8, at < 8 ? /bad magic/ : /header/);
    }
  });

  it('rejects a dropped frame', () => {
    for (const chunk of [finishedChunk, openChunk]) {
      const frames = framesOf(chunk.name);
      const dropped = frames[2];
      assert.ok(dropped !== undefined);
      const bytes = base.read(chunk.name);
      const files = copyOf(base);
      replace(files, chunk.name, Buffer.concat([bytes.subarray(0, dropped.offset), bytes.subarray(dropped.offset + 17 + dropped.entry.length)]));
      expectFormatError(files, chunk.name, dropped.offset, new RegExp(`frame has seqno ${dropped.seqno + 1}, expected ${dropped.seqno}`));
    }
  });

  it('rejects swapped chunk files', () => {
    const [a, b] = baseChunks;
    assert.ok(a !== undefined && b !== undefined);
    const files = copyOf(base);
    replace(files, a.name, base.read(b.name));
    replace(files, b.name, base.read(a.name));
    expectFormatError(files, a.name, 8, new RegExp(`header says the chunk starts at seqno ${b.startSeqno} but its name says 1`));
  });

  it('rejects chunks renamed to a wrong range', () => {
    const { name, startSeqno, endSeqno } = finishedChunk;
    const bytes = base.read(name);
    const frames = framesOf(name);
    const renamed = (newName: string): MemoryLedgerFiles => {
      const files = copyOf(base);
      replace(files, name, bytes, newName);
      return files;
    };
    expectFormatError(renamed(`ledger_${startSeqno}-${endSeqno + 1}`), `ledger_${startSeqno}-${endSeqno + 1}`, bytes.length, /ends at seqno \d+ but its name says/);
    expectFormatError(renamed(`ledger_${startSeqno}-${endSeqno - 1}`), `ledger_${startSeqno}-${endSeqno - 1}`, frames.at(-1)?.offset, /bytes follow seqno/);
    expectFormatError(renamed(`ledger_${startSeqno + 1}-${endSeqno}`), `ledger_${startSeqno + 1}-${endSeqno}`, 0, /gap/);
    expectFormatError(renamed(`ledger_${startSeqno}`), `ledger_${startSeqno}`, 0, /open chunk is followed by/);
    // The open chunk, renamed as if finished, does not end with a signature.
    const files = copyOf(base);
    replace(files, openChunk.name, base.read(openChunk.name), `ledger_${openChunk.startSeqno}-95`);
    expectFormatError(files, `ledger_${openChunk.startSeqno}-95`, undefined, /not a signature transaction/);
    // An overlap: a second copy of a chunk under a shifted name.
    const overlap = copyOf(base);
    overlap.append(`ledger_${startSeqno - 1}-${endSeqno}`, bytes);
    expectFormatError(overlap, `ledger_${startSeqno - 1}-${endSeqno}`);
  });

  it('rejects a finished chunk cut at any offset', () => {
    const { name } = finishedChunk;
    const bytes = base.read(name);
    for (let cut = 0; cut < bytes.length; cut++) {
      const files = copyOf(base);
      files.truncate(name, cut);
      expectFormatError(files, name);
      const contents = readChunkFile(name, bytes.subarray(0, cut));
      assert.ok(contents.error !== undefined, `cut at ${cut}`);
      assert.ok(contents.error.offset <= cut);
    }
  });

  it('rejects misplaced files: odd names, an open chunk in the middle, committed after uncommitted', () => {
    const odd = copyOf(base);
    odd.append('ledger_0', Buffer.alloc(0));
    expectFormatError(odd, 'ledger_0', 0, /not a chunk file name/);
    const committed = copyOf(base);
    const last = baseChunks[2];
    assert.ok(last !== undefined && last.state === 'finished');
    replace(committed, last.name, base.read(last.name), `${last.name}.committed`);
    expectFormatError(committed, `${last.name}.committed`, 0, /committed chunk follows uncommitted/);
  });

  it('reports corruption found after open as a LedgerFormatError on read', () => {
    const files = copyOf(base);
    const { ledger } = ChunkedLedger.open(files, { chunkBytesTarget });
    const middle = framesOf(finishedChunk.name)[3];
    assert.ok(middle !== undefined);
    replace(files, finishedChunk.name, flip(base.read(finishedChunk.name), middle.offset + 20));
    assert.throws(() => ledger.read(middle.seqno), (error: unknown) => error instanceof LedgerFormatError && error.file === finishedChunk.name && error.offset === middle.offset);
    assert.throws(() => [...ledger.entries()], LedgerFormatError);
    assert.deepEqual(ledger.read(middle.seqno - 1)?.entry, entryFor(middle.seqno - 1));
  });
});

describe('readChunkFile', () => {
  it('reads a good chunk', () => {
    const contents = readChunkFile(finishedChunk.name, base.read(finishedChunk.name));
    assert.equal(contents.error, undefined);
    assert.equal(contents.startSeqno, finishedChunk.startSeqno);
    assert.deepEqual(contents.chunk, { startSeqno: finishedChunk.startSeqno, endSeqno: finishedChunk.endSeqno, state: 'finished' });
    assert.deepEqual(contents.frames.map((frame) => frame.seqno), Array.from({ length: finishedChunk.endSeqno - finishedChunk.startSeqno + 1 }, (_, index) => finishedChunk.startSeqno + index));
    for (const frame of contents.frames) {
      assert.deepEqual(frame.entry, entryFor(frame.seqno));
      assert.equal(frame.isSignature, isSignature(frame.seqno));
    }
  });

  it('never throws on garbage, and finds every change to a good chunk', () => {
    const good = base.read(finishedChunk.name);
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.uint8Array({ maxLength: 300 }), (name, bytes) => {
        const contents = readChunkFile(name, bytes);
        assert.ok(Array.isArray(contents.frames));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(good.length), (at, mask, cut) => {
        const damaged = flip(good, at, mask).subarray(0, Math.max(cut, at + 1));
        const contents = readChunkFile(finishedChunk.name, damaged);
        assert.ok(contents.error !== undefined);
        assert.ok(contents.error.offset <= at || contents.error.offset <= damaged.length);
      }),
      { numRuns: 500 },
    );
    assert.match(readChunkFile('notes.txt', good).error?.reason ?? '', /not a chunk file name/);
  });
});
