// The lean journal under the state manager: the changes of the Ethereum transactions of
// one Coco transaction, in plain maps, and an undo log. A checkpoint is a position in the
// log; reverting undoes the entries after it, committing forgets the position. Nothing
// is copied at a checkpoint (the profile of @ethereumjs's SimpleStateManager
// found it copying the whole state at every one).
import { strict as assert } from 'node:assert';

interface UndoEntry {
  readonly table: Map<string, unknown>;
  readonly key: string;
  readonly had: boolean;
  readonly previous: unknown;
}

export class StateJournal {
  readonly #undo: UndoEntry[] = [];
  readonly #checkpoints: number[] = [];

  /** Sets `table[key]`, remembering what was there. */
  set<V>(table: Map<string, V>, key: string, value: V): void {
    this.#undo.push({ table: table as Map<string, unknown>, key, had: table.has(key), previous: table.get(key) });
    table.set(key, value);
  }

  /** Removes `table[key]`, remembering what was there. */
  delete<V>(table: Map<string, V>, key: string): void {
    if (!table.has(key)) return;
    this.#undo.push({ table: table as Map<string, unknown>, key, had: true, previous: table.get(key) });
    table.delete(key);
  }

  checkpoint(): void {
    this.#checkpoints.push(this.#undo.length);
  }

  commit(): void {
    assert(this.#checkpoints.length > 0, 'commit without a checkpoint');
    this.#checkpoints.pop();
    // At the outermost level nothing can be reverted any more.
    if (this.#checkpoints.length === 0) this.#undo.length = 0;
  }

  revert(): void {
    const mark = this.#checkpoints.pop();
    assert(mark !== undefined, 'revert without a checkpoint');
    for (let index = this.#undo.length - 1; index >= mark; index -= 1) {
      const entry = this.#undo[index] as UndoEntry;
      if (entry.had) entry.table.set(entry.key, entry.previous);
      else entry.table.delete(entry.key);
    }
    this.#undo.length = mark;
  }

  /** True between transactions: every checkpoint was committed or reverted. */
  get settled(): boolean {
    return this.#checkpoints.length === 0;
  }
}
