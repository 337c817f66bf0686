// A write set is what one committed transaction changed: the unit that the primary puts
// into a ledger entry and that followers apply. Its order is canonical (maps by name,
// writes by key bytes, one write per key), so the same transaction always gives the
// same bytes, on every node.
import { strict as assert } from 'node:assert';
import { mapNameProblem } from './map-name.js';

export interface WriteSetWrite {
  readonly key: Buffer;
  /** The new value; null deletes the key. */
  readonly value: Buffer | null;
}

export interface WriteSetMap {
  readonly name: string;
  /** Sorted by key bytes, one write per key. Never empty in a write set the store made. */
  readonly writes: WriteSetWrite[];
}

export interface WriteSet {
  /** The seqno this write set was committed at. */
  readonly version: number;
  /** Sorted by name, each name once. */
  readonly maps: WriteSetMap[];
}

/** Number of key writes (sets and deletes) in a write set. */
export function writeCount(writeSet: WriteSet): number {
  let count = 0;
  for (const map of writeSet.maps) count += map.writes.length;
  return count;
}

/**
 * Asserts the canonical order and well-formedness of a write set about to be applied.
 * A write set reaches a follower only through the integrity-checked ledger, so a
 * malformed one is a bug somewhere, not bad input: crash rather than diverge.
 */
export function assertCanonicalWriteSet(writeSet: WriteSet): void {
  assert(Number.isSafeInteger(writeSet.version) && writeSet.version > 0, `write set version ${writeSet.version}`);
  let previousName: string | undefined;
  for (const map of writeSet.maps) {
    assert.equal(mapNameProblem(map.name), undefined, `write set ${writeSet.version} names map ${map.name}`);
    assert(previousName === undefined || previousName < map.name, `write set ${writeSet.version}: maps out of order at ${map.name}`);
    previousName = map.name;
    assert(map.writes.length > 0, `write set ${writeSet.version}: map ${map.name} has no writes`);
    let previousKey: Buffer | undefined;
    for (const write of map.writes) {
      assert(Buffer.isBuffer(write.key) && (write.value === null || Buffer.isBuffer(write.value)), 'write set keys and values are Buffers');
      assert(previousKey === undefined || Buffer.compare(previousKey, write.key) < 0, `write set ${writeSet.version}: keys of ${map.name} out of order or repeated`);
      previousKey = write.key;
    }
  }
}
