// LedgerFiles over a real directory with node:fs: the host side of the ledger's file
// interface (src/ledger/ledger-files.ts gives the contract; its in-memory twin is
// src/ledger/memory-ledger-files.ts). Descriptors are cached so that appends to the open
// chunk do not reopen it; names are checked so that none can leave the directory.
import { strict as assert } from 'node:assert';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { checkFileName, checkRange, LedgerFilesError, type LedgerFiles } from '../ledger/ledger-files.js';
import { ledgerFilesOpenMax } from '../limits.js';

interface OpenFile {
  fd: number;
  writable: boolean;
}

export class DirectoryLedgerFiles implements LedgerFiles {
  readonly directory: string;
  /** Cached descriptors, least recently used first (Map keeps insertion order). */
  private readonly open = new Map<string, OpenFile>();
  /** Files created since the directory was last synced: their names are not yet durable. */
  private readonly createdUnsynced = new Set<string>();

  /** Opens `directory`, creating it (and its parents) if missing. */
  constructor(directory: string) {
    this.directory = resolve(directory);
    mkdirSync(this.directory, { recursive: true });
  }

  list(): string[] {
    return readdirSync(this.directory, { withFileTypes: true })
      .filter((entry) => entry.isFile() && isPlainName(entry.name))
      .map((entry) => entry.name)
      .sort();
  }

  exists(name: string): boolean {
    return existsSync(this.path(name));
  }

  size(name: string): number {
    const cached = this.open.get(name);
    if (cached !== undefined) return fstatSync(cached.fd).size;
    return mapErrors(name, () => statSync(this.path(name)).size);
  }

  read(name: string): Buffer {
    const cached = this.open.get(name);
    if (cached !== undefined) return this.readRange(name, 0, fstatSync(cached.fd).size);
    return mapErrors(name, () => readFileSync(this.path(name)));
  }

  readRange(name: string, offset: number, length: number): Buffer {
    const file = this.descriptor(name, false);
    checkRange(name, offset, length, fstatSync(file.fd).size);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const got = readSync(file.fd, out, done, length - done, offset + done);
      assert(got > 0, `${name}: file shrank while reading`);
      done += got;
    }
    return out;
  }

  append(name: string, bytes: Uint8Array): void {
    const file = this.descriptor(name, true);
    let done = 0;
    while (done < bytes.length) done += writeSync(file.fd, bytes, done, bytes.length - done);
  }

  truncate(name: string, sizeBytes: number): void {
    if (!this.exists(name)) throw new LedgerFilesError('NotFound', name, 'no such file');
    const file = this.descriptor(name, true);
    checkRange(name, 0, sizeBytes, fstatSync(file.fd).size);
    ftruncateSync(file.fd, sizeBytes);
    fsyncSync(file.fd);
  }

  rename(from: string, to: string): void {
    checkFileName(to);
    const source = this.path(from);
    if (!existsSync(source)) throw new LedgerFilesError('NotFound', from, 'no such file');
    if (existsSync(this.path(to))) throw new LedgerFilesError('AlreadyExists', to, 'rename target exists');
    this.forget(from);
    this.createdUnsynced.delete(from);
    mapErrors(from, () => renameSync(source, this.path(to)));
    this.syncDirectory();
  }

  remove(name: string): void {
    const path = this.path(name);
    this.forget(name);
    this.createdUnsynced.delete(name);
    mapErrors(name, () => unlinkSync(path));
    this.syncDirectory();
  }

  sync(name: string): void {
    const file = this.descriptor(name, false);
    fdatasyncSync(file.fd);
    if (this.createdUnsynced.has(name)) {
      this.syncDirectory();
      this.createdUnsynced.clear();
    }
  }

  close(): void {
    for (const name of [...this.open.keys()]) this.forget(name);
  }

  private path(name: string): string {
    checkFileName(name);
    return join(this.directory, name);
  }

  /** A cached descriptor for `name`; `forAppend` opens (and creates) it for appending. */
  private descriptor(name: string, forAppend: boolean): OpenFile {
    const path = this.path(name);
    const cached = this.open.get(name);
    if (cached !== undefined && (cached.writable || !forAppend)) {
      this.open.delete(name);
      this.open.set(name, cached);
      return cached;
    }
    if (cached !== undefined) this.forget(name);
    let file: OpenFile;
    if (forAppend) {
      const created = !existsSync(path);
      file = { fd: openSync(path, 'a+'), writable: true };
      if (created) this.createdUnsynced.add(name);
    } else {
      file = { fd: mapErrors(name, () => openSync(path, 'r')), writable: false };
    }
    this.open.set(name, file);
    while (this.open.size > ledgerFilesOpenMax) {
      const oldest = this.open.keys().next().value;
      assert(oldest !== undefined);
      this.forget(oldest);
    }
    return file;
  }

  private forget(name: string): void {
    const cached = this.open.get(name);
    if (cached === undefined) return;
    this.open.delete(name);
    closeSync(cached.fd);
  }

  /** Makes the directory's entries (creations, renames, removals) durable. */
  private syncDirectory(): void {
    let fd: number;
    try {
      fd = openSync(this.directory, 'r');
    } catch (error) {
      // Some platforms (Windows) cannot open a directory; they journal names themselves.
      if (hasCode(error, 'EISDIR') || hasCode(error, 'EPERM')) return;
      throw error;
    }
    try {
      fsyncSync(fd);
    } catch (error) {
      if (!hasCode(error, 'EINVAL') && !hasCode(error, 'EPERM')) throw error;
    } finally {
      closeSync(fd);
    }
  }
}

function isPlainName(name: string): boolean {
  try {
    checkFileName(name);
    return true;
  } catch {
    return false;
  }
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function mapErrors<T>(name: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (hasCode(error, 'ENOENT')) throw new LedgerFilesError('NotFound', name, 'no such file');
    throw error;
  }
}
