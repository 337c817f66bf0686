// LedgerFiles in memory: the twin of src/node/directory-ledger-files.ts for tests and the
// deterministic simulation. It keeps the durability contract of ledger-files.ts and can
// simulate a crash: `crash(random)` throws away what a real disk could lose.
import { strict as assert } from 'node:assert';
import { checkFileName, checkRange, LedgerFilesError, type LedgerFiles } from './ledger-files.js';

interface MemoryFile {
  /** Backing store; bytes past `sizeBytes` are spare capacity. */
  buffer: Buffer;
  sizeBytes: number;
  /** Bytes known durable: a crash keeps at least these. */
  syncedBytes: number;
  /** False until the file's existence is durable (first sync, or a rename). */
  durable: boolean;
}

export class MemoryLedgerFiles implements LedgerFiles {
  private readonly files = new Map<string, MemoryFile>();

  list(): string[] {
    return [...this.files.keys()].sort();
  }

  exists(name: string): boolean {
    checkFileName(name);
    return this.files.has(name);
  }

  size(name: string): number {
    return this.get(name).sizeBytes;
  }

  read(name: string): Buffer {
    const file = this.get(name);
    return Buffer.from(file.buffer.subarray(0, file.sizeBytes));
  }

  readRange(name: string, offset: number, length: number): Buffer {
    const file = this.get(name);
    checkRange(name, offset, length, file.sizeBytes);
    return Buffer.from(file.buffer.subarray(offset, offset + length));
  }

  append(name: string, bytes: Uint8Array): void {
    checkFileName(name);
    let file = this.files.get(name);
    if (file === undefined) {
      file = { buffer: Buffer.alloc(Math.max(64, bytes.length)), sizeBytes: 0, syncedBytes: 0, durable: false };
      this.files.set(name, file);
    }
    const needed = file.sizeBytes + bytes.length;
    if (needed > file.buffer.length) {
      const grown = Buffer.alloc(Math.max(needed, file.buffer.length * 2));
      file.buffer.copy(grown, 0, 0, file.sizeBytes);
      file.buffer = grown;
    }
    file.buffer.set(bytes, file.sizeBytes);
    file.sizeBytes = needed;
  }

  truncate(name: string, sizeBytes: number): void {
    const file = this.get(name);
    checkRange(name, 0, sizeBytes, file.sizeBytes);
    file.sizeBytes = sizeBytes;
    file.syncedBytes = Math.min(file.syncedBytes, sizeBytes);
  }

  rename(from: string, to: string): void {
    const file = this.get(from);
    checkFileName(to);
    if (this.files.has(to)) throw new LedgerFilesError('AlreadyExists', to, 'rename target exists');
    this.files.delete(from);
    file.durable = true;
    this.files.set(to, file);
  }

  remove(name: string): void {
    this.get(name);
    this.files.delete(name);
  }

  sync(name: string): void {
    const file = this.get(name);
    file.syncedBytes = file.sizeBytes;
    file.durable = true;
  }

  close(): void {}

  /**
   * Simulates a crash and restart: each file keeps its synced bytes plus a random prefix
   * of its unsynced ones (a torn write); a file never synced may vanish. `random`
   * returns numbers in [0, 1), as from a seeded generator. Returns what was lost.
   */
  crash(random: () => number): Array<{ file: string; keptBytes: number; lostBytes: number; vanished: boolean }> {
    const losses: Array<{ file: string; keptBytes: number; lostBytes: number; vanished: boolean }> = [];
    for (const name of this.list()) {
      const file = this.files.get(name);
      assert(file !== undefined);
      const unsynced = file.sizeBytes - file.syncedBytes;
      if (!file.durable && random() < 0.5) {
        this.files.delete(name);
        losses.push({ file: name, keptBytes: 0, lostBytes: file.sizeBytes, vanished: true });
        continue;
      }
      file.durable = true;
      if (unsynced === 0) continue;
      const kept = file.syncedBytes + Math.floor(random() * (unsynced + 1));
      assert(kept >= file.syncedBytes && kept <= file.sizeBytes, 'random() must return numbers in [0, 1)');
      losses.push({ file: name, keptBytes: kept, lostBytes: file.sizeBytes - kept, vanished: false });
      file.sizeBytes = kept;
      file.syncedBytes = kept;
    }
    return losses;
  }

  private get(name: string): MemoryFile {
    checkFileName(name);
    const file = this.files.get(name);
    if (file === undefined) throw new LedgerFilesError('NotFound', name, 'no such file');
    return file;
  }
}
