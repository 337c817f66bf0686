// Reads a file the user named on the command line; a missing or unreadable file is a
// usage error (exit 2) that names the file and what it was for.
import { readFileSync } from 'node:fs';
import { CliError } from './cli-error.js';

export function readInputFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
  }
}
