// Transactions as app handlers use them: snapshot reads, own writes, the conflict rule
// (reads and iterations conflict, blind writes and read-only transactions do not), the
// canonical write set, reserved maps, and closed transactions.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { KvError, Store, jsonCodec, rawCodec, stringCodec, u64Codec } from '../../src/kv/index.js';

function commitOne(store: Store, map: string, key: unknown, value: unknown): number {
  const tx = store.begin();
  tx.map(map).set(key, value);
  const result = tx.commit();
  assert.equal(result.status, 'committed');
  return result.version;
}

function kvCode(code: string) {
  return (error: unknown) => error instanceof KvError && error.code === code;
}

describe('Transaction', () => {
  test('commits take versions 1, 2, 3 ... and later transactions read them', () => {
    const store = new Store();
    assert.equal(store.version, 0);
    assert.equal(commitOne(store, 'public:a', 'k', 1), 1);
    assert.equal(commitOne(store, 'public:a', 'k', 2), 2);
    assert.equal(store.version, 2);
    const tx = store.begin();
    assert.equal(tx.readVersion, 2);
    assert.equal(tx.map('public:a').get('k'), 2);
  });

  test('reads see a snapshot: commits after begin are invisible', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'k', 'old');
    const reader = store.begin();
    commitOne(store, 'public:a', 'k', 'new');
    commitOne(store, 'public:a', 'other', 'x');
    const map = reader.map('public:a');
    assert.equal(map.get('k'), 'old');
    assert.equal(map.has('other'), false);
    assert.deepEqual([...map.entries()], [['k', 'old']]);
    assert.equal(map.size, 1);
  });

  test('reads see the transaction\'s own writes and deletes', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'gone', 1);
    const tx = store.begin();
    const map = tx.map('public:a');
    map.set('k', { n: 1 });
    assert.deepEqual(map.get('k'), { n: 1 });
    assert.equal(map.delete('gone'), true);
    assert.equal(map.get('gone'), undefined);
    assert.equal(map.has('gone'), false);
    // The same map opened again, with other codecs, is the same map: codecs only translate.
    assert.equal(tx.map('public:a', rawCodec, stringCodec).get(Buffer.from('"k"')), '{"n":1}');
  });

  test('a read-only transaction reports its read version and never conflicts', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'k', 1);
    const tx = store.begin();
    tx.map('public:a').get('k');
    Array.from(tx.map('public:a').entries());
    commitOne(store, 'public:a', 'k', 2);
    assert.deepEqual(tx.commit(), { status: 'read-only', version: 1 });
  });

  test('blind writes never conflict, even on the same key', () => {
    const store = new Store();
    const first = store.begin();
    const second = store.begin();
    first.map('public:a').set('k', 1);
    second.map('public:a').set('k', 2);
    assert.equal(first.commit().status, 'committed');
    assert.equal(second.commit().status, 'committed');
    assert.equal(store.begin().map('public:a').get('k'), 2);
  });

  test('a read of a key written since begin conflicts, including a read that found nothing', () => {
    for (const existed of [true, false]) {
      const store = new Store();
      if (existed) commitOne(store, 'public:a', 'k', 0);
      const tx = store.begin();
      const before = tx.map('public:a').get('k');
      assert.equal(before, existed ? 0 : undefined);
      tx.map('public:a').set('k2', 'derived');
      commitOne(store, 'public:a', 'k', 1);
      assert.deepEqual(tx.commit(), { status: 'conflict' });
      assert.equal(tx.status, 'conflicted');
      assert.throws(() => tx.map('public:a'), kvCode('TransactionClosed'));
      assert.equal(store.begin().map('public:a').get('k2'), undefined, 'a conflicting transaction writes nothing');
    }
  });

  test('writes to other keys or maps since begin do not conflict with reads', () => {
    const store = new Store();
    const tx = store.begin();
    tx.map('public:a').get('k');
    tx.map('public:a').set('k', 1);
    commitOne(store, 'public:a', 'other', 1);
    commitOne(store, 'public:b', 'k', 1);
    assert.equal(tx.commit().status, 'committed');
  });

  test('iterating or sizing a map conflicts with any write to it since begin', () => {
    for (const use of ['entries', 'keys', 'values', 'forEach', 'size'] as const) {
      const store = new Store();
      commitOne(store, 'public:a', 'x', 1);
      const tx = store.begin();
      const map = tx.map('public:a');
      if (use === 'size') assert.equal(map.size, 1);
      else if (use === 'forEach') map.forEach(() => undefined);
      else Array.from(map[use]());
      tx.map('public:b').set('count', 1);
      commitOne(store, 'public:a', 'new-key', 2);
      assert.equal(tx.commit().status, 'conflict', use);
    }
  });

  test('delete reads the key: it conflicts with a concurrent write and writes nothing for an absent key', () => {
    const store = new Store();
    const tx = store.begin();
    assert.equal(tx.map('public:a').delete('k'), false);
    assert.equal(tx.commit().status, 'read-only', 'deleting an absent key writes nothing');

    commitOne(store, 'public:a', 'k', 1);
    const deleter = store.begin();
    assert.equal(deleter.map('public:a').delete('k'), true);
    commitOne(store, 'public:a', 'k', 2);
    assert.equal(deleter.commit().status, 'conflict');

    const again = store.begin();
    assert.equal(again.map('public:a').delete('k'), true);
    const result = again.commit();
    assert(result.status === 'committed');
    assert.deepEqual(result.writeSet.maps, [{ name: 'public:a', writes: [{ key: Buffer.from('"k"'), value: null }] }]);
  });

  test('a key set then deleted in one transaction is written as a delete', () => {
    const store = new Store();
    commitOne(store, 'public:a', 'k', 1);
    const tx = store.begin();
    tx.map('public:a').set('k', 2);
    assert.equal(tx.map('public:a').delete('k'), true);
    const result = tx.commit();
    assert(result.status === 'committed');
    assert.deepEqual(result.writeSet.maps[0]?.writes, [{ key: Buffer.from('"k"'), value: null }]);
    assert.equal(store.begin().map('public:a').has('k'), false);
  });

  test('the write set is canonical: maps by name, keys by bytes, last write wins', () => {
    const store = new Store();
    const tx = store.begin();
    tx.map('public:z').set('b', 1).set('a', 1).set('b', 2);
    tx.map('private:m').set('k', true);
    tx.map('public:empty').get('nothing');
    const result = tx.commit();
    assert(result.status === 'committed');
    assert.deepEqual(result.writeSet, {
      version: 1,
      maps: [
        { name: 'private:m', writes: [{ key: Buffer.from('"k"'), value: Buffer.from('true') }] },
        { name: 'public:z', writes: [{ key: Buffer.from('"a"'), value: Buffer.from('1') }, { key: Buffer.from('"b"'), value: Buffer.from('2') }] },
      ],
    });
  });

  test('iteration merges the snapshot with own writes in key byte order', () => {
    const store = new Store();
    const setup = store.begin();
    for (const key of [1, 3, 5, 7]) setup.map('public:n', u64Codec, jsonCodec).set(key, `v${key}`);
    setup.commit();
    const tx = store.begin();
    const map = tx.map<number, string>('public:n', u64Codec, stringCodec as never);
    const typed = tx.map<number, unknown>('public:n', u64Codec, jsonCodec);
    typed.set(4, 'new');
    typed.set(3, 'changed');
    typed.delete(5);
    typed.set(1000, 'big');
    assert.deepEqual([...typed.keys()], [1, 3, 4, 7, 1000]);
    assert.deepEqual([...typed.values()], ['v1', 'changed', 'new', 'v7', 'big']);
    assert.equal(map.size, 5);
    // Writes made during an iteration do not disturb it.
    const seen: number[] = [];
    for (const [key] of typed) {
      seen.push(key);
      typed.set(key + 1, 'during');
    }
    assert.deepEqual(seen, [1, 3, 4, 7, 1000]);
  });

  test('after commit or abort every use throws TransactionClosed', () => {
    const store = new Store();
    for (const end of ['commit', 'abort'] as const) {
      const tx = store.begin();
      const map = tx.map('public:a');
      map.set('k', 1);
      const iterator = map.entries();
      iterator.next();
      tx[end]();
      assert.equal(tx.status, end === 'commit' ? 'committed' : 'aborted');
      for (const use of [
        () => tx.commit(),
        () => tx.abort(),
        () => tx.map('public:a'),
        () => map.get('k'),
        () => map.has('k'),
        () => map.set('k', 2),
        () => map.delete('k'),
        () => map.size,
        () => [...map.entries()],
        () => iterator.next(),
      ]) {
        assert.throws(use, kvCode('TransactionClosed'));
      }
    }
    assert.equal(store.version, 1, 'the aborted transaction wrote nothing');
  });

  test('reserved maps: readable by all, writable only with privilege', () => {
    const store = new Store();
    const gov = store.begin({ privileged: true });
    gov.map('public:coco.gov.members').set('m0', { cert: 'x' });
    gov.map('public:coco.internal.nodes').set('n0', {});
    assert.equal(gov.commit().status, 'committed');

    const app = store.begin();
    assert.deepEqual(app.map('public:coco.gov.members').get('m0'), { cert: 'x' });
    for (const name of ['public:coco.gov.members', 'public:coco.internal.nodes', 'public:coco.gov', 'private:coco.internal.secrets']) {
      assert.throws(() => app.map(name).set('m1', {}), kvCode('ReservedMap'), name);
      assert.throws(() => app.map(name).delete('m0'), kvCode('ReservedMap'), name);
    }
    app.map('public:coco.governance-like-but-not').set('k', 1);
    app.map('public:app.coco.gov.x').set('k', 1);
    assert.equal(app.commit().status, 'committed');
  });

  test('invalid map names are refused with InvalidMapName', () => {
    const tx = new Store().begin();
    for (const name of ['', 'app', 'Public:x', 'public:', 'private:', 'public:has space', 'public:ünïcode', 'public:\n', `public:${'x'.repeat(300)}`]) {
      assert.throws(() => tx.map(name), kvCode('InvalidMapName'), JSON.stringify(name));
    }
    assert.doesNotThrow(() => tx.map('private:app.records/2024-v1'));
  });

  test('bad keys and values are refused with InvalidKey / InvalidValue and change nothing', () => {
    const store = new Store();
    const tx = store.begin();
    const map = tx.map('public:a');
    assert.throws(() => map.set(undefined, 1), kvCode('InvalidKey'));
    assert.throws(() => map.get(() => 1), kvCode('InvalidKey'));
    assert.throws(() => map.set('k', undefined), kvCode('InvalidValue'));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => map.set('k', cyclic), kvCode('InvalidValue'));
    assert.throws(() => map.set('k', 10n), kvCode('InvalidValue'));
    assert.throws(() => map.set('x'.repeat(70_000), 1), kvCode('InvalidKey'));
    assert.equal(tx.commit().status, 'read-only');
  });
});
