// The consensus message codec: every message survives a round trip (a property over
// generated messages), and malformed bytes are refused with a MessageFormatError naming
// the field, never with another error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from '../../src/consensus/message-codec.js';
import { MessageFormatError } from '../../src/consensus/message-format-error.js';
import type { AppendEntries, Entry, Message } from '../../src/consensus/messages.js';
import { appendEntriesEntriesMax } from '../../src/limits.js';

const MAX = Number.MAX_SAFE_INTEGER;
/** Records with Object.prototype, as decoded messages have (fast-check's default has none). */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}
const nodeId = fc.string({ minLength: 1, maxLength: 16 });
const view = fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: MAX }));
/** A TxId of a view no later than `atMost`: {0, 0} or an entry's. */
const txIdUpTo = (atMost: number): fc.Arbitrary<{ view: number; seqno: number }> => fc.oneof(
  fc.constant({ view: 0, seqno: 0 }),
  record({ view: fc.integer({ min: 1, max: atMost }), seqno: fc.integer({ min: 1, max: MAX - appendEntriesEntriesMax }) }),
);

const requestVote = view.chain((v) => record({
  type: fc.constant('request-vote' as const), from: nodeId, view: fc.constant(v), preVote: fc.boolean(), lastSignedTxId: txIdUpTo(v),
}));
const requestVoteResponse = view.chain((v) => record({
  type: fc.constant('request-vote-response' as const), from: nodeId, view: fc.constant(v), preVote: fc.boolean(), granted: fc.boolean(), commitTxId: txIdUpTo(v),
}));
const accepted = record({
  type: fc.constant('append-entries-response' as const), from: nodeId, view, success: fc.constant(true as const), matchSeqno: fc.maxSafeNat(),
});
const refused = fc.tuple(nodeId, view, fc.maxSafeNat(), fc.maxSafeNat()).map(([from, v, a, b]) => ({
  type: 'append-entries-response' as const, from, view: v, success: false as const, rejectedSeqno: Math.max(a, b), hintSeqno: Math.min(a, b),
}));
const appendEntries = view.chain((v) => fc.tuple(nodeId, txIdUpTo(v), fc.maxSafeNat(), fc.array(record({
  viewStep: fc.nat({ max: 2 }),
  isSignature: fc.boolean(),
  data: fc.uint8Array({ maxLength: 40 }),
  configuration: fc.option(fc.uniqueArray(nodeId, { minLength: 1, maxLength: 5 }), { nil: undefined }),
}), { maxLength: 8 })).map(([from, prevTxId, commitSeqno, drafts]): AppendEntries => {
  // Views never decrease along the log and never pass the message's view.
  let entryView = Math.max(prevTxId.view, 1);
  const entries = drafts.map((draft, index): Entry => {
    entryView = Math.min(v, entryView + draft.viewStep);
    const entry = { view: entryView, seqno: prevTxId.seqno + 1 + index, isSignature: draft.isSignature, data: draft.data };
    return draft.configuration === undefined ? entry : { ...entry, configuration: draft.configuration };
  });
  return { type: 'append-entries', from, view: v, prevTxId, commitSeqno, entries };
}));
const message: fc.Arbitrary<Message> = fc.oneof(requestVote, requestVoteResponse, appendEntries, accepted, refused);

const encoder = new Encoder({ useRecords: false, structuredClone: false, mapsAsObjects: false, tagUint8Array: false });
const bytes = (...fields: unknown[]): Uint8Array => encoder.encode(fields);
const data = new Uint8Array([1, 2, 3]);

/** Asserts that decoding refuses `encoded`, naming `field`. */
function refusesField(encoded: Uint8Array, field: string): void {
  assert.throws(() => decodeMessage(encoded), (error: unknown) => {
    assert(error instanceof MessageFormatError, `expected a MessageFormatError, got ${String(error)}`);
    assert.equal(error.field, field, error.message);
    return true;
  });
}

