// The forwarded request and reply as bytes: what goes in comes out, connection headers
// stay behind, and whatever the encoder would not write is refused with
// ForwardedMessageError, whatever the bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { decodeForwardedReply, decodeForwardedRequest, encodeForwardedReply, encodeForwardedRequest, ForwardedMessageError } from '../../src/rpc/forwarding-codec.js';

const cbor = new Encoder({ useRecords: false, structuredClone: false, mapsAsObjects: false, tagUint8Array: false });
const encode = (value: unknown): Buffer => Buffer.from(cbor.encode(value));

const REQUEST = 'coco.rpc.forwarded-request';
const REPLY = 'coco.rpc.forwarded-reply';

function refused(decode: () => unknown, reason: RegExp): void {
  assert.throws(decode, (error: unknown) => error instanceof ForwardedMessageError && reason.test(error.message));
}

describe('forwarded request codec', () => {
  it('round-trips method, target, end-to-end headers, body and certificate', () => {
    const request = {
      method: 'POST',
      target: '/app/log/private?x=1',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t', 'set-cookie': ['a=1', 'b=2'], ['__proto__']: 'stays a header' },
      body: Buffer.from('{"id": 1}'),
      peerCertificate: Buffer.from([0x30, 0x82, 1, 2]),
    };
    const decoded = decodeForwardedRequest(encodeForwardedRequest(request));
    assert.deepEqual(decoded, request);
    assert.equal(Object.getPrototypeOf(decoded.headers), Object.prototype);
  });

  it('leaves pseudo-headers, connection headers and headers it could not decode behind, and an absent certificate absent', () => {
    const decoded = decodeForwardedRequest(encodeForwardedRequest({
      method: 'GET',
      target: '/app/x',
      headers: { ':method': 'GET', ':path': '/app/x', connection: 'keep-alive', 'content-length': '0', 'transfer-encoding': 'chunked', accept: '*/*', absent: undefined, Upper: 'x', 'x-control': 'a\u0001b', 'x-none': [] },
      body: Buffer.alloc(0),
    }));
    assert.deepEqual(decoded, { method: 'GET', target: '/app/x', headers: { accept: '*/*' }, body: Buffer.alloc(0) });
    assert.equal('peerCertificate' in decoded, false);
  });

  it('decodes whatever it encodes, keeping every header it forwards', () => {
    const header = fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }));
    fc.assert(fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), header, { maxKeys: 8 }), fc.uint8Array({ maxLength: 64 }), (headers, body) => {
      const decoded = decodeForwardedRequest(encodeForwardedRequest({ method: 'PATCH', target: '/app/x?y', headers, body: Buffer.from(body) }));
      for (const [name, value] of Object.entries(decoded.headers)) assert.deepEqual(value, headers[name]);
      assert.deepEqual(decoded.body, Buffer.from(body));
    }), { numRuns: 500 });
  });

  it('refuses to encode what was never routed', () => {
    assert.throws(() => encodeForwardedRequest({ method: 'HEAD', target: '/app/x', headers: {}, body: Buffer.alloc(0) }), assert.AssertionError);
    assert.throws(() => encodeForwardedRequest({ method: 'GET', target: '*', headers: {}, body: Buffer.alloc(0) }), assert.AssertionError);
  });

  it('refuses each malformed field', () => {
    const valid = [REQUEST, 1, 'POST', '/app/x', [['content-type', 'application/json']], Buffer.from('{}'), null];
    const variant = (index: number, value: unknown) => encode(valid.map((field, at) => (at === index ? value : field)));
    assert.doesNotThrow(() => decodeForwardedRequest(encode(valid)));
    refused(() => decodeForwardedRequest(Buffer.from([0xff, 0x00])), /malformed CBOR/);
    refused(() => decodeForwardedRequest(Buffer.concat([encode(valid), Buffer.from([0])])), /malformed CBOR/);
    refused(() => decodeForwardedRequest(encode({ method: 'POST' })), /7-element array/);
    refused(() => decodeForwardedRequest(encode(valid.slice(0, 6))), /7-element array/);
    refused(() => decodeForwardedRequest(variant(0, REPLY)), /expected coco.rpc.forwarded-request/);
    refused(() => decodeForwardedRequest(variant(1, 2)), /unsupported format 2/);
    refused(() => decodeForwardedRequest(variant(2, 'TRACE')), /bad method/);
    refused(() => decodeForwardedRequest(variant(3, 'app/x')), /bad target/);
    refused(() => decodeForwardedRequest(variant(3, `/${'a'.repeat(20_000)}`)), /bad target/);
    refused(() => decodeForwardedRequest(variant(4, new Map([['a', 'b']]))), /headers is not an array/);
    refused(() => decodeForwardedRequest(variant(4, [['a']])), /not a \[name, value\] pair/);
    refused(() => decodeForwardedRequest(variant(4, [['Content-Type', 'x']])), /is not valid here/);
    refused(() => decodeForwardedRequest(variant(4, [[':path', '/']])), /is not valid here/);
    refused(() => decodeForwardedRequest(variant(4, [['connection', 'close']])), /is not valid here/);
    refused(() => decodeForwardedRequest(variant(4, [['bad name', 'x']])), /header "bad name" is not valid here/);
    refused(() => decodeForwardedRequest(variant(4, [[1, 'x']])), /header name is not a string/);
    refused(() => decodeForwardedRequest(variant(4, [['a', 'x\r\ny: z']])), /header "a" is not valid here/);
    refused(() => decodeForwardedRequest(variant(4, [['a', []]])), /header "a" is not valid here/);
    refused(() => decodeForwardedRequest(variant(4, [['a', 1]])), /header "a" is not valid here/);
    refused(() => decodeForwardedRequest(variant(4, [['a', 'x'], ['a', 'y']])), /header a is repeated/);
    refused(() => decodeForwardedRequest(variant(4, [['a', 'x'.repeat(17_000)]])), /headers are over/);
    refused(() => decodeForwardedRequest(variant(5, '{}')), /body is not a byte string/);
    refused(() => decodeForwardedRequest(variant(6, 'PEM')), /certificate is not a byte string/);
    refused(() => decodeForwardedRequest(variant(6, Buffer.alloc(0))), /empty certificate/);
  });

  it('refuses arbitrary bytes with ForwardedMessageError, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      assert.throws(() => decodeForwardedRequest(bytes), ForwardedMessageError);
      assert.throws(() => decodeForwardedReply(bytes), ForwardedMessageError);
    }), { numRuns: 2000 });
  });

  it('refuses a valid request with any byte changed or cut short, or decodes it to a valid request', () => {
    const bytes = encodeForwardedRequest({ method: 'PUT', target: '/app/x', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}'), peerCertificate: Buffer.from([1, 2, 3]) });
    fc.assert(fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, flip, cut) => {
      const changed = cut ? bytes.subarray(0, at) : Buffer.from(bytes.map((byte, index) => (index === at ? byte ^ flip : byte)));
      try {
        const decoded = decodeForwardedRequest(changed);
        assert.ok(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(decoded.method) && decoded.target.startsWith('/'));
      } catch (error) {
        assert.ok(error instanceof ForwardedMessageError, String(error));
      }
    }), { numRuns: 2000 });
  });
});

