// The auditor's verifier against tampering (docs/ledger-format.md §What verify checks):
// a real ledger written to disk, then every byte flipped, frames dropped, reordered and
// re-framed, chunk files swapped and truncated. Verify must report each (never crash,
// never pass), naming the file and offset.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { identities, writeDemoLedger, type DemoLedger } from '../../examples/demo-ledger.js';
import { readChunkFile } from '../../src/ledger/chunk-format.js';
import { LedgerSecret } from '../../src/ledger/ledger-secret.js';
import { verifyLedger, type VerifyReport } from '../../src/ledger/ledger-verifier.js';

type Files = Map<string, Buffer>;

function source(files: Files) {
  return {
    list: () => [...files.keys()].sort(),
    read: (name: string) => Buffer.from(files.get(name) as Buffer),
    size: (name: string) => (files.get(name) as Buffer).length,
  };
}

function verify(files: Files, secret?: LedgerSecret): VerifyReport {
  return verifyLedger(source(files), secret === undefined ? {} : { secret });
}

function assertCaught(report: VerifyReport, what: string): void {
  assert.equal(report.ok, false, `${what}: verify passed`);
  assert.ok(report.failure !== undefined && report.failure.reason.length > 0, `${what}: no reason given`);
}

function copy(files: Files): Files {
  return new Map([...files].map(([name, bytes]) => [name, Buffer.from(bytes)]));
}

