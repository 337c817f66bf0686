// Ledger entries (docs/ledger-format.md §Entry): round trips, confidentiality of the
// private domain, authentication of the whole entry, and rejection of malformed bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DecryptionError } from '../../src/crypto/aes-gcm.js';
import type { WriteSet, WriteSetMap } from '../../src/kv/write-set.js';
import { decodeEntry, decodeEntryHeader, encodeEntry, entryWriteSet, ENTRY_HEADER_BYTES } from '../../src/ledger/entry.js';
import { EntryFormatError } from '../../src/ledger/entry-format-error.js';
import { LedgerSecret } from '../../src/ledger/ledger-secret.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

const mapArbitrary = (prefix: 'public:' | 'private:') =>
  fc.record({
    name: fc.stringMatching(/^[a-z]{1,12}$/).map((s) => `${prefix}${s}`),
    writes: fc.uniqueArray(fc.record({ key: bytes(24), value: fc.option(bytes(200), { nil: null }) }), {
      minLength: 1,
      maxLength: 6,
      selector: (w) => w.key.toString('hex'),
    }),
  });

/** Canonical write sets, as the store produces them: maps sorted by name, writes by key. */
const writeSetArbitrary = fc
  .tuple(fc.array(mapArbitrary('private:'), { maxLength: 3 }), fc.array(mapArbitrary('public:'), { maxLength: 3 }))
  .map(([priv, pub]) => {
    const byName = new Map<string, WriteSetMap>();
    for (const map of [...priv, ...pub]) byName.set(map.name, map);
    return [...byName.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((m) => ({ name: m.name, writes: [...m.writes].sort((a, b) => Buffer.compare(a.key, b.key)) }));
  })
  .filter((maps) => maps.length > 0);

function plain(writeSet: WriteSet): unknown {
  return writeSet.maps.map((m) => [m.name, m.writes.map((w) => [Buffer.from(w.key).toString('hex'), w.value === null ? null : Buffer.from(w.value).toString('hex')])]);
}

describe('ledger entry', () => {
  it('round-trips any write set, private writes included, given the secret', () => {
    fc.assert(
      fc.property(writeSetArbitrary, fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 0xffff_ffff }), (maps, seqno, view) => {
        const secret = new LedgerSecret(randomBytes(32));
        const writeSet: WriteSet = { version: seqno, maps };
        const entry = encodeEntry({ kind: 'transaction', view, writeSet, secret });
        const decoded = decodeEntry(entry, secret);
        assert.equal(decoded.header.seqno, seqno);
        assert.equal(decoded.header.view, view);
        assert.deepEqual(decoded.header.commitEvidenceDigest, secret.commitEvidenceDigest(view, seqno));
        assert.deepEqual(plain(entryWriteSet(decoded)), plain(writeSet));
      }),
      { numRuns: 300 },
    );
  });

  it('never shows a private value in clear, and needs the secret to read it', () => {
    const secret = new LedgerSecret(randomBytes(32));
    const marker = Buffer.from('"confidential-salary-figure-12345"');
    const entry = encodeEntry({
      kind: 'transaction',
      view: 1,
      writeSet: { version: 7, maps: [{ name: 'private:pay', writes: [{ key: Buffer.from('"alice"'), value: marker }] }, { name: 'public:names', writes: [{ key: Buffer.from('1'), value: Buffer.from('"alice"') }] }] },
      secret,
    });
    assert.equal(entry.indexOf(marker), -1);
    assert.equal(entry.indexOf(Buffer.from('confidential')), -1);
    assert.notEqual(entry.indexOf(Buffer.from('public:names')), -1, 'public writes stay readable');
    const withoutSecret = decodeEntry(entry);
    assert.equal(withoutSecret.privateMaps, null);
    assert.equal(withoutSecret.publicMaps[0]?.name, 'public:names');
    assert.throws(() => decodeEntry(entry, new LedgerSecret(randomBytes(32))), DecryptionError);
  });

  it('authenticates the header and public domain with the private domain', () => {
    const secret = new LedgerSecret(randomBytes(32));
    const entry = encodeEntry({
      kind: 'transaction',
      view: 3,
      writeSet: { version: 9, maps: [{ name: 'private:a', writes: [{ key: Buffer.from('1'), value: Buffer.from('2') }] }, { name: 'public:b', writes: [{ key: Buffer.from('3'), value: Buffer.from('"four"') }] }] },
      secret,
    });
    for (let offset = 0; offset < entry.length; offset++) {
      const altered = Buffer.from(entry);
      altered[offset] = (altered[offset] as number) ^ 0x01;
      assert.throws(() => decodeEntry(altered, secret), (error: Error) => error instanceof DecryptionError || error instanceof EntryFormatError, `flip at ${offset} went unnoticed`);
    }
  });

  it('asserts rather than reuse an IV: the same view and seqno cannot be sealed twice', () => {
    const secret = new LedgerSecret(randomBytes(32));
    const writeSet: WriteSet = { version: 5, maps: [{ name: 'private:a', writes: [{ key: Buffer.from('1'), value: Buffer.from('2') }] }] };
    encodeEntry({ kind: 'transaction', view: 2, writeSet, secret });
    assert.throws(() => encodeEntry({ kind: 'transaction', view: 2, writeSet, secret }), assert.AssertionError);
    assert.throws(() => encodeEntry({ kind: 'transaction', view: 1, writeSet: { ...writeSet, version: 6 }, secret }), assert.AssertionError);
    encodeEntry({ kind: 'transaction', view: 3, writeSet: { ...writeSet, version: 4 }, secret });
  });

  it('rejects malformed headers with EntryFormatError', () => {
    const secret = new LedgerSecret(randomBytes(32));
    const entry = encodeEntry({ kind: 'signature', view: 1, writeSet: { version: 1, maps: [{ name: 'public:x', writes: [{ key: Buffer.from('1'), value: Buffer.from('1') }] }] }, secret });
    assert.equal(decodeEntryHeader(entry).kind, 'signature');
    const cases: Array<[string, (b: Buffer) => Buffer]> = [
      ['short', (b) => b.subarray(0, ENTRY_HEADER_BYTES - 1)],
      ['version', (b) => { b[0] = 9; return b; }],
      ['kind', (b) => { b[1] = 7; return b; }],
      ['reserved', (b) => { b[3] = 1; return b; }],
      ['seqno zero', (b) => { b.fill(0, 12, 20); return b; }],
      ['lengths', (b) => Buffer.concat([b, Buffer.from([0])])],
      ['private too short', (b) => { b.writeUInt32BE(4, 24); return Buffer.concat([b, Buffer.alloc(4)]); }],
      ['domain overrun', (b) => { b.writeUInt32BE(1000, ENTRY_HEADER_BYTES); return b; }],
    ];
    for (const [name, mutate] of cases) {
      assert.throws(() => decodeEntry(mutate(Buffer.from(entry))), EntryFormatError, name);
    }
  });
});
