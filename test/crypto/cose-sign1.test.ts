// COSE_Sign1 against the COSE working group's published examples
// (github.com/cose-wg/Examples, sign1-tests), our own round trips on both curves with
// Coco's custom headers, and rejection of malformed messages.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { Decoder, Tag } from 'cbor-x';
import fc from 'fast-check';
import { fromHex } from '../../src/crypto/bytes.js';
import {
  COSE_ALG_ES256,
  COSE_ALG_ES384,
  COSE_HEADER_ALG,
  COSE_HEADER_KID,
  CoseError,
  coseSign1Decode,
  coseSign1Sign,
  coseSign1Verify,
} from '../../src/crypto/cose-sign1.js';
import { generateKeyPair } from '../../src/crypto/keys.js';

/** Key "11" of the examples (RFC 9052 Appendix C.7), P-256. */
const exampleKey = createPublicKey({
  key: {
    kty: 'EC',
    crv: 'P-256',
    x: 'usWxHK2PmfnHKwXPS54m0kTcGJ90UiglWiGahtagnv8',
    y: 'IBOL-C3BttVivg-lSreASjpkttcsz-1rb7btKLv8EX4',
  },
  format: 'jwk',
});
const content = Buffer.from('This is the content.');
const exampleSignature = 'EAE868ECC176883766C5DC5BA5B8DCA25DAB3C2E56A551CE5705B793914348E1';

/** output.cbor of each example, with its external AAD where it has one. */
const passing = {
  'sign-pass-01 (empty protected map, alg unprotected)': {
    cbor: `D28441A0A201260442313154546869732069732074686520636F6E74656E742E5840${exampleSignature}1A02E5F0344BF2D4EE5C7FD75A68A9F5E0B3CC1F1FC1409C189566586FF9D610`,
    externalAad: '',
  },
  'sign-pass-02 (external AAD)': {
    cbor: `D28443A10126A10442313154546869732069732074686520636F6E74656E742E5840${exampleSignature}55388B10C4F1B59A6733EAB416870A945111A4B2FBDBEF33A77234B1DEFF2F9B`,
    externalAad: '11aa22bb33cc44dd55006699',
  },
  'sign-pass-03 (untagged)': {
    cbor: `8443A10126A10442313154546869732069732074686520636F6E74656E742E5840${exampleSignature}9F43D6C6BA654472DA301B645B293C9BA939295B97C4BDB847782BFF384C5794`,
    externalAad: '',
  },
};
const signatureOfPass03 = `5840${exampleSignature}9F43D6C6BA654472DA301B645B293C9BA939295B97C4BDB847782BFF384C5794`;

const rawDecoder = new Decoder({ mapsAsObjects: false, useRecords: false });

function flipByte(bytes: Buffer, at: number, mask = 0x01): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt8(copy.readUInt8(at) ^ mask, at);
  return copy;
}

