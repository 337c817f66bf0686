// Consensus messages on the wire: one CBOR array each (cbor-x), the first element a type
// code, every field positional (docs/consensus.md has the table):
//
//   request-vote               [1, from, view, preVote, lastSignedView, lastSignedSeqno]
//   request-vote-response      [2, from, view, preVote, granted, commitView, commitSeqno]
//   append-entries             [3, from, view, prevView, prevSeqno, commitSeqno, [entry...]]
//     entry                    [view, seqno, isSignature, data] or [..., configuration]
//   append-entries accepted    [4, from, view, matchSeqno]
//   append-entries refused     [5, from, view, rejectedSeqno, hintSeqno]
//
// Decoding checks every field, and also what the state machine asserts of a peer's message
// (entries contiguous and in views it could have), so bad bytes become a
// MessageFormatError, never a crash. Entry data is not copied: a decoded entry's `data`
// views the bytes given to decodeMessage, which the caller must then leave unchanged.
import { Decoder, Encoder } from 'cbor-x';
import { appendEntriesEntriesMax } from '../limits.js';
import type { Entry, Message } from './messages.js';
import { MessageFormatError } from './message-format-error.js';

const REQUEST_VOTE = 1;
const REQUEST_VOTE_RESPONSE = 2;
const APPEND_ENTRIES = 3;
const APPEND_ENTRIES_ACCEPTED = 4;
const APPEND_ENTRIES_REFUSED = 5;

const options = { useRecords: false, structuredClone: false, mapsAsObjects: false, tagUint8Array: false } as const;
const encoder = new Encoder(options);
const decoder = new Decoder(options);

/** cbor-x writes integers of 2^32 and more as floats unless given a bigint. */
function integer(value: number): number | bigint {
  return value > 0xffff_ffff ? BigInt(value) : value;
}

/**
 * The message as CBOR. The result is a view of the encoder's buffer, which later calls
 * never overwrite (cbor-x moves on to fresh space), so it needs no copy.
 */
export function encodeMessage(message: Message): Uint8Array {
  switch (message.type) {
    case 'request-vote':
      return encoder.encode([REQUEST_VOTE, message.from, integer(message.view), message.preVote,
        integer(message.lastSignedTxId.view), integer(message.lastSignedTxId.seqno)]);
    case 'request-vote-response':
      return encoder.encode([REQUEST_VOTE_RESPONSE, message.from, integer(message.view), message.preVote, message.granted,
        integer(message.commitTxId.view), integer(message.commitTxId.seqno)]);
    case 'append-entries':
      return encoder.encode([APPEND_ENTRIES, message.from, integer(message.view), integer(message.prevTxId.view),
        integer(message.prevTxId.seqno), integer(message.commitSeqno), message.entries.map(encodeEntry)]);
    case 'append-entries-response':
      return message.success
        ? encoder.encode([APPEND_ENTRIES_ACCEPTED, message.from, integer(message.view), integer(message.matchSeqno)])
        : encoder.encode([APPEND_ENTRIES_REFUSED, message.from, integer(message.view), integer(message.rejectedSeqno), integer(message.hintSeqno)]);
  }
}

function encodeEntry(entry: Entry): unknown[] {
  const fields: unknown[] = [integer(entry.view), integer(entry.seqno), entry.isSignature, entry.data];
  if (entry.configuration !== undefined) fields.push(entry.configuration);
  return fields;
}