describe('forwarded reply codec', () => {
  it('round-trips status, headers and body', () => {
    const reply = { status: 201, headers: { 'content-type': 'application/json', 'x-coco-tx-id': '2.15', 'x-app': 'yes' }, body: Buffer.from('{"id":1}') };
    assert.deepEqual(decodeForwardedReply(encodeForwardedReply(reply)), reply);
  });

  it('refuses each malformed field', () => {
    const valid = [REPLY, 1, 200, [['content-type', 'application/json']], Buffer.from('{}')];
    const variant = (index: number, value: unknown) => encode(valid.map((field, at) => (at === index ? value : field)));
    assert.doesNotThrow(() => decodeForwardedReply(encode(valid)));
    refused(() => decodeForwardedReply(variant(0, REQUEST)), /expected coco.rpc.forwarded-reply/);
    refused(() => decodeForwardedReply(variant(2, 99)), /bad status/);
    refused(() => decodeForwardedReply(variant(2, 600)), /bad status/);
    refused(() => decodeForwardedReply(variant(2, 200.5)), /bad status/);
    refused(() => decodeForwardedReply(variant(2, '200')), /bad status/);
    refused(() => decodeForwardedReply(variant(3, [['content-length', '2']])), /is not valid here/);
    refused(() => decodeForwardedReply(variant(3, [['connection', 'close']])), /is not valid here/);
    refused(() => decodeForwardedReply(variant(3, [['set-cookie', ['a', 'b']]])), /header "set-cookie" is not valid here/);
    refused(() => decodeForwardedReply(variant(4, null)), /body is not a byte string/);
  });
});
