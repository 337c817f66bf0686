// An array that grows and shrinks at its end and also drops items from its front, each in
// amortised O(1). The Raft log loses its oldest entries at every compaction; splice and
// shift would copy everything that stays, every time.
import assert from 'node:assert/strict';

export class TrimmableArray<T> {
  /** Items [#head, length) are live; the slots before #head were dropped and hold nothing. */
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The item at `index` (0 is the oldest still held); undefined outside 0..length - 1. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.length ? this.#items[this.#head + index] : undefined;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Keeps the first `length` items. */
  truncate(length: number): void {
    assert(Number.isSafeInteger(length) && length >= 0 && length <= this.length, `truncate to ${length} of ${this.length}`);
    this.#items.length = this.#head + length;
  }

  /** Drops the oldest `count` items, so that their memory can be reclaimed at once. */
  dropFront(count: number): void {
    assert(Number.isSafeInteger(count) && count >= 0 && count <= this.length, `drop ${count} of ${this.length}`);
    this.#items.fill(undefined, this.#head, this.#head + count);
    this.#head += count;
    // Copy the live items down once the dead slots are half the array: each copy moves at
    // most as many items as were dropped since the last one.
    if (this.#head > 0 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Items [start, end), oldest first (a copy). */
  slice(start: number, end: number): T[] {
    assert(start >= 0 && start <= end && end <= this.length, `slice ${start}..${end} of ${this.length}`);
    return this.#items.slice(this.#head + start, this.#head + end) as T[];
  }
}
