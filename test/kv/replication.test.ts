// The follower path and history: applying the primary's write sets anywhere gives the
// same state (and snapshot bytes); rollback restores exactly the earlier state, deletes
// included, so replaying the same write sets gives the original back; compaction forgets
// history without changing the state.
import { AssertionError, strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Store, type StateDump, type WriteSet } from '../../src/kv/index.js';

const MAPS = ['private:p', 'public:a', 'public:b'];

// A history: each transaction writes (map, key) to a value, or deletes it (null).
const historyArbitrary = fc.array(
  fc.array(fc.record({ map: fc.constantFrom(...MAPS), key: fc.nat(6), value: fc.option(fc.nat(3), { freq: 3 }) }), { minLength: 1, maxLength: 5 }),
  { minLength: 1, maxLength: 30 },
);

interface Recorded {
  store: Store;
  writeSets: WriteSet[];
  /** dumps[v]: the state at version v. */
  dumps: StateDump[];
}

function record(history: Array<Array<{ map: string; key: number; value: number | null }>>): Recorded {
  const store = new Store();
  const writeSets: WriteSet[] = [];
  const dumps = [store.dumpState()];
  for (const writes of history) {
    const tx = store.begin();
    for (const { map, key, value } of writes) {
      if (value === null) tx.map(map).delete(key);
      else tx.map(map).set(key, value);
    }
    const result = tx.commit();
    if (result.status !== 'committed') continue;
    writeSets.push(result.writeSet);
    dumps.push(store.dumpState());
  }
  return { store, writeSets, dumps };
}

function commitOne(store: Store, map: string, key: unknown, value: unknown): void {
  const tx = store.begin();
  tx.map(map).set(key, value);
  assert.equal(tx.commit().status, 'committed');
}

describe('apply on a follower', () => {
  test('applying every write set to a fresh store gives an identical state and snapshot', () => {
    fc.assert(fc.property(historyArbitrary, (history) => {
      const { store, writeSets, dumps } = record(history);
      const follower = new Store();
      for (const writeSet of writeSets) {
        follower.apply(writeSet);
        assert.deepEqual(follower.dumpState(), dumps[follower.version]);
      }
      assert.equal(follower.version, store.version);
      assert.deepEqual(follower.serialiseSnapshot(), store.serialiseSnapshot());
      assert.equal(follower.stateDigest(), store.stateDigest());
    }), { numRuns: 150 });
  });

  test('a follower serves transactions like the primary, and can become primary', () => {
    const primary = new Store();
    commitOne(primary, 'public:a', 'k', 1);
    const follower = new Store();
    const tx = primary.begin();
    tx.map('public:a').set('k', 2);
    const result = tx.commit();
    assert(result.status === 'committed');
    follower.apply({ version: 1, maps: [{ name: 'public:a', writes: [{ key: Buffer.from('"k"'), value: Buffer.from('1') }] }] });
    follower.apply(result.writeSet);
    assert.equal(follower.begin().map('public:a').get('k'), 2);
    commitOne(follower, 'public:a', 'k', 3);
    assert.equal(follower.version, 3);
  });

  test('a write set out of sequence or out of canonical order is an assertion failure', () => {
    const store = new Store();
    const write = { key: Buffer.from('"k"'), value: Buffer.from('1') };
    assert.throws(() => store.apply({ version: 2, maps: [] }), AssertionError);
    assert.throws(() => store.apply({ version: 1, maps: [{ name: 'public:b', writes: [write] }, { name: 'public:a', writes: [write] }] }), AssertionError);
    assert.throws(() => store.apply({ version: 1, maps: [{ name: 'public:a', writes: [write, write] }] }), AssertionError);
    assert.throws(() => store.apply({ version: 1, maps: [{ name: 'nonsense', writes: [write] }] }), AssertionError);
    assert.equal(store.version, 0);
  });
});

