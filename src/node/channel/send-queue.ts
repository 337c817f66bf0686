// The frames waiting for one peer's connection, bounded by count and by bytes. A frame
// that would pass either bound is refused, not queued: the newest is what gets dropped,
// so the sender learns it at once (send() returns false) and frames already queued keep
// their order.
import assert from 'node:assert/strict';

export interface QueuedFrame {
  readonly bytes: Buffer;
  /** Set for request frames, so a request that times out while queued can be taken out. */
  readonly requestId?: number;
}

/** Taken frames kept in the array before it is compacted. */
const COMPACT_AFTER_FRAMES = 1024;

export class SendQueue {
  readonly #framesMax: number;
  readonly #bytesMax: number;
  #items: QueuedFrame[] = [];
  /** Index of the oldest queued frame in #items: taking one is O(1). */
  #head = 0;
  #bytes = 0;

  constructor(limits: { readonly framesMax: number; readonly bytesMax: number }) {
    assert(limits.framesMax >= 1 && limits.bytesMax >= 1, 'a send queue must hold at least one frame');
    this.#framesMax = limits.framesMax;
    this.#bytesMax = limits.bytesMax;
  }

  get frames(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** False, and nothing queued, if the frame would pass either limit. */
  push(frame: QueuedFrame): boolean {
    if (this.frames >= this.#framesMax || this.#bytes + frame.bytes.length > this.#bytesMax) return false;
    this.#items.push(frame);
    this.#bytes += frame.bytes.length;
    return true;
  }

  /** The oldest frame, taken out of the queue. */
  shift(): QueuedFrame | undefined {
    if (this.#head === this.#items.length) return undefined;
    const frame = this.#items[this.#head] as QueuedFrame;
    this.#head += 1;
    this.#bytes -= frame.bytes.length;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER_FRAMES && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return frame;
  }

  /** Takes a still-queued request out; false if it is not queued (already written). */
  removeRequest(requestId: number): boolean {
    const index = this.#items.findIndex((frame, at) => at >= this.#head && frame.requestId === requestId);
    if (index === -1) return false;
    const [frame] = this.#items.splice(index, 1) as [QueuedFrame];
    this.#bytes -= frame.bytes.length;
    return true;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}