describe('ledger verify', () => {
  let dir: string;
  let demo: DemoLedger;
  let files: Files;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coco-verify-'));
    // Small chunks so the ledger spans several files; 12 transactions, signed every 4.
    // P-256 keys: each of the thousands of verifications below checks every signature.
    demo = await writeDemoLedger({ dir, transactions: 12, valueBytes: 24, signatureIntervalTx: 4, chunkBytesTarget: 600, curve: 'p256' });
    files = new Map(readdirSync(demo.ledgerDir).map((name) => [name, readFileSync(join(demo.ledgerDir, name))]));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes an untampered ledger, with and without the secret', () => {
    assert.ok(files.size >= 3, `expected several chunk files, got ${[...files.keys()].join(', ')}`);
    const plain = verify(files);
    assert.equal(plain.ok, true, plain.failure?.reason);
    assert.equal(plain.entries, demo.lastSeqno);
    assert.equal(plain.lastSignedSeqno, demo.lastSeqno);
    assert.equal(plain.serviceCertificate, 'from-ledger');
    assert.equal(plain.privateDomainsDecrypted, false);
    const decrypted = verify(files, demo.secret);
    assert.equal(decrypted.ok, true, decrypted.failure?.reason);
    assert.equal(decrypted.privateDomainsDecrypted, true);
  });

  it('catches a flip of any byte of any file', () => {
    for (const [name, bytes] of files) {
      for (let offset = 0; offset < bytes.length; offset++) {
        const tampered = copy(files);
        const target = tampered.get(name) as Buffer;
        target[offset] = (target[offset] as number) ^ 0x20;
        const report = verify(tampered);
        assertCaught(report, `flip at ${name}:${offset}`);
        assert.equal(report.failure?.file, name, `flip at ${name}:${offset} reported in ${report.failure?.file}`);
      }
    }
  });

  it('catches any altered entry byte even when the frame\'s CRC is recomputed', () => {
    for (const [name, bytes] of files) {
      for (const frame of readChunkFile(name, bytes).frames) {
        const entryStart = frame.offset + 17;
        for (let offset = entryStart; offset < entryStart + frame.entry.length; offset++) {
          const tampered = copy(files);
          const target = tampered.get(name) as Buffer;
          target[offset] = (target[offset] as number) ^ 0x01;
          target.writeUInt32BE(crc32(target.subarray(frame.offset + 8, entryStart + frame.entry.length)), frame.offset + 4);
          assertCaught(verify(tampered, demo.secret), `re-framed flip at ${name}:${offset} (seqno ${frame.seqno})`);
        }
      }
    }
  });

  it('catches a dropped or reordered entry', () => {
    const [name, bytes] = [...files].find(([n, b]) => readChunkFile(n, b).frames.length >= 3) as [string, Buffer];
    const frames = readChunkFile(name, bytes).frames;
    const span = (i: number) => bytes.subarray(frames[i]!.offset, frames[i]!.offset + 17 + frames[i]!.entry.length);
    const head = bytes.subarray(0, frames[0]!.offset);
    const rest = bytes.subarray(frames[2]!.offset);

    const dropped = copy(files);
    dropped.set(name, Buffer.concat([head, span(0), rest]));
    assertCaught(verify(dropped), 'dropped entry');

    const reordered = copy(files);
    reordered.set(name, Buffer.concat([head, span(1), span(0), rest]));
    assertCaught(verify(reordered), 'reordered entries');
  });

  it('catches swapped, missing and duplicated chunk files', () => {
    const names = [...files.keys()].sort((a, b) => readChunkFile(a, files.get(a)!).startSeqno - readChunkFile(b, files.get(b)!).startSeqno);
    const [first, second] = [names[0]!, names[1]!];

    const swapped = copy(files);
    swapped.set(first, files.get(second)!);
    swapped.set(second, files.get(first)!);
    assertCaught(verify(swapped), 'swapped chunk contents');

    const missing = copy(files);
    missing.delete(second);
    const report = verify(missing);
    assertCaught(report, 'missing chunk');
    assert.match(report.failure!.reason, /missing/);

    const misnamed = copy(files);
    misnamed.set('ledger_backup', files.get(second)!);
    const misnamedReport = verify(misnamed);
    assertCaught(misnamedReport, 'a ledger_ file that is not a chunk name');
    assert.equal(misnamedReport.failure!.file, 'ledger_backup');
    const unrelated = copy(files);
    unrelated.set('notes.txt', Buffer.from('operator notes'));
    assert.equal(verify(unrelated).ok, true, 'files not named ledger_* are ignored');

    const duplicated = copy(files);
    duplicated.set(second.replace(/^ledger_(\d+)/, (_, start: string) => `ledger_${Number(start) + 1}`), files.get(second)!);
    assertCaught(verify(duplicated), 'duplicated chunk under another name');
  });

  it('catches truncation at any offset, except at a frame boundary of the open chunk, which reads as a shorter ledger', () => {
    for (const [name, bytes] of files) {
      const boundaries = new Set([...readChunkFile(name, bytes).frames.map((f) => f.offset), bytes.length]);
      const open = /^ledger_\d+$/.test(name);
      for (let size = 0; size < bytes.length; size++) {
        const cut = copy(files);
        cut.set(name, bytes.subarray(0, size));
        const report = verify(cut);
        if (open && boundaries.has(size) && size > 16) {
          assert.equal(report.ok, true, `clean cut at ${name}:${size}: ${report.failure?.reason}`);
          assert.ok(report.lastSeqno < demo.lastSeqno, 'a shorter ledger is reported as shorter');
        } else {
          assertCaught(report, `truncation of ${name} to ${size} bytes`);
        }
      }
    }
  });

  it('names a wrong ledger secret clearly', () => {
    const report = verify(files, new LedgerSecret(randomBytes(32)));
    assertCaught(report, 'wrong secret');
    assert.match(report.failure!.reason, /ledger secret/);
    assert.equal(report.failure!.seqno, 1);
  });

  it('refuses signing nodes the given service certificate did not endorse', async () => {
    const stranger = (await identities()).serviceCertificate;
    const report = verifyLedger(source(files), { serviceCertificate: stranger });
    assertCaught(report, 'foreign service certificate');
    assert.match(report.failure!.reason, /not endorsed/);
  });

  it('never writes a private value in clear', async () => {
    const privateDir = mkdtempSync(join(tmpdir(), 'coco-private-'));
    try {
      // The demo's private values are runs of "x"; look for them in clear.
      const privateDemo = await writeDemoLedger({ dir: privateDir, transactions: 50, valueBytes: 64 });
      for (const name of readdirSync(privateDemo.ledgerDir)) {
        const content = readFileSync(join(privateDemo.ledgerDir, name));
        assert.equal(content.indexOf('x'.repeat(16)), -1, `${name} holds a private value in clear`);
      }
    } finally {
      rmSync(privateDir, { recursive: true, force: true });
    }
  });
});
