// Snapshots: a store rebuilt from one has the same state, version and bytes; equal
// states give equal bytes whatever history led to them; malformed input is refused with
// InvalidSnapshot, never a crash or a half-built store.
import { AssertionError, strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Encoder } from 'cbor-x';
import { KvError, Store } from '../../src/kv/index.js';

const encoder = new Encoder({ useRecords: false, tagUint8Array: false, pack: false, structuredClone: false });
const invalidSnapshot = (error: unknown) => error instanceof KvError && error.code === 'InvalidSnapshot';

const writesArbitrary = fc.array(
  fc.record({ map: fc.constantFrom('private:p', 'public:a', 'public:coco.gov.x'), key: fc.oneof(fc.nat(20), fc.string({ maxLength: 4 })), value: fc.option(fc.jsonValue({ maxDepth: 2 }), { freq: 4 }) }),
  { maxLength: 60 },
);

function build(writes: Array<{ map: string; key: unknown; value: unknown }>): Store {
  const store = new Store();
  for (const { map, key, value } of writes) {
    const tx = store.begin({ privileged: true });
    if (value === null) tx.map(map).delete(key);
    else tx.map(map).set(key, value);
    tx.commit();
  }
  return store;
}

describe('snapshots', () => {
  test('round trip: same version, state and bytes; compacted at its version', () => {
    fc.assert(fc.property(writesArbitrary, fc.nat(), (writes, seed) => {
      const store = build(writes);
      store.compact(seed % (store.version + 1));
      const bytes = store.serialiseSnapshot();
      const copy = Store.fromSnapshot(bytes);
      assert.equal(copy.version, store.version);
      assert.equal(copy.compactedVersion, store.version);
      assert.deepEqual(copy.dumpState(), store.dumpState());
      assert.deepEqual(copy.serialiseSnapshot(), bytes);
    }), { numRuns: 150 });
  });

  test('the bytes are plain CBOR, exactly as a general encoder writes them', () => {
    fc.assert(fc.property(writesArbitrary, fc.nat(), (writes, version) => {
      const store = build(writes);
      const state = store.dumpState();
      const structure = ['coco.kv.snapshot', 1, store.version, state.maps.map(({ name, entries }) => [name, entries.flatMap(([key, value]) => [Buffer.from(key, 'hex'), Buffer.from(value, 'hex')])])];
      assert.deepEqual(store.serialiseSnapshot(), Buffer.from(encoder.encode(structure)));
      // Heads of every width up to 32 bits, for the version at least.
      const empty = Buffer.from(encoder.encode(['coco.kv.snapshot', 1, version % 2 ** 32, []]));
      assert.deepEqual(Store.fromSnapshot(empty).serialiseSnapshot(), empty);
    }), { numRuns: 100 });
    const wide = new Store();
    const tx = wide.begin();
    for (let index = 0; index < 300; index += 1) tx.map('public:wide').set(index, 'x'.repeat(index * 100));
    tx.commit();
    const structure = ['coco.kv.snapshot', 1, 1, [['public:wide', wide.dumpState().maps[0]!.entries.flatMap(([key, value]) => [Buffer.from(key, 'hex'), Buffer.from(value, 'hex')])]]];
    assert.deepEqual(wide.serialiseSnapshot(), Buffer.from(encoder.encode(structure)));
  });

  test('versions past 2^32 use a 64-bit head (a busy service gets there in days)', () => {
    const version = 2 ** 40 + 3;
    const head = Buffer.alloc(9);
    head[0] = 0x1b;
    head.writeUInt32BE(2 ** 8, 1);
    head.writeUInt32BE(3, 5);
    // [magic, 1] re-headed as a 4-element array, then the version and no maps.
    const prefix = Buffer.from(encoder.encode(['coco.kv.snapshot', 1])).subarray(1);
    const snapshot = Buffer.concat([Buffer.from([0x84]), prefix, head, Buffer.from([0x80])]);
    const store = Store.fromSnapshot(snapshot);
    assert.equal(store.version, version);
    assert.deepEqual(store.serialiseSnapshot(), snapshot);
    // The same number as a float (what cbor-x writes for it) is not canonical.
    assert.throws(() => Store.fromSnapshot(encoder.encode(['coco.kv.snapshot', 1, version, []])), invalidSnapshot);
  });

  test('a store from a snapshot carries on like the original', () => {
    const store = build([{ map: 'public:a', key: 1, value: 'one' }, { map: 'public:a', key: 2, value: 'two' }]);
    const copy = Store.fromSnapshot(store.serialiseSnapshot());
    for (const target of [store, copy]) {
      const tx = target.begin();
      assert.deepEqual([...tx.map('public:a').entries()], [[1, 'one'], [2, 'two']]);
      tx.map('public:a').set(3, 'three');
      assert.equal(tx.commit().status, 'committed');
    }
    assert.deepEqual(copy.serialiseSnapshot(), store.serialiseSnapshot());
    assert.throws(() => copy.rollback(1), AssertionError, 'no history below the snapshot');
  });

  test('equal states give identical bytes whatever the history', () => {
    const direct = build([{ map: 'public:a', key: 'k', value: 1 }, { map: 'public:b', key: 'x', value: 2 }]);
    const winding = build([{ map: 'public:b', key: 'x', value: 2 }, { map: 'public:a', key: 'k', value: 1 }]);
    assert.deepEqual(winding.serialiseSnapshot(), direct.serialiseSnapshot());
    assert.equal(winding.stateDigest(), direct.stateDigest());
    const deleted = build([{ map: 'public:a', key: 'k', value: 1 }, { map: 'public:c', key: 'gone', value: 1 }, { map: 'public:c', key: 'gone', value: null }]);
    const other = build([{ map: 'public:a', key: 'k', value: 0 }, { map: 'public:a', key: 'k', value: 1 }, { map: 'public:a', key: 'k', value: 1 }]);
    assert.deepEqual(deleted.serialiseSnapshot(), other.serialiseSnapshot(), 'deleted keys and empty maps leave no trace');
  });

  test('malformed snapshots are refused with InvalidSnapshot', () => {
    const good = build([{ map: 'public:a', key: 1, value: 'one' }]).serialiseSnapshot();
    const k = (text: string) => Buffer.from(text);
    const bad: Uint8Array[] = [
      Buffer.alloc(0),
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from([0])]),
      encoder.encode(['coco.kv.snapshot', 1, 1]),
      encoder.encode(['not.a.snapshot', 1, 1, []]),
      encoder.encode(['coco.kv.snapshot', 2, 1, []]),
      encoder.encode(['coco.kv.snapshot', 1, -1, []]),
      encoder.encode(['coco.kv.snapshot', 1, 1.5, []]),
      encoder.encode(['coco.kv.snapshot', 1, 0, [['public:a', [k('1'), k('2')]]]]),
      encoder.encode(['coco.kv.snapshot', 1, 1, [['bad name', [k('1'), k('2')]]]]),
      encoder.encode(['coco.kv.snapshot', 1, 1, [['public:b', [k('1'), k('2')]], ['public:a', [k('1'), k('2')]]]]),
      encoder.encode(['coco.kv.snapshot', 1, 1, [['public:a', []]]]),
      encoder.encode(['coco.kv.snapshot', 1, 1, [['public:a', [k('1')]]]]),
      encoder.encode(['coco.kv.snapshot', 1, 1, [['public:a', [k('2'), k('x'), k('1'), k('y')]]]]),
      encoder.encode(['coco.kv.snapshot', 1, 1, [['public:a', [k('1'), k('x'), k('1'), k('y')]]]]),
      encoder.encode(['coco.kv.snapshot', 1, 1, [['public:a', ['1', k('x')]]]]),
      encoder.encode(['coco.kv.snapshot', 1, 1, [['public:a', [k('1'), 7]]]]),
      encoder.encode({ magic: 'coco.kv.snapshot' }),
      Buffer.from('9f70636f636f2e6b762e736e617073686f74010080ff', 'hex'), // indefinite-length array
      Buffer.from('8470636f636f2e6b762e736e617073686f7418010080', 'hex'), // non-minimal head for 1
    ];
    for (const bytes of bad) assert.throws(() => Store.fromSnapshot(bytes), invalidSnapshot, Buffer.from(bytes).toString('hex'));
    assert.throws(() => Store.fromSnapshot('text' as never), invalidSnapshot);
  });

  test('random bytes and corrupted snapshots never get past InvalidSnapshot', () => {
    const good = build([{ map: 'public:a', key: 1, value: 'one' }, { map: 'private:p', key: 'x', value: [1, 2] }]).serialiseSnapshot();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(good.length - 1), fc.nat(255), (noise, at, byte) => {
      for (const bytes of [noise, Buffer.concat([good.subarray(0, at), Buffer.from([byte]), good.subarray(at + 1)])]) {
        try {
          const store = Store.fromSnapshot(bytes);
          // Anything accepted must be canonical.
          assert.deepEqual(store.serialiseSnapshot(), Buffer.from(bytes));
        } catch (error) {
          if (!invalidSnapshot(error)) throw error;
        }
      }
    }), { numRuns: 500 });
  });
});