describe('rollback', () => {
  test('rollback restores the state at that version; replaying the same write sets gives the original', () => {
    fc.assert(fc.property(historyArbitrary, fc.nat(), (history, seed) => {
      const { store, writeSets, dumps } = record(history);
      const original = store.serialiseSnapshot();
      const target = seed % (store.version + 1);
      store.rollback(target);
      assert.equal(store.version, target);
      assert.deepEqual(store.dumpState(), dumps[target]);
      for (const writeSet of writeSets.slice(target)) store.apply(writeSet);
      assert.deepEqual(store.serialiseSnapshot(), original);
    }), { numRuns: 150 });
  });

  test('rollback undoes deletes and overwrites, and reads after it see the older values', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'k', 'first');
    const tx = store.begin();
    tx.map('public:a').delete('k');
    tx.map('public:a').set('new', 1);
    tx.commit();
    commitOne(store, 'public:a', 'new', 2);
    store.rollback(1);
    const reader = store.begin();
    assert.equal(reader.map('public:a').get('k'), 'first');
    assert.deepEqual([...reader.map('public:a').keys()], ['k']);
  });

  test('a transaction whose snapshot was rolled back conflicts, even once the store passes its version again', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'k', 1);
    commitOne(store, 'public:a', 'k', 2);
    const stale = store.begin();
    const staleReadOnly = store.begin();
    assert.equal(stale.map('public:a').get('k'), 2);
    assert.equal(staleReadOnly.map('public:a').get('k'), 2);
    store.rollback(1);
    commitOne(store, 'public:a', 'other', 1);
    commitOne(store, 'public:a', 'other', 2);
    stale.map('public:a').set('j', 1);
    assert.deepEqual(stale.commit(), { status: 'conflict' });
    assert.deepEqual(staleReadOnly.commit(), { status: 'conflict' }, 'even a read-only one: what it read never happened');

    const survivor = store.begin();
    store.rollback(store.version);
    survivor.map('public:a').get('k');
    survivor.map('public:a').set('j', 1);
    assert.equal(survivor.commit().status, 'committed', 'a rollback that undoes nothing is harmless');
  });

  test('a transaction that began at or below the rollback target is unaffected by it', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'k', 1);
    const tx = store.begin();
    commitOne(store, 'public:a', 'k', 2);
    store.rollback(1);
    assert.equal(tx.map('public:a').get('k'), 1);
    tx.map('public:a').set('k', 10);
    assert.equal(tx.commit().status, 'committed');
  });
});

describe('compaction', () => {
  test('compaction keeps the state and what transactions at or above it read', () => {
    fc.assert(fc.property(historyArbitrary, fc.nat(), (history, seed) => {
      const { store, dumps } = record(history);
      const target = seed % (store.version + 1);
      const reader = store.begin();
      store.compact(target);
      assert.equal(store.compactedVersion, target);
      assert.equal(store.rollbackLogLength, store.version - target);
      assert.deepEqual(store.dumpState(), dumps[store.version]);
      for (const map of MAPS) Array.from(reader.map(map).entries());
      assert.equal(reader.commit().status, 'read-only');
      // Rolling back to the compacted version still works.
      store.rollback(target);
      assert.deepEqual(store.dumpState(), dumps[target]);
    }), { numRuns: 100 });
  });

  test('no rollback below the compacted version; transactions reading below it conflict', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'k', 1);
    const old = store.begin();
    const oldReadOnly = store.begin();
    commitOne(store, 'public:a', 'k', 2);
    commitOne(store, 'public:a', 'k', 3);
    store.compact(2);
    assert.throws(() => store.rollback(1), AssertionError);
    assert.throws(() => store.compact(4), AssertionError);
    old.map('public:a').set('blind', 1);
    assert.deepEqual(old.commit(), { status: 'conflict' });
    oldReadOnly.map('public:a').get('k');
    assert.deepEqual(oldReadOnly.commit(), { status: 'conflict' });
    store.compact(1);
    assert.equal(store.compactedVersion, 2, 'compacting to an older version is a no-op');
  });

  test('deleted keys vanish for good once compacted, and the snapshot does not change', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'k', 1);
    const tx = store.begin();
    tx.map('public:a').delete('k');
    tx.commit();
    const before = store.serialiseSnapshot();
    store.compact(store.version);
    assert.deepEqual(store.serialiseSnapshot(), before);
    assert.equal(store.begin().map('public:a').size, 0);
  });
});