/** The message in `bytes`; throws MessageFormatError naming the first bad field. */
export function decodeMessage(bytes: Uint8Array): Message {
  if (!(bytes instanceof Uint8Array)) throw new MessageFormatError('message', 'is not bytes');
  let decoded: unknown;
  try {
    // cbor-x caches a `dataView` property on the buffer it reads: give it a view of our own.
    decoded = decoder.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new MessageFormatError('message', `is not CBOR (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (!Array.isArray(decoded)) throw new MessageFormatError('message', 'is not an array');
  const fields: unknown[] = decoded;
  const code = fields[0];
  switch (code) {
    case REQUEST_VOTE: {
      expectLength(fields, 6);
      const view = safeInteger(fields[2], 'view');
      const lastSignedTxId = txId(fields[4], fields[5], 'lastSignedTxId');
      if (lastSignedTxId.view > view) throw new MessageFormatError('lastSignedTxId.view', `is after the view ${view}`);
      return { type: 'request-vote', from: nodeId(fields[1], 'from'), view, preVote: boolean(fields[3], 'preVote'), lastSignedTxId };
    }
    case REQUEST_VOTE_RESPONSE: {
      expectLength(fields, 7);
      const view = safeInteger(fields[2], 'view');
      const commitTxId = txId(fields[5], fields[6], 'commitTxId');
      if (commitTxId.view > view) throw new MessageFormatError('commitTxId.view', `is after the view ${view}`);
      return {
        type: 'request-vote-response', from: nodeId(fields[1], 'from'), view,
        preVote: boolean(fields[3], 'preVote'), granted: boolean(fields[4], 'granted'), commitTxId,
      };
    }
    case APPEND_ENTRIES: {
      expectLength(fields, 7);
      const from = nodeId(fields[1], 'from');
      const view = safeInteger(fields[2], 'view');
      const prevTxId = txId(fields[3], fields[4], 'prevTxId');
      if (prevTxId.view > view) throw new MessageFormatError('prevTxId.view', `is after the view ${view}`);
      const commitSeqno = safeInteger(fields[5], 'commitSeqno');
      return { type: 'append-entries', from, view, prevTxId, commitSeqno, entries: entries(fields[6], prevTxId, view) };
    }
    case APPEND_ENTRIES_ACCEPTED:
      expectLength(fields, 4);
      return {
        type: 'append-entries-response', from: nodeId(fields[1], 'from'), view: safeInteger(fields[2], 'view'),
        success: true, matchSeqno: safeInteger(fields[3], 'matchSeqno'),
      };
    case APPEND_ENTRIES_REFUSED: {
      expectLength(fields, 5);
      const rejectedSeqno = safeInteger(fields[3], 'rejectedSeqno');
      const hintSeqno = safeInteger(fields[4], 'hintSeqno');
      if (hintSeqno > rejectedSeqno) throw new MessageFormatError('hintSeqno', `is after rejectedSeqno ${rejectedSeqno}`);
      return {
        type: 'append-entries-response', from: nodeId(fields[1], 'from'), view: safeInteger(fields[2], 'view'),
        success: false, rejectedSeqno, hintSeqno,
      };
    }
    default:
      throw new MessageFormatError('type', `${describe(code)} is not a known message type`);
  }
}

function entries(value: unknown, prevTxId: { view: number; seqno: number }, view: number): Entry[] {
  if (!Array.isArray(value)) throw new MessageFormatError('entries', 'is not an array');
  if (value.length > appendEntriesEntriesMax) throw new MessageFormatError('entries', `holds ${value.length}, over ${appendEntriesEntriesMax}`);
  const decoded: Entry[] = [];
  let previousView = prevTxId.view;
  for (let index = 0; index < value.length; index++) {
    const field = `entries[${index}]`;
    const fields: unknown = value[index];
    if (!Array.isArray(fields) || (fields.length !== 4 && fields.length !== 5)) throw new MessageFormatError(field, 'is not a 4- or 5-element array');
    const entryView = safeInteger(fields[0], `${field}.view`);
    // Log views never decrease, and no entry is from a view after the sender's.
    if (entryView < previousView || entryView > view || entryView === 0) {
      throw new MessageFormatError(`${field}.view`, `${entryView} is not in ${Math.max(previousView, 1)}..${view}`);
    }
    previousView = entryView;
    const seqno = safeInteger(fields[1], `${field}.seqno`);
    const expected = prevTxId.seqno + 1 + index;
    if (seqno !== expected) throw new MessageFormatError(`${field}.seqno`, `is ${seqno}, not ${expected}: entries must be contiguous after prevTxId`);
    const isSignature = boolean(fields[2], `${field}.isSignature`);
    const bytes: unknown = fields[3];
    if (!(bytes instanceof Uint8Array)) throw new MessageFormatError(`${field}.data`, 'is not a byte string');
    // cbor-x gives a Buffer viewing the input: keep the view, but as the plain Uint8Array
    // the Entry type promises (Buffer's slice() shares memory where Uint8Array's copies).
    const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    decoded.push(fields.length === 4
      ? { view: entryView, seqno, isSignature, data }
      : { view: entryView, seqno, isSignature, data, configuration: configuration(fields[4], `${field}.configuration`) });
  }
  return decoded;
}

function configuration(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw new MessageFormatError(field, 'is not an array');
  if (value.length === 0) throw new MessageFormatError(field, 'is empty');
  const nodes = value.map((node: unknown, index) => nodeId(node, `${field}[${index}]`));
  if (new Set(nodes).size !== nodes.length) throw new MessageFormatError(field, 'lists a node twice');
  return nodes;
}

function txId(view: unknown, seqno: unknown, field: string): { view: number; seqno: number } {
  const decoded = { view: safeInteger(view, `${field}.view`), seqno: safeInteger(seqno, `${field}.seqno`) };
  // Seqno 0 is the origin, {0, 0}; every entry is of view 1 or later.
  if ((decoded.seqno === 0) !== (decoded.view === 0)) throw new MessageFormatError(field, `${decoded.view}.${decoded.seqno} is not a TxId`);
  return decoded;
}

function expectLength(fields: readonly unknown[], length: number): void {
  if (fields.length !== length) throw new MessageFormatError('message', `has ${fields.length} fields, not ${length}, for type ${String(fields[0])}`);
}

/** cbor-x reads 64-bit heads as bigint: safe ones become numbers again. */
function safeInteger(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  throw new MessageFormatError(field, `${describe(value)} is not a non-negative safe integer`);
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new MessageFormatError(field, `${describe(value)} is not a boolean`);
  return value;
}

function nodeId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new MessageFormatError(field, `${describe(value)} is not a node id`);
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}...` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : value instanceof Uint8Array ? 'a byte string' : `a ${typeof value}`;
}
