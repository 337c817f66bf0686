// The contract of LedgerFiles (src/ledger/ledger-files.ts), as one suite that every
// implementation runs (STYLE.md §3, after Hono's shared router tests): the in-memory
// twin in ledger-files-memory.test.ts, the real directory in ledger-files-directory.test.ts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { LedgerFilesError, type LedgerFiles, type LedgerFilesErrorCode } from '../../src/ledger/ledger-files.js';

export interface LedgerFilesHarness {
  files: LedgerFiles;
  /** A fresh object over the same storage, as after a restart (synced data must be there). */
  reopen(): LedgerFiles;
  cleanup(): void;
}

function throwsCode(operation: () => unknown, code: LedgerFilesErrorCode): void {
  assert.throws(operation, (error: unknown) => {
    assert.ok(error instanceof LedgerFilesError, `expected LedgerFilesError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

export function ledgerFilesConformance(label: string, make: () => LedgerFilesHarness): void {
  describe(`LedgerFiles conformance: ${label}`, () => {
    const withFiles = (test: (files: LedgerFiles, harness: LedgerFilesHarness) => void) => () => {
      const harness = make();
      try {
        test(harness.files, harness);
      } finally {
        harness.files.close();
        harness.cleanup();
      }
    };

    it('starts empty and creates a file on append', withFiles((files) => {
      assert.deepEqual(files.list(), []);
      assert.equal(files.exists('ledger_1'), false);
      files.append('ledger_1', bytes('hello'));
      assert.deepEqual(files.list(), ['ledger_1']);
      assert.equal(files.exists('ledger_1'), true);
      assert.equal(files.size('ledger_1'), 5);
      assert.deepEqual(files.read('ledger_1'), bytes('hello'));
    }));

    it('creates an empty file on an empty append', withFiles((files) => {
      files.append('empty', new Uint8Array(0));
      assert.deepEqual(files.list(), ['empty']);
      assert.equal(files.size('empty'), 0);
      assert.deepEqual(files.read('empty'), Buffer.alloc(0));
    }));

    it('appends accumulate and ranges read back', withFiles((files) => {
      files.append('f', bytes('abc'));
      files.append('f', bytes('defgh'));
      assert.equal(files.size('f'), 8);
      assert.deepEqual(files.read('f'), bytes('abcdefgh'));
      assert.deepEqual(files.readRange('f', 2, 4), bytes('cdef'));
      assert.deepEqual(files.readRange('f', 8, 0), Buffer.alloc(0));
      assert.deepEqual(files.readRange('f', 0, 8), bytes('abcdefgh'));
    }));

    it('rejects ranges outside the file', withFiles((files) => {
      files.append('f', bytes('abcd'));
      throwsCode(() => files.readRange('f', 2, 3), 'OutOfRange');
      throwsCode(() => files.readRange('f', 5, 0), 'OutOfRange');
      throwsCode(() => files.readRange('f', -1, 1), 'OutOfRange');
      throwsCode(() => files.readRange('f', 0.5, 1), 'OutOfRange');
      throwsCode(() => files.truncate('f', 5), 'OutOfRange');
      throwsCode(() => files.truncate('f', -1), 'OutOfRange');
    }));

    it('hands out copies and takes copies', withFiles((files) => {
      const input = bytes('abcd');
      files.append('f', input);
      input.fill(0);
      const read = files.read('f');
      read.fill(0);
      const range = files.readRange('f', 0, 2);
      range.fill(0);
      assert.deepEqual(files.read('f'), bytes('abcd'));
    }));

    it('truncates, then appends after the cut', withFiles((files) => {
      files.append('f', bytes('abcdef'));
      files.truncate('f', 2);
      assert.equal(files.size('f'), 2);
      files.append('f', bytes('XY'));
      assert.deepEqual(files.read('f'), bytes('abXY'));
      files.truncate('f', 0);
      assert.equal(files.size('f'), 0);
      files.truncate('f', 0);
      assert.deepEqual(files.list(), ['f']);
    }));

    it('renames, refusing to overwrite', withFiles((files) => {
      files.append('a', bytes('one'));
      files.append('b', bytes('two'));
      throwsCode(() => files.rename('a', 'b'), 'AlreadyExists');
      throwsCode(() => files.rename('missing', 'c'), 'NotFound');
      files.rename('a', 'c');
      assert.deepEqual(files.list(), ['b', 'c']);
      assert.deepEqual(files.read('c'), bytes('one'));
      files.append('c', bytes('+'));
      assert.deepEqual(files.read('c'), bytes('one+'));
      throwsCode(() => files.read('a'), 'NotFound');
    }));

    it('removes', withFiles((files) => {
      files.append('a', bytes('one'));
      files.remove('a');
      assert.deepEqual(files.list(), []);
      throwsCode(() => files.remove('a'), 'NotFound');
      files.append('a', bytes('new'));
      assert.deepEqual(files.read('a'), bytes('new'));
    }));

    it('reports missing files as NotFound', withFiles((files) => {
      throwsCode(() => files.read('nope'), 'NotFound');
      throwsCode(() => files.size('nope'), 'NotFound');
      throwsCode(() => files.readRange('nope', 0, 0), 'NotFound');
      throwsCode(() => files.truncate('nope', 0), 'NotFound');
      throwsCode(() => files.sync('nope'), 'NotFound');
      throwsCode(() => files.remove('nope'), 'NotFound');
    }));

    it('refuses names that could leave the directory', withFiles((files) => {
      files.append('ok', bytes('x'));
      const bad = ['', '.', '..', '.hidden', 'a/b', '../x', 'a\\b', '/abs', 'a\0b', 'sp ace', 'x'.repeat(256), 'é'];
      for (const name of bad) {
        throwsCode(() => files.append(name, bytes('x')), 'InvalidName');
        throwsCode(() => files.read(name), 'InvalidName');
        throwsCode(() => files.readRange(name, 0, 0), 'InvalidName');
        throwsCode(() => files.size(name), 'InvalidName');
        throwsCode(() => files.exists(name), 'InvalidName');
        throwsCode(() => files.truncate(name, 0), 'InvalidName');
        throwsCode(() => files.remove(name), 'InvalidName');
        throwsCode(() => files.sync(name), 'InvalidName');
        throwsCode(() => files.rename('ok', name), 'InvalidName');
        throwsCode(() => files.rename(name, 'other'), 'InvalidName');
      }
      assert.deepEqual(files.list(), ['ok']);
    }));

    it('lists names sorted', withFiles((files) => {
      for (const name of ['ledger_9', 'b', 'ledger_10', 'a', 'ledger_1-8.committed']) files.append(name, bytes(name));
      assert.deepEqual(files.list(), ['a', 'b', 'ledger_1-8.committed', 'ledger_10', 'ledger_9']);
    }));

    it('keeps synced data, renames and removals across a reopen', withFiles((files, harness) => {
      files.append('a', bytes('alpha'));
      files.append('b', bytes('beta'));
      files.append('c', bytes('gamma'));
      files.sync('a');
      files.sync('b');
      files.sync('c');
      files.rename('b', 'b2');
      files.remove('c');
      files.truncate('a', 3);
      files.close();
      const again = harness.reopen();
      try {
        assert.deepEqual(again.list(), ['a', 'b2']);
        assert.deepEqual(again.read('a'), bytes('alp'));
        assert.deepEqual(again.read('b2'), bytes('beta'));
      } finally {
        again.close();
      }
    }));

    it('keeps working after close', withFiles((files) => {
      files.append('a', bytes('one'));
      files.close();
      files.append('a', bytes('two'));
      assert.deepEqual(files.read('a'), bytes('onetwo'));
    }));

    it('handles many files and large appends', withFiles((files) => {
      const big = Buffer.alloc(3 * 1024 * 1024);
      for (let index = 0; index < big.length; index++) big[index] = (index * 31) & 0xff;
      files.append('big', big.subarray(0, 1000));
      files.append('big', big.subarray(1000));
      assert.equal(files.size('big'), big.length);
      assert.deepEqual(files.readRange('big', 2_000_000, 5000), big.subarray(2_000_000, 2_005_000));
      // More files than the directory implementation keeps descriptors for.
      for (let index = 0; index < 40; index++) files.append(`f${index}`, bytes(`file ${index}`));
      for (let index = 0; index < 40; index++) files.append(`f${index}`, bytes('!'));
      for (let index = 0; index < 40; index++) assert.deepEqual(files.read(`f${index}`), bytes(`file ${index}!`));
      assert.deepEqual(files.read('big'), big);
    }));
  });
}
