// Signature transactions are strict: the last one of a ledger is covered by no later
// root, so only its exact encoding keeps any byte of it from changing unseen.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../src/kv/codec.js';
import { decodeEntry, type DecodedEntry } from '../../src/ledger/entry.js';
import { EntryFormatError } from '../../src/ledger/entry-format-error.js';
import { checkSignatureRecord, signatureRecordOf, type SignatureRecord } from '../../src/ledger/signature.js';
import { makePrimary } from './primary-fixture.js';

async function signatureEntry(): Promise<DecodedEntry> {
  const primary = await makePrimary();
  primary.write(1, 'one');
  const record = primary.writer.sign(1);
  return decodeEntry(primary.entry(record.seqno));
}

/** The entry with its record's bytes replaced. */
function withRecordBytes(decoded: DecodedEntry, bytes: Uint8Array): DecodedEntry {
  const [map] = decoded.publicMaps;
  const [write] = map!.writes;
  return { ...decoded, publicMaps: [{ ...map!, writes: [{ ...write!, value: Buffer.from(bytes) }] }] };
}

function recordBytes(decoded: DecodedEntry): string {
  return Buffer.from(decoded.publicMaps[0]!.writes[0]!.value!).toString();
}

describe('signature transactions', () => {
  it('read back as the record the node signed, which checks', async () => {
    const decoded = await signatureEntry();
    const record = signatureRecordOf(decoded);
    assert.equal(record.seqno, decoded.header.seqno);
    assert.deepEqual(checkSignatureRecord(record), { ok: true });
  });

  it('refuse a record with the same fields in another spacing or order, or with a field added', async () => {
    const decoded = await signatureEntry();
    const record = JSON.parse(recordBytes(decoded)) as SignatureRecord;
    const variants = {
      spaced: JSON.stringify(record, null, 1),
      reordered: JSON.stringify({ ...{ cert: record.cert }, ...record }),
      extended: JSON.stringify({ ...record, note: 'x' }),
      escaped: recordBytes(decoded).replace('"node_id"', '"\\u006eode_id"'),
    };
    for (const [what, text] of Object.entries(variants)) {
      assert.notEqual(text, recordBytes(decoded), what);
      assert.throws(() => signatureRecordOf(withRecordBytes(decoded, Buffer.from(text))), (error: unknown) => {
        assert.ok(error instanceof EntryFormatError, what);
        assert.match(error.message, /canonical/, what);
        return true;
      });
    }
  });

  it('refuse a signature in base64 with unused bits set, though it decodes to the same bytes', async () => {
    const decoded = await signatureEntry();
    const record = JSON.parse(recordBytes(decoded)) as SignatureRecord;
    // 64 bytes, as a P-256 signature: the last character before '==' has four unused bits.
    const signature = `${'A'.repeat(84)}AB==`;
    assert.deepEqual(Buffer.from(signature, 'base64'), Buffer.alloc(64));
    const tampered = withRecordBytes(decoded, jsonCodec.encode({ ...record, signature }));
    assert.throws(() => signatureRecordOf(tampered), /signature is not canonical base64/);
  });

  it('refuse a certificate whose PEM is not the canonical text of its DER', async () => {
    const decoded = await signatureEntry();
    const record = signatureRecordOf(decoded);
    const body = record.cert.split('\n').slice(1, -1).join('');
    const variants = {
      'trailing newline': `${record.cert}\n`,
      'CRLF line ends': record.cert.replaceAll('\n', '\r\n'),
      'one long line': `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`,
    };
    for (const [what, cert] of Object.entries(variants)) {
      const check = checkSignatureRecord({ ...record, cert });
      assert.equal(check.ok, false, what);
      assert.match((check as { reason: string }).reason, /canonical PEM/, what);
    }
  });
});
