// `coco ledger verify` and `coco ledger read`: the auditor's offline tools over a
// ledger directory. Exit codes: 0 the ledger checks out, 1 it does not (the first bad
// place is named), 2 the command could not run (bad arguments, unreadable files).
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { decodeEntry } from '../ledger/entry.js';
import { readChunkFile, parseChunkName } from '../ledger/chunk-format.js';
import { parseLedgerSecret, type LedgerSecret } from '../ledger/ledger-secret.js';
import { orderedChunks, verifyLedger, type VerifyReport } from '../ledger/ledger-verifier.js';
import { DirectoryLedgerFiles } from '../node/directory-ledger-files.js';
import { CliError } from './cli-error.js';
import { describeBytes } from './describe-bytes.js';
import { readInputFile } from './read-input.js';

/** Ledgers at least this large get a progress bar (on a terminal). */
const PROGRESS_BYTES_MIN = 32 * 1024 * 1024;

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('inspect and audit a ledger directory offline');

  ledger
    .command('verify')
    .argument('<dir>', 'ledger directory (the node\'s ledger/ folder)')
    .option('--ledger-secret <file>', 'ledger secret (64 hex digits or base64): also decrypt and check private domains')
    .option('--service-cert <pem>', 'service certificate every signing node must be endorsed by (default: the one the ledger records)')
    .option('--json', 'print the report as one JSON object')
    .description('replay the ledger and check framing, seqno chain, Merkle tree, every signature and (with the secret) every private domain')
    .action((dir: string, options: { ledgerSecret?: string; serviceCert?: string; json?: boolean }) => {
      const files = openLedgerDirectory(dir);
      const secret = options.ledgerSecret === undefined ? undefined : readSecret(options.ledgerSecret);
      const serviceCertificate = options.serviceCert === undefined ? undefined : readInputFile(options.serviceCert, 'service certificate');
      const bar = progressBar(files, options.json === true);
      const report = verifyLedger(files, {
        ...(secret === undefined ? {} : { secret }),
        ...(serviceCertificate === undefined ? {} : { serviceCertificate }),
        ...(bar === undefined ? {} : { onProgress: (done: number) => bar.update(done) }),
      });
      bar?.stop();
      console.log(options.json === true ? JSON.stringify(report) : describeReport(report));
      if (!report.ok) process.exitCode = 1;
    });

  ledger
    .command('read')
    .argument('<dir>', 'ledger directory')
    .option('--seqno <range>', 'only seqnos A..B (or a single seqno A)')
    .option('--ledger-secret <file>', 'ledger secret: show private writes decrypted')
    .option('--json', 'one JSON object per transaction, one per line')
    .description('print transactions: their ids, kinds, maps and writes')
    .action((dir: string, options: { seqno?: string; ledgerSecret?: string; json?: boolean }) => {
      const files = openLedgerDirectory(dir);
      const secret = options.ledgerSecret === undefined ? undefined : readSecret(options.ledgerSecret);
      const [from, to] = options.seqno === undefined ? [1, Number.MAX_SAFE_INTEGER] : parseRange(options.seqno);
      readTransactions(files, from, to, secret, options.json === true);
    });
}

function openLedgerDirectory(dir: string): DirectoryLedgerFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${dir}: no such ledger directory`, 2);
  return new DirectoryLedgerFiles(dir);
}

function readSecret(path: string): LedgerSecret {
  try {
    return parseLedgerSecret(readInputFile(path, 'ledger secret'));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${path}: ${(error as Error).message}`, 2);
  }
}

function parseRange(text: string): [number, number] {
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(text);
  const from = Number(match?.[1]);
  const to = match?.[2] === undefined ? from : Number(match[2]);
  if (match === null || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || to < from) {
    throw new CliError(`--seqno takes A..B or A with 1 <= A <= B, not "${text}"`, 2);
  }
  return [from, to];
}

function progressBar(files: DirectoryLedgerFiles, quiet: boolean): SingleBar | undefined {
  const total = files.list().reduce((sum, name) => sum + (parseChunkName(name) === undefined ? 0 : files.size(name)), 0);
  if (quiet || !process.stderr.isTTY || total < PROGRESS_BYTES_MIN) return undefined;
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'verifying [{bar}] {percentage}% | {value}/{total} bytes | eta {eta}s',
  });
  bar.start(total, 0);
  return bar;
}

function describeReport(report: VerifyReport): string {
  const lines: string[] = [];
  if (report.failure !== undefined) {
    const { file, offset, seqno, reason } = report.failure;
    lines.push(`FAILED at ${file || '(ledger)'} offset ${offset}${seqno === undefined ? '' : `, seqno ${seqno}`}: ${reason}`);
    lines.push(`checked before the failure: ${report.entries} transactions in ${report.files} files`);
    return lines.join('\n');
  }
  lines.push(`OK: ${report.entries} transactions in ${report.files} files (${report.bytes} bytes), ${report.signatures} signatures`);
  lines.push(`signed up to seqno ${report.lastSignedSeqno}; Merkle root ${report.root}`);
  if (report.unsignedTail > 0) lines.push(`note: the last ${report.unsignedTail} transactions follow the last signature and are not yet signed`);
  lines.push(report.privateDomainsDecrypted ? 'private domains decrypted and checked' : 'private domains not decrypted (no --ledger-secret)');
  lines.push({
    given: 'every signing node is endorsed by the given service certificate',
    'from-ledger': 'every signing node is endorsed by the service certificate recorded in the ledger',
    none: 'note: no service certificate given or recorded; node endorsements not checked',
  }[report.serviceCertificate]);
  return lines.join('\n');
}

function readTransactions(files: DirectoryLedgerFiles, from: number, to: number, secret: LedgerSecret | undefined, json: boolean): void {
  const { chunks } = orderedChunks(files.list());
  for (const [index, { name, chunk }] of chunks.entries()) {
    const next = chunks[index + 1];
    if (chunk.startSeqno > to || (next !== undefined && next.chunk.startSeqno <= from)) continue;
    const contents = readChunkFile(name, files.read(name));
    for (const frame of contents.frames) {
      if (frame.seqno < from || frame.seqno > to) continue;
      let decoded;
      try {
        decoded = decodeEntry(frame.entry, secret);
      } catch (error) {
        throw new CliError(`${name} at offset ${frame.offset}, seqno ${frame.seqno}: ${(error as Error).message} (run \`coco ledger verify\`)`, 1);
      }
      const { header } = decoded;
      const maps = [...(decoded.privateMaps ?? []), ...decoded.publicMaps].map((map) => ({
        map: map.name,
        writes: map.writes.map((w) => ({ key: describeBytes(w.key), value: w.value === null ? null : describeBytes(w.value) })),
      }));
      const sealed = decoded.privateMaps === null ? header.privateBytes : 0;
      if (json) {
        console.log(JSON.stringify({ txid: `${header.view}.${header.seqno}`, kind: header.kind, maps, ...(sealed > 0 ? { private_bytes_encrypted: sealed } : {}) }));
      } else {
        console.log(`${header.view}.${header.seqno} ${header.kind}`);
        for (const map of maps) {
          console.log(`  ${map.map}`);
          for (const write of map.writes) console.log(`    ${write.key} = ${write.value ?? '(deleted)'}`);
        }
        if (sealed > 0) console.log(`  (private domain: ${sealed} bytes encrypted; pass --ledger-secret to read)`);
      }
    }
    if (contents.error !== undefined) {
      throw new CliError(`${name} at offset ${contents.error.offset}: ${contents.error.reason} (run \`coco ledger verify\`)`, 1);
    }
  }
}
