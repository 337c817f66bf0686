// Cuts a connection's byte stream into frames. Chunks are only joined once a whole frame
// (or length prefix) has arrived, so a large frame costs one copy, not one per chunk.
// A frame over the size limit is refused from its length prefix alone, before any of
// it is buffered.
import { FRAME_LENGTH_BYTES, decodeFrameBody, type Frame } from './frame.js';

export interface Decoded {
  readonly frames: Frame[];
  /** Why the stream is malformed; the frames before the fault are still given. */
  readonly error?: string;
}

export class FrameDecoder {
  readonly #frameBytesMax: number;
  #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  /** Buffered bytes needed before anything more can be decoded. */
  #neededBytes = FRAME_LENGTH_BYTES;
  #failed = false;

  constructor(frameBytesMax: number) {
    this.#frameBytesMax = frameBytesMax;
  }

  push(chunk: Buffer): Decoded {
    if (this.#failed) return { frames: [], error: 'the stream was already malformed' };
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;
    if (this.#bufferedBytes < this.#neededBytes) return { frames: [] };
    const data = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#bufferedBytes);
    const frames: Frame[] = [];
    let offset = 0;
    for (;;) {
      const available = data.length - offset;
      if (available < FRAME_LENGTH_BYTES) {
        this.#neededBytes = FRAME_LENGTH_BYTES;
        break;
      }
      const size = FRAME_LENGTH_BYTES + data.readUInt32BE(offset);
      if (size > this.#frameBytesMax) return this.#fail(frames, `a ${size}-byte frame, over the ${this.#frameBytesMax}-byte limit`);
      if (available < size) {
        this.#neededBytes = size;
        break;
      }
      const frame = decodeFrameBody(data.subarray(offset + FRAME_LENGTH_BYTES, offset + size));
      if (typeof frame === 'string') return this.#fail(frames, frame);
      frames.push(frame);
      offset += size;
    }
    const rest = data.subarray(offset);
    this.#chunks = rest.length === 0 ? [] : [rest];
    this.#bufferedBytes = rest.length;
    return { frames };
  }

  #fail(frames: Frame[], error: string): Decoded {
    this.#failed = true;
    this.#chunks = [];
    this.#bufferedBytes = 0;
    return { frames, error };
  }
}
