// The in-memory LedgerFiles: the shared conformance suite, then its crash simulation.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import { ledgerFilesConformance } from './ledger-files-conformance.js';

ledgerFilesConformance('memory', () => {
  const files = new MemoryLedgerFiles();
  return { files, reopen: () => files, cleanup: () => {} };
});

/** A fixed sequence of numbers in [0, 1). */
function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length] as number;
}

describe('MemoryLedgerFiles.crash', () => {
  it('keeps synced bytes and a prefix of unsynced ones', () => {
    for (const [draw, kept] of [[0, 4], [0.5, 6], [0.999, 8]] as const) {
      const files = new MemoryLedgerFiles();
      files.append('f', Buffer.from('abcd'));
      files.sync('f');
      files.append('f', Buffer.from('efgh'));
      const losses = files.crash(sequence(draw));
      assert.equal(files.size('f'), kept);
      assert.deepEqual(files.read('f'), Buffer.from('abcdefgh').subarray(0, kept));
      assert.deepEqual(losses, [{ file: 'f', keptBytes: kept, lostBytes: 8 - kept, vanished: false }]);
      // What survived a crash is durable: a second crash keeps it all.
      files.crash(sequence(0));
      assert.equal(files.size('f'), kept);
    }
  });

  it('may lose a file that was never synced', () => {
    const files = new MemoryLedgerFiles();
    files.append('new', Buffer.from('data'));
    files.crash(sequence(0.1));
    assert.deepEqual(files.list(), []);
    const other = new MemoryLedgerFiles();
    other.append('new', Buffer.from('data'));
    other.crash(sequence(0.9, 0));
    assert.deepEqual(other.list(), ['new']);
    assert.equal(other.size('new'), 0);
  });

  it('treats truncate, rename and remove as durable at once', () => {
    const files = new MemoryLedgerFiles();
    files.append('a', Buffer.from('abcdef'));
    files.append('b', Buffer.from('keep'));
    files.append('c', Buffer.from('gone'));
    files.sync('a');
    files.sync('c');
    files.truncate('a', 2);
    files.rename('b', 'b2');
    files.remove('c');
    files.crash(sequence(0));
    assert.deepEqual(files.list(), ['a', 'b2']);
    assert.deepEqual(files.read('a'), Buffer.from('ab'));
    // b was renamed (its name is durable) but its bytes were never synced.
    assert.equal(files.size('b2'), 0);
  });
});
