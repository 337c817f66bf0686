// The KV as governance code sees it: only public:coco.gov.* maps, writes only from apply
// and never to the framework maps, apply's writes held apart until flushed (so a failed
// apply leaves nothing), reads that see those writes, and iteration in the store's order.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { PROPOSALS_MAP, SandboxHostError, USER_INFO_MAP, applyWritesMax } from '../../src/gov/index.js';
import { SandboxKv } from '../../src/gov/sandbox-kv.js';
import { Store } from '../../src/kv/index.js';
import { privileged, read } from './governance-fixture.js';

function seeded(): Store {
  const store = new Store();
  privileged(store, (tx) => {
    for (const key of ['b', 'd', 'f']) tx.map(USER_INFO_MAP).set(key, { key });
  });
  return store;
}

describe('SandboxKv', () => {
  test('apply\'s writes are seen by its reads and iteration, and reach the store only when flushed', () => {
    const store = seeded();
    privileged(store, (tx) => {
      const kv = new SandboxKv(tx, 'write');
      kv.set(USER_INFO_MAP, 'a', { key: 'a' });
      kv.set(USER_INFO_MAP, 'd', { key: 'd2' });
      assert.equal(kv.delete(USER_INFO_MAP, 'f'), true);
      assert.equal(kv.delete(USER_INFO_MAP, 'zz'), false);
      assert.deepEqual(kv.get(USER_INFO_MAP, 'd'), { key: 'd2' });
      assert.equal(kv.has(USER_INFO_MAP, 'f'), false);
      assert.deepEqual(kv.keys(USER_INFO_MAP), ['a', 'b', 'd']);
      assert.deepEqual(kv.entries(USER_INFO_MAP), [['a', { key: 'a' }], ['b', { key: 'b' }], ['d', { key: 'd2' }]]);
      assert.deepEqual([...tx.map(USER_INFO_MAP).keys()], ['b', 'd', 'f'], 'nothing reached the transaction yet');
      assert.deepEqual(kv.writtenMaps(), [USER_INFO_MAP]);
      kv.flush();
    });
    assert.deepEqual(read(store, (tx) => [...tx.map(USER_INFO_MAP).entries()]), [['a', { key: 'a' }], ['b', { key: 'b' }], ['d', { key: 'd2' }]]);
  });

  test('iterates in the store\'s key byte order, numbers and strings alike', () => {
    const store = new Store();
    privileged(store, (tx) => {
      const kv = new SandboxKv(tx, 'write');
      for (const key of [10, 9, 'x', 0]) kv.set(USER_INFO_MAP, key, key);
      const order = kv.keys(USER_INFO_MAP);
      kv.flush();
      assert.deepEqual(order, [...tx.map(USER_INFO_MAP).keys()]);
    });
  });

  test('refuses maps outside public:coco.gov.*, writes when reading, and the framework maps', () => {
    const store = seeded();
    const refusal = (body: () => unknown, message: RegExp): void => assert.throws(body, (error: unknown) => error instanceof SandboxHostError && message.test(error.message));
    privileged(store, (tx) => {
      const reader = new SandboxKv(tx, 'read');
      refusal(() => reader.get('public:app.table', 'k'), /only the public:coco\.gov\.\* maps/);
      refusal(() => reader.get('private:coco.gov.secret', 'k'), /only the public:coco\.gov\.\* maps/);
      refusal(() => reader.get(42, 'k'), /a map name must be a string/);
      refusal(() => reader.set(USER_INFO_MAP, 'k', 1), /may only be written by apply\(\)/);
      assert.equal(reader.get(PROPOSALS_MAP, 'none'), undefined, 'the framework maps are readable');
      const writer = new SandboxKv(tx, 'write');
      refusal(() => writer.set(PROPOSALS_MAP, 'k', 'forged'), /kept by the governance framework/);
      refusal(() => writer.get(USER_INFO_MAP, { object: true }), /a governance map key is a string/);
      refusal(() => writer.get(USER_INFO_MAP, -1), /non-negative integer/);
    });
  });

  test('an apply may write at most applyWritesMax keys', () => {
    const store = new Store();
    privileged(store, (tx) => {
      const kv = new SandboxKv(tx, 'write');
      for (let index = 0; index < applyWritesMax; index += 1) kv.set(USER_INFO_MAP, index, 0);
      assert.throws(() => kv.set(USER_INFO_MAP, 'one more', 0), /at most 10000 keys/);
    });
  });

  test('a writing bridge needs a privileged transaction', () => {
    const tx = new Store().begin();
    assert.throws(() => new SandboxKv(tx, 'write'), /must be privileged/);
    tx.abort();
  });
});
