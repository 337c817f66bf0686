// The real directory LedgerFiles, run through the shared conformance suite, plus what
// only a real directory has: creating it, ignoring what is not a plain file.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DirectoryLedgerFiles } from '../../src/node/directory-ledger-files.js';
import { ledgerFilesConformance } from './ledger-files-conformance.js';

ledgerFilesConformance('directory', () => {
  const directory = mkdtempSync(join(tmpdir(), 'coco-ledger-files-'));
  return {
    files: new DirectoryLedgerFiles(directory),
    reopen: () => new DirectoryLedgerFiles(directory),
    cleanup: () => rmSync(directory, { recursive: true, force: true }),
  };
});

describe('DirectoryLedgerFiles', () => {
  it('creates a missing directory and lists only plain files with plain names', () => {
    const root = mkdtempSync(join(tmpdir(), 'coco-ledger-files-'));
    try {
      const directory = join(root, 'nested', 'ledger');
      const files = new DirectoryLedgerFiles(directory);
      files.append('ledger_1', Buffer.from('x'));
      mkdirSync(join(directory, 'subdirectory'));
      writeFileSync(join(directory, '.hidden'), 'x');
      writeFileSync(join(directory, 'with space'), 'x');
      assert.deepEqual(files.list(), ['ledger_1']);
      files.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
