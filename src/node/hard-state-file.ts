// Where a node keeps its Raft view and vote (Ready step 3): a small JSON file replaced
// atomically (write a temporary file, fsync it, rename it over the old one, fsync the
// directory), so a crash leaves either the old state or the new, never a torn one.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HardState } from '../consensus/ready.js';

export class HardStateFile {
  constructor(readonly path: string) {}

  write(state: HardState): void {
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, `${JSON.stringify({ view: state.view, voted_for: state.votedFor ?? null })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    const directory = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  }
}