describe('COSE WG examples (sign1-tests)', () => {
  for (const [name, example] of Object.entries(passing)) {
    test(`${name} verifies with key 11, and a one-byte change does not`, () => {
      const bytes = fromHex(example.cbor);
      const externalAad = fromHex(example.externalAad);
      const message = coseSign1Decode(bytes);
      assert.deepEqual(message.payload, content);
      assert.deepEqual(message.unprotectedHeaders.get(COSE_HEADER_KID), Buffer.from('11'));
      assert.ok(coseSign1Verify(bytes, exampleKey, externalAad));
      assert.ok(coseSign1Verify(message, exampleKey, externalAad));
      const payloadAt = bytes.indexOf(content);
      assert.equal(coseSign1Verify(flipByte(bytes, payloadAt + 3), exampleKey, externalAad), false);
      assert.equal(coseSign1Verify(flipByte(bytes, bytes.length - 1), exampleKey, externalAad), false);
      assert.equal(coseSign1Verify(bytes, exampleKey, Buffer.from('other aad')), false);
      assert.equal(coseSign1Verify(bytes, generateKeyPair('p256').publicKey, externalAad), false);
    });
  }

  test('sign-fail-01: a tag other than 18 is rejected', () => {
    const bytes = fromHex(`D903E68443A10126A10442313154546869732069732074686520636F6E74656E742E${signatureOfPass03}`);
    assert.throws(() => coseSign1Decode(bytes), { name: 'CoseError', message: /CBOR tag 998 is not COSE_Sign1/ });
    assert.equal(coseSign1Verify(bytes, exampleKey), false);
  });

  test('sign-fail-02: a changed payload does not verify', () => {
    const bytes = fromHex(`D28443A10126A10442313154546869732069732074686520636F6E74656E742F${signatureOfPass03}`);
    assert.equal(coseSign1Verify(bytes, exampleKey), false);
  });

  test('sign-fail-03 and -04: an unknown alg is rejected', () => {
    for (const protectedHex of ['45A1013903E6', '4AA10167756E6B6E6F776E']) {
      const bytes = fromHex(`D284${protectedHex}A10442313154546869732069732074686520636F6E74656E742E${signatureOfPass03}`);
      assert.throws(() => coseSign1Decode(bytes), { name: 'CoseError', message: /alg .* is not supported/ });
      assert.equal(coseSign1Verify(bytes, exampleKey), false);
    }
  });

  test('sign-fail-06: an added protected attribute does not verify', () => {
    const bytes = fromHex(`D28445A201260300A10442313154546869732069732074686520636F6E74656E742E${signatureOfPass03}`);
    assert.equal(coseSign1Verify(bytes, exampleKey), false);
  });

  test('sign-fail-07: a removed protected attribute does not verify', () => {
    const bytes = fromHex(`D28443A10126A10442313154546869732069732074686520636F6E74656E742E5840${exampleSignature}72727F48461FABBBA2E343492DDECAC3983686250BC68E9F1A7A07D41225B59F`);
    assert.equal(coseSign1Verify(bytes, exampleKey), false);
  });
});

describe('coseSign1Sign', () => {
  test('writes a tagged COSE_Sign1 whose protected header is a CBOR map with integer labels', () => {
    const keys = generateKeyPair('p256');
    const bytes = coseSign1Sign({ privateKey: keys.privateKey, payload: content, kid: Buffer.from('11') });
    const raw = rawDecoder.decode(bytes) as Tag;
    assert.ok(raw instanceof Tag);
    assert.equal(raw.tag, 18);
    const [protectedBytes, unprotected, payload, signature] = raw.value as [Buffer, Map<unknown, unknown>, Buffer, Buffer];
    // {1: -7, 4: h'3131'} exactly, as in the examples.
    assert.equal(protectedBytes.toString('hex'), 'a2012604423131');
    assert.equal(unprotected.size, 0);
    assert.deepEqual(payload, content);
    assert.equal(signature.length, 64);
    assert.equal(bytes.subarray(0, 2).toString('hex'), 'd284');
  });

  for (const [curve, alg, signatureBytes] of [['p384', COSE_ALG_ES384, 96], ['p256', COSE_ALG_ES256, 64]] as const) {
    test(`${curve}: round trips Coco's governance headers and verifies only with the right key and AAD`, () => {
      const keys = generateKeyPair(curve);
      const createdAtMs = 1_717_171_717_171;
      const bytes = coseSign1Sign({
        privateKey: keys.privateKey,
        payload: Buffer.from('{"ballot":"export function vote() { return true; }"}'),
        kid: Buffer.from('member0 id'),
        protectedHeaders: new Map<number | string, unknown>([['coco.msg.type', 'ballot'], ['coco.msg.created_at', createdAtMs], ['coco.proposal.id', 'abc']]),
        unprotectedHeaders: new Map([[33, 'note']]),
        externalAad: Buffer.from('aad'),
      });
      const message = coseSign1Decode(bytes);
      assert.equal(message.protectedHeaders.get(COSE_HEADER_ALG), alg);
      assert.equal(message.protectedHeaders.get('coco.msg.type'), 'ballot');
      assert.equal(message.protectedHeaders.get('coco.msg.created_at'), createdAtMs);
      assert.deepEqual(message.protectedHeaders.get(COSE_HEADER_KID), Buffer.from('member0 id'));
      assert.equal(message.unprotectedHeaders.get(33), 'note');
      assert.equal(message.signature.length, signatureBytes);
      // A millisecond time must be a CBOR integer (0x1b, 8 bytes), not a float (0xfb).
      assert.ok(message.protectedBytes.includes(Buffer.concat([Buffer.from('1b', 'hex'), Buffer.from(createdAtMs.toString(16).padStart(16, '0'), 'hex')])));
      assert.ok(coseSign1Verify(bytes, keys.publicKey, Buffer.from('aad')));
      assert.equal(coseSign1Verify(bytes, keys.publicKey), false, 'external AAD is signed');
      assert.equal(coseSign1Verify(bytes, keys.publicKey, Buffer.from('aae')), false);
      assert.equal(coseSign1Verify(bytes, generateKeyPair(curve).publicKey, Buffer.from('aad')), false);
      assert.equal(coseSign1Verify(bytes, generateKeyPair(curve === 'p384' ? 'p256' : 'p384').publicKey, Buffer.from('aad')), false);
    });
  }

  test('any single-bit change of a message makes it fail', () => {
    const keys = generateKeyPair('p256');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 16 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (payload, aad, at, bit) => {
        const bytes = coseSign1Sign({ privateKey: keys.privateKey, payload, externalAad: aad, protectedHeaders: new Map([['coco.msg.type', 'proposal']]) });
        assert.ok(coseSign1Verify(bytes, keys.publicKey, aad));
        assert.equal(coseSign1Verify(flipByte(bytes, at % bytes.length, 1 << bit), keys.publicKey, aad), false);
      }),
      { numRuns: 200 },
    );
  });

  test('labels set twice are programming errors', () => {
    const { privateKey } = generateKeyPair();
    assert.throws(() => coseSign1Sign({ privateKey, payload: content, protectedHeaders: new Map([[COSE_HEADER_ALG, COSE_ALG_ES256]]) }), assert.AssertionError);
    assert.throws(
      () => coseSign1Sign({ privateKey, payload: content, protectedHeaders: new Map([['x', 1]]), unprotectedHeaders: new Map([['x', 2]]) }),
      assert.AssertionError,
    );
  });
});

