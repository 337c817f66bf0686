// The narrow interface between the ledger and the directory that holds its chunk files
// (STYLE.md §3). The core sees only this; src/node/directory-ledger-files.ts implements
// it over node:fs and src/ledger/memory-ledger-files.ts in memory, for tests and the
// deterministic simulation. test/ledger/ledger-files-conformance.ts holds the contract
// both must pass.
//
// It is synchronous on purpose: the node batches writes, and a synchronous API keeps the
// core deterministic (no interleaving of half-done writes with other work).
//
// Durability contract, which both implementations keep and ChunkedLedger relies on:
// - `append` bytes are durable only after `sync(name)` returns; a crash before that
//   keeps a prefix (possibly empty) of them: a torn write. A file created by `append`
//   may vanish in a crash until it has been synced once.
// - `truncate`, `rename` and `remove` are atomic and durable when they return (the
//   directory implementation fsyncs the file or the directory).
import { ledgerFileNameBytesMax } from '../limits.js';

export interface LedgerFiles {
  /** Names of the files in the directory, sorted (code unit order). */
  list(): string[];
  /** Whether `name` exists. */
  exists(name: string): boolean;
  /** Size of `name` in bytes. */
  size(name: string): number;
  /** All of `name`'s bytes, as a fresh buffer the caller may keep. */
  read(name: string): Buffer;
  /** `length` bytes of `name` from `offset`; the range must lie inside the file. */
  readRange(name: string, offset: number, length: number): Buffer;
  /** Appends `bytes` to `name`, creating it if missing; `bytes` may be reused once it returns. Durable only after `sync`. */
  append(name: string, bytes: Uint8Array): void;
  /** Cuts `name` to `sizeBytes` (no larger than its size). Durable on return. */
  truncate(name: string, sizeBytes: number): void;
  /** Renames `from` to `to`, which must not exist. Atomic and durable on return. */
  rename(from: string, to: string): void;
  /** Removes `name`. Durable on return. */
  remove(name: string): void;
  /** Makes every byte appended to `name` so far, and its existence, durable. */
  sync(name: string): void;
  /** Releases cached resources (file descriptors); the object may be used again after. */
  close(): void;
}

export type LedgerFilesErrorCode = 'InvalidName' | 'NotFound' | 'AlreadyExists' | 'OutOfRange';

/** An operation the directory cannot do; the same codes from every implementation. */
export class LedgerFilesError extends Error {
  constructor(
    readonly code: LedgerFilesErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'LedgerFilesError';
  }
}

// One path component of safe characters, not starting with a dot (so never "." or
// ".."), never a separator: a name can never escape the directory.
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Throws LedgerFilesError('InvalidName') unless `name` is a plain file name. */
export function checkFileName(name: string): void {
  if (typeof name !== 'string' || name.length > ledgerFileNameBytesMax || !FILE_NAME.test(name)) {
    throw new LedgerFilesError('InvalidName', String(name).slice(0, 80), 'not a plain file name (letters, digits, "._-", not starting with ".")');
  }
}

/** Throws LedgerFilesError('OutOfRange') unless [offset, offset + length) lies in a file of `sizeBytes`. */
export function checkRange(name: string, offset: number, length: number, sizeBytes: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > sizeBytes) {
    throw new LedgerFilesError('OutOfRange', name, `range ${offset}+${length} is outside the file's ${sizeBytes} bytes`);
  }
}
