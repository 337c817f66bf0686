// Codecs translate between an app's typed keys and values and the bytes the store keeps
// (bytes, because they go straight into ledger entries). A codec only translates: the same
// map may be opened with different codecs, and keys order by their encoded bytes.
import { toBuffer, u64be } from '../crypto/bytes.js';
import { KvError } from './kv-error.js';

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * UTF-8 JSON, the default for keys and values. Values JSON cannot represent
 * (undefined, functions, symbols, bigints, cycles) are refused rather than silently
 * written as nothing. Nested NaN / Infinity become null, as JSON.stringify does.
 */
export const jsonCodec: Codec<unknown> = {
  encode(value: unknown): Uint8Array {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new KvError('InvalidValue', `cannot encode as JSON: ${describe(error)}`, { cause: error });
    }
    if (text === undefined) throw new KvError('InvalidValue', `cannot encode a ${typeof value} as JSON`);
    return Buffer.from(text, 'utf8');
  },
  decode(bytes: Uint8Array): unknown {
    try {
      return JSON.parse(toBuffer(bytes).toString('utf8'));
    } catch (error) {
      throw new KvError('InvalidValue', `stored bytes are not JSON: ${describe(error)}`, { cause: error });
    }
  },
};

/**
 * Bytes as they are. Both directions copy, so a caller who later reuses its buffer
 * cannot change what the store (and the ledger) holds. `decode` returns a Buffer.
 */
export const rawCodec: Codec<Uint8Array> = {
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new KvError('InvalidValue', `rawCodec encodes a Uint8Array, not a ${typeof value}`);
    return Buffer.from(value);
  },
  decode(bytes: Uint8Array): Buffer {
    return Buffer.from(bytes);
  },
};

// Strict decoding: bytes written through another codec must not turn silently into U+FFFD.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 text. Strings order by their UTF-8 bytes, which is code point order. */
export const stringCodec: Codec<string> = {
  encode(value: string): Uint8Array {
    if (typeof value !== 'string') throw new KvError('InvalidValue', `stringCodec encodes a string, not a ${typeof value}`);
    return Buffer.from(value, 'utf8');
  },
  decode(bytes: Uint8Array): string {
    try {
      return utf8Decoder.decode(bytes);
    } catch (error) {
      throw new KvError('InvalidValue', 'stored bytes are not UTF-8', { cause: error });
    }
  },
};

/**
 * Non-negative safe integers as 8 big-endian bytes, so keys iterate in numeric order
 * (under jsonCodec, 10 sorts before 9).
 */
export const u64Codec: Codec<number> = {
  encode(value: number): Uint8Array {
    if (!Number.isSafeInteger(value) || value < 0) throw new KvError('InvalidValue', `u64Codec encodes a non-negative safe integer, not ${String(value)}`);
    return u64be(value);
  },
  decode(bytes: Uint8Array): number {
    const buffer = toBuffer(bytes);
    if (buffer.length !== 8) throw new KvError('InvalidValue', `u64Codec decodes 8 bytes, not ${buffer.length}`);
    const value = buffer.readUInt32BE(0) * 0x1_0000_0000 + buffer.readUInt32BE(4);
    if (!Number.isSafeInteger(value)) throw new KvError('InvalidValue', 'stored u64 is above Number.MAX_SAFE_INTEGER');
    return value;
  },
};
