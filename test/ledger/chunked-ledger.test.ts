// ChunkedLedger's behaviour, on both LedgerFiles implementations: reading back across
// chunks, rotation after signatures, commit renames, truncation and reopening.
// Faults (torn tails, corruption) are in chunked-ledger-faults.test.ts, crashes in
// chunked-ledger-crash.test.ts.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChunkedLedger, LedgerFormatError, type LedgerEntry } from '../../src/ledger/chunked-ledger.js';
import type { LedgerFiles } from '../../src/ledger/ledger-files.js';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import { DirectoryLedgerFiles } from '../../src/node/directory-ledger-files.js';

interface Backend {
  label: string;
  make(): { files: LedgerFiles; reopen(): LedgerFiles; cleanup(): void };
}

const backends: Backend[] = [
  {
    label: 'memory',
    make() {
      const files = new MemoryLedgerFiles();
      return { files, reopen: () => files, cleanup: () => {} };
    },
  },
  {
    label: 'directory',
    make() {
      const directory = mkdtempSync(join(tmpdir(), 'coco-chunked-ledger-'));
      return {
        files: new DirectoryLedgerFiles(directory),
        reopen: () => new DirectoryLedgerFiles(directory),
        cleanup: () => rmSync(directory, { recursive: true, force: true }),
      };
    },
  },
];

/** Deterministic entry bytes for `seqno` (sizes 0 to 299); `variant` changes the content. */
function entryFor(seqno: number, variant = 0): Buffer {
  const length = (seqno * 7919 + variant * 13) % 300;
  const out = Buffer.alloc(length);
  for (let index = 0; index < length; index++) out[index] = (seqno * 31 + index * 7 + variant) & 0xff;
  return out;
}

const signatureEvery = 10;
const isSignature = (seqno: number): boolean => seqno % signatureEvery === 0;

function fill(ledger: ChunkedLedger, from: number, to: number, variant = 0): void {
  for (let seqno = from; seqno <= to; seqno++) ledger.append(seqno, entryFor(seqno, variant), { isSignature: isSignature(seqno) });
}

function expected(from: number, to: number, variant = 0): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (let seqno = from; seqno <= to; seqno++) out.push({ seqno, entry: entryFor(seqno, variant), isSignature: isSignature(seqno) });
  return out;
}

function checkChunks(ledger: ChunkedLedger): void {
  const chunks = ledger.chunks();
  let next = ledger.firstSeqno;
  for (const [index, chunk] of chunks.entries()) {
    assert.equal(chunk.startSeqno, next, `${chunk.name} starts where the previous chunk ended`);
    if (chunk.state !== 'open') {
      assert.ok(isSignature(chunk.endSeqno), `${chunk.name} ends with a signature`);
      assert.equal(chunk.name, `ledger_${chunk.startSeqno}-${chunk.endSeqno}${chunk.state === 'committed' ? '.committed' : ''}`);
    } else {
      assert.equal(index, chunks.length - 1, 'only the last chunk is open');
      assert.equal(chunk.name, `ledger_${chunk.startSeqno}`);
    }
    next = chunk.endSeqno + 1;
  }
  assert.equal(next, ledger.lastSeqno + 1);
}