describe('coseSign1Decode rejects malformed messages with CoseError', () => {
  const sig = `5840${'00'.repeat(64)}`;
  const cases: Record<string, [string, RegExp]> = {
    'empty input': ['', /is empty/],
    'not CBOR': ['ff', /not valid CBOR/],
    'truncated': ['d28443a10126a0', /not valid CBOR/],
    'trailing bytes': [`d28443a10126a040${sig}00`, /not valid CBOR/],
    'not an array': ['d2a0', /array of 4/],
    'an array of 3': ['d28343a10126a040', /array of 4/],
    'an array of 5': [`d28543a10126a040${sig}00`, /array of 4/],
    'protected header not a bstr': [`d284a10126a040${sig}`, /protected header must be a byte string/],
    'protected header bstr holding an array': [`d284428100a040${sig}`, /bstr-wrapped map/],
    'protected header with duplicate labels': [`d28445a201260126a040${sig}`, /duplicate labels/],
    'unprotected header not a map': [`d28443a101264040${sig}`, /unprotected header must be a map/],
    'payload not bstr or nil': [`d28443a10126a001${sig}`, /payload must be a byte string or nil/],
    'signature not a bstr': ['d28443a10126a04060', /signature must be a byte string/],
    'no alg': [`d28440a040${sig}`, /no alg/],
    'label in both buckets': [`d28443a10126a1012640${sig}`, /both protected and unprotected/],
    'label of a bad type': [`d28443a10126a1f40140${sig}`, /neither an integer nor a text string/],
  };
  for (const [name, [hex, reason]] of Object.entries(cases)) {
    test(name, () => {
      const bytes = fromHex(hex);
      assert.throws(() => coseSign1Decode(bytes), (error) => error instanceof CoseError && reason.test(error.message));
      assert.equal(coseSign1Verify(bytes, exampleKey), false);
    });
  }

  test('a detached payload decodes but does not verify', () => {
    const message = coseSign1Decode(fromHex(`d28443a10126a0f6${sig}`));
    assert.equal(message.payload, null);
    assert.equal(coseSign1Verify(message, exampleKey), false);
  });
});