describe('message codec', () => {
  test('every message survives a round trip', () => {
    fc.assert(fc.property(message, (original) => {
      assert.deepStrictEqual(decodeMessage(encodeMessage(original)), original);
    }), { numRuns: 2000 });
  });

  test('decoded entry data views the received bytes, not a copy, as plain Uint8Arrays', () => {
    const entries: Entry[] = [{ view: 1, seqno: 1, isSignature: true, data: new Uint8Array(300).fill(7) }];
    const encoded = encodeMessage({ type: 'append-entries', from: 'n0', view: 1, prevTxId: { view: 0, seqno: 0 }, entries, commitSeqno: 0 });
    const decoded = decodeMessage(encoded);
    assert(decoded.type === 'append-entries');
    const [entry] = decoded.entries;
    assert(entry !== undefined);
    assert.equal(entry.data.buffer, encoded.buffer);
    assert.equal(Object.getPrototypeOf(entry.data), Uint8Array.prototype);
  });

  test('integers of 2^32 and more are written as CBOR unsigned integers, not floats', () => {
    const view = 2 ** 40;
    const encoded = encodeMessage({ type: 'append-entries-response', from: 'n1', view, success: true, matchSeqno: MAX });
    assert.equal(encoded[1 + 1 + 3], 0x1b, 'view has an 8-byte unsigned head');
    assert.deepEqual(decodeMessage(encoded), { type: 'append-entries-response', from: 'n1', view, success: true, matchSeqno: MAX });
  });

  test('random bytes are refused with a MessageFormatError, or decode to a message that round-trips', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (random) => {
      let decoded: Message;
      try {
        decoded = decodeMessage(random);
      } catch (error) {
        assert(error instanceof MessageFormatError, `not a MessageFormatError: ${String(error)}`);
        return;
      }
      assert.deepStrictEqual(decodeMessage(encodeMessage(decoded)), decoded);
    }), { numRuns: 5000 });
  });

  test('a message with one byte changed is refused with a MessageFormatError, or still round-trips', () => {
    fc.assert(fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (original, at, change) => {
      const corrupted = Uint8Array.from(encodeMessage(original));
      const index = at % corrupted.length;
      corrupted[index] = (corrupted[index] ?? 0) ^ change;
      let decoded: Message;
      try {
        decoded = decodeMessage(corrupted);
      } catch (error) {
        assert(error instanceof MessageFormatError, `not a MessageFormatError: ${String(error)}`);
        return;
      }
      assert.deepStrictEqual(decodeMessage(encodeMessage(decoded)), decoded);
    }), { numRuns: 5000 });
  });

  test('malformed messages are refused, naming the field', () => {
    const append = (entries: unknown[], messageView = 3, prev: [number, number] = [1, 4]): Uint8Array =>
      bytes(3, 'n0', messageView, prev[0], prev[1], 2, entries);
    refusesField(new Uint8Array([0x83, 0x01]), 'message');
    refusesField(new Uint8Array([0x01, 0x02]), 'message');
    refusesField(bytes(), 'type');
    refusesField(encoder.encode({ type: 1 }), 'message');
    refusesField(bytes(9, 'n0', 1), 'type');
    refusesField(bytes('request-vote', 'n0', 1), 'type');
    refusesField(bytes(4, 'n0', 1), 'message');
    refusesField(bytes(4, 'n0', 1, 5, 6), 'message');
    refusesField(bytes(4, '', 1, 5), 'from');
    refusesField(bytes(4, 7, 1, 5), 'from');
    refusesField(bytes(4, 'n0', -1, 5), 'view');
    refusesField(bytes(4, 'n0', 1.5, 5), 'view');
    refusesField(bytes(4, 'n0', '1', 5), 'view');
    refusesField(bytes(4, 'n0', 2n ** 53n, 5), 'view');
    refusesField(bytes(4, 'n0', 1, null), 'matchSeqno');
    refusesField(bytes(5, 'n0', 1, 3, 4), 'hintSeqno');
    refusesField(bytes(1, 'n0', 2, 'yes', 1, 1), 'preVote');
    refusesField(bytes(1, 'n0', 2, true, 3, 1), 'lastSignedTxId.view');
    refusesField(bytes(1, 'n0', 2, true, 1, 0), 'lastSignedTxId');
    refusesField(bytes(2, 'n0', 2, true, 1, 0, 0), 'granted');
    refusesField(bytes(2, 'n0', 2, true, true, 0, 5), 'commitTxId');
    refusesField(bytes(3, 'n0', 3, 4, 4, 2, []), 'prevTxId.view');
    refusesField(bytes(3, 'n0', 3, 1, 4, 2, {}), 'entries');
    refusesField(append(Array.from({ length: appendEntriesEntriesMax + 1 }, (_, index) => [3, 5 + index, false, data])), 'entries');
    refusesField(append([[3, 5, false]]), 'entries[0]');
    refusesField(append([[3, 5, false, data], [3, 7, false, data]]), 'entries[1].seqno');
    refusesField(append([[3, 6, false, data]]), 'entries[0].seqno');
    refusesField(append([[4, 5, false, data]]), 'entries[0].view');
    refusesField(append([[3, 5, false, data], [2, 6, false, data]]), 'entries[1].view');
    refusesField(append([[0, 5, false, data]], 3, [0, 0]), 'entries[0].view');
    refusesField(append([[3, 5, 0, data]]), 'entries[0].isSignature');
    refusesField(append([[3, 5, false, 'data']]), 'entries[0].data');
    refusesField(append([[3, 5, false, [1, 2]]]), 'entries[0].data');
    refusesField(append([[3, 5, false, data, 'n0']]), 'entries[0].configuration');
    refusesField(append([[3, 5, false, data, []]]), 'entries[0].configuration');
    refusesField(append([[3, 5, false, data, ['n0', 'n0']]]), 'entries[0].configuration');
    refusesField(append([[3, 5, false, data, ['n0', 2]]]), 'entries[0].configuration[1]');
  });
});