for (const backend of backends) {
  describe(`ChunkedLedger on ${backend.label} files`, () => {
    const withLedger = (test: (context: ReturnType<Backend['make']>) => void) => () => {
      const context = backend.make();
      try {
        test(context);
      } finally {
        context.files.close();
        context.cleanup();
      }
    };

    it('appends and reads back across many chunks', withLedger(({ files, reopen }) => {
      const { ledger, recovery } = ChunkedLedger.open(files, { chunkBytesTarget: 2000 });
      assert.deepEqual(recovery, {});
      assert.equal(ledger.lastSeqno, 0);
      assert.equal(ledger.read(1), undefined);
      fill(ledger, 1, 5);
      // Buffered, not yet flushed: still readable.
      assert.deepEqual(ledger.read(3), { entry: entryFor(3), isSignature: false });
      fill(ledger, 6, 600);
      assert.equal(ledger.lastSeqno, 600);
      const chunks = ledger.chunks();
      assert.ok(chunks.length > 20, `expected many chunks, got ${chunks.length}`);
      for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.sizeBytes >= 2000);
      checkChunks(ledger);
      for (let seqno = 1; seqno <= 600; seqno++) {
        assert.deepEqual(ledger.read(seqno), { entry: entryFor(seqno), isSignature: isSignature(seqno) }, `seqno ${seqno}`);
      }
      assert.equal(ledger.read(0), undefined);
      assert.equal(ledger.read(601), undefined);
      assert.deepEqual(ledger.readRange(1, 600), expected(1, 600));
      assert.deepEqual(ledger.readRange(95, 333), expected(95, 333));
      assert.deepEqual(ledger.readRange(7, 6), []);
      assert.deepEqual([...ledger.entries()], expected(1, 600));
      assert.deepEqual([...ledger.entries(333)], expected(333, 600));
      assert.deepEqual([...ledger.entries(601)], []);
      assert.throws(() => ledger.readRange(0, 5), /outside/);
      assert.throws(() => ledger.readRange(5, 601), /outside/);

      ledger.close();
      const again = ChunkedLedger.open(reopen(), { chunkBytesTarget: 2000 });
      assert.deepEqual(again.recovery, {});
      assert.deepEqual(again.ledger.chunks(), chunks);
      assert.deepEqual([...again.ledger.entries()], expected(1, 600));
      again.ledger.close();
    }));

    it('rotates chunks only after a signature transaction', withLedger(({ files }) => {
      const { ledger } = ChunkedLedger.open(files, { chunkBytesTarget: 1000 });
      for (let seqno = 1; seqno <= 50; seqno++) ledger.append(seqno, Buffer.alloc(200, seqno), { isSignature: false });
      ledger.flush();
      assert.deepEqual(files.list(), ['ledger_1']);
      assert.deepEqual(ledger.chunks().map((chunk) => [chunk.name, chunk.state]), [['ledger_1', 'open']]);
      ledger.append(51, Buffer.from('signature'), { isSignature: true });
      assert.deepEqual(files.list(), ['ledger_1-51']);
      ledger.append(52, Buffer.from('next'), { isSignature: false });
      ledger.append(53, Buffer.from('small signature'), { isSignature: true });
      ledger.sync();
      assert.deepEqual(files.list(), ['ledger_1-51', 'ledger_52']);
      assert.deepEqual(ledger.read(51), { entry: Buffer.from('signature'), isSignature: true });
      assert.throws(() => ledger.append(55, Buffer.alloc(1), { isSignature: false }), /append of seqno 55 after 53/);
    }));

    it('renames chunks to .committed as commit passes them', withLedger(({ files, reopen }) => {
      const { ledger } = ChunkedLedger.open(files, { chunkBytesTarget: 1000 });
      fill(ledger, 1, 300);
      const chunks = ledger.chunks();
      const second = chunks[1];
      assert.ok(second !== undefined && chunks.length > 4);
      ledger.commit(second.endSeqno + 5);
      assert.equal(ledger.commitSeqno, second.endSeqno + 5);
      const states = ledger.chunks().map((chunk) => chunk.state);
      assert.deepEqual(states.slice(0, 2), ['committed', 'committed']);
      assert.ok(states.slice(2).every((state) => state !== 'committed'));
      assert.ok(files.list().includes(`ledger_${second.startSeqno}-${second.endSeqno}.committed`));
      checkChunks(ledger);
      ledger.commit(second.endSeqno + 5);
      assert.throws(() => ledger.commit(second.endSeqno), /commit going backwards/);
      assert.throws(() => ledger.commit(301), /past the last seqno/);
      // Committed chunks read back through the offset cache.
      assert.deepEqual(ledger.readRange(1, second.endSeqno), expected(1, second.endSeqno));
      ledger.close();

      const again = ChunkedLedger.open(reopen(), { chunkBytesTarget: 1000 });
      assert.equal(again.ledger.commitSeqno, second.endSeqno, 'after a restart the commit seqno is the end of the last committed chunk');
      assert.deepEqual([...again.ledger.entries()], expected(1, 300));
      fill(again.ledger, 301, 305);
      again.ledger.commit(305);
      const last = again.ledger.chunks();
      assert.ok(last.slice(0, -1).every((chunk) => chunk.state === 'committed'));
      assert.equal(last.at(-1)?.state, 'open', 'the open chunk stays open when committed');
      checkChunks(again.ledger);
      again.ledger.close();
    }));

    it('truncates across chunk boundaries, then appends continue', withLedger(({ files, reopen }) => {
      const { ledger } = ChunkedLedger.open(files, { chunkBytesTarget: 1000 });
      fill(ledger, 1, 300);
      const [first, second, third] = ledger.chunks();
      assert.ok(first !== undefined && second !== undefined && third !== undefined);
      ledger.commit(first.endSeqno);
      assert.throws(() => ledger.truncate(first.endSeqno - 1), /would remove committed entries/);
      assert.throws(() => ledger.truncate(301), /past the last seqno/);

      const cut = second.startSeqno + 3;
      ledger.truncate(cut);
      assert.equal(ledger.lastSeqno, cut);
      assert.equal(ledger.read(cut + 1), undefined);
      assert.deepEqual(files.list(), [`ledger_1-${first.endSeqno}.committed`, `ledger_${second.startSeqno}`]);
      checkChunks(ledger);
      fill(ledger, cut + 1, 400, 1);
      const model = [...expected(1, cut), ...expected(cut + 1, 400, 1)];
      assert.deepEqual(ledger.readRange(1, 400), model);

      // Exactly at a chunk's end: that chunk stays finished, the next append opens a new one.
      const end = ledger.chunks()[2];
      assert.ok(end !== undefined && end.state === 'finished');
      ledger.truncate(end.endSeqno);
      assert.equal(ledger.chunks().at(-1)?.name, end.name);
      ledger.append(end.endSeqno + 1, Buffer.from('after'), { isSignature: false });
      ledger.sync();
      assert.equal(files.list().at(-1), `ledger_${end.endSeqno + 1}`);
      ledger.close();

      const again = ChunkedLedger.open(reopen(), { chunkBytesTarget: 1000 });
      assert.deepEqual(again.ledger.readRange(1, end.endSeqno), model.slice(0, end.endSeqno));
      assert.deepEqual(again.ledger.read(end.endSeqno + 1), { entry: Buffer.from('after'), isSignature: false });
      again.ledger.close();
    }));

    it('truncates everything uncommitted, buffered entries included', withLedger(({ files }) => {
      const { ledger } = ChunkedLedger.open(files, { chunkBytesTarget: 1000 });
      fill(ledger, 1, 100);
      ledger.truncate(0);
      assert.equal(ledger.lastSeqno, 0);
      assert.deepEqual(files.list(), []);
      assert.deepEqual(ledger.chunks(), []);
      fill(ledger, 1, 3, 2);
      ledger.truncate(2);
      assert.deepEqual(ledger.readRange(1, 2), expected(1, 2, 2));
      ledger.sync();
      assert.deepEqual(ChunkedLedger.verify(files).lastSeqno, 2);
    }));

    it('keeps entries larger than a write batch', withLedger(({ files, reopen }) => {
      const { ledger } = ChunkedLedger.open(files, { chunkBytesTarget: 1000 });
      const big = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
      ledger.append(1, Buffer.from('small'), { isSignature: false });
      ledger.append(2, big, { isSignature: false });
      ledger.append(3, Buffer.from('sig'), { isSignature: true });
      ledger.append(4, big, { isSignature: true });
      assert.deepEqual(ledger.read(2)?.entry, big);
      ledger.close();
      const again = ChunkedLedger.open(reopen()).ledger;
      assert.deepEqual(again.chunks().map((chunk) => chunk.name), ['ledger_1-3', 'ledger_4-4']);
      assert.deepEqual(again.read(4)?.entry, big);
      assert.deepEqual(again.read(1)?.entry, Buffer.from('small'));
      again.close();
    }));

    it('starts at a later seqno for a node that began from a snapshot', withLedger(({ files, reopen }) => {
      const { ledger } = ChunkedLedger.open(files, { startSeqno: 101, chunkBytesTarget: 1000 });
      assert.equal(ledger.lastSeqno, 100);
      assert.equal(ledger.commitSeqno, 100);
      assert.throws(() => ledger.append(1, Buffer.alloc(1), { isSignature: false }), /after 100/);
      fill(ledger, 101, 250);
      ledger.close();
      const again = ChunkedLedger.open(reopen(), { startSeqno: 101 }).ledger;
      assert.deepEqual([...again.entries()], expected(101, 250));
      assert.equal(again.read(100), undefined);
      again.close();
      assert.throws(() => ChunkedLedger.open(reopen()), (error: unknown) => {
        assert.ok(error instanceof LedgerFormatError);
        assert.equal(error.file, 'ledger_101-110');
        assert.match(error.reason, /starts at seqno 101, expected 1/);
        return true;
      });
    }));

    it('ignores files that are not ledger chunks', withLedger(({ files, reopen }) => {
      files.append('snapshot_5', Buffer.from('not ours'));
      const { ledger } = ChunkedLedger.open(files);
      fill(ledger, 1, 20);
      ledger.close();
      assert.deepEqual([...ChunkedLedger.open(reopen()).ledger.entries()], expected(1, 20));
    }));
  });
}
