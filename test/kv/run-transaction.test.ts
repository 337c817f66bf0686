// runTransaction as the RPC layer uses it for every request: re-run on conflict up to a
// limit, then a clear error; a handler that throws writes nothing and its error reaches
// the caller unchanged.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { KvError, Store, runTransaction, runTransactionSync, type Transaction } from '../../src/kv/index.js';
import { transactionAttemptsMax } from '../../src/limits.js';

function bump(store: Store, key: string): void {
  const tx = store.begin();
  const map = tx.map<string, number>('public:counters');
  map.set(key, (map.get(key) ?? 0) + 1);
  assert.equal(tx.commit().status, 'committed');
}

describe('runTransaction', () => {
  test('re-runs the body after a conflict and returns its result and commit', async () => {
    const store = new Store();
    let attempts = 0;
    const outcome = await runTransaction(store, async (tx) => {
      attempts += 1;
      const map = tx.map<string, number>('public:counters');
      const value = (map.get('c') ?? 0) + 1;
      await Promise.resolve();
      if (attempts === 1) bump(store, 'c'); // a concurrent request commits in between
      map.set('c', value);
      return value;
    });
    assert.equal(attempts, 2);
    assert.equal(outcome.result, 2);
    assert.equal(outcome.commit.status, 'committed');
    assert.equal(store.begin().map('public:counters').get('c'), 2);
  });

  test('a read-only body returns a read-only commit', async () => {
    const store = new Store();
    const outcome = await runTransaction(store, (tx) => tx.map('public:a').get('k') ?? 'none');
    assert.deepEqual(outcome, { result: 'none', commit: { status: 'read-only', version: 0 } });
  });

  test('gives up with ConflictRetriesExhausted after attemptsMax conflicting attempts', async () => {
    const store = new Store();
    let attempts = 0;
    const body = (tx: Transaction) => {
      attempts += 1;
      tx.map('public:counters').get('c');
      tx.map('public:counters').set('d', 1);
      bump(store, 'c');
    };
    await assert.rejects(runTransaction(store, body), (error: unknown) => error instanceof KvError && error.code === 'ConflictRetriesExhausted');
    assert.equal(attempts, transactionAttemptsMax);
    attempts = 0;
    assert.throws(() => runTransactionSync(store, body, { attemptsMax: 3 }), (error: unknown) => error instanceof KvError && error.code === 'ConflictRetriesExhausted');
    assert.equal(attempts, 3);
    assert.equal(store.begin().map('public:counters').get('d'), undefined);
  });

  test('a body that throws writes nothing, aborts, and its error is rethrown unchanged', async () => {
    const store = new Store();
    const failure = new Error('handler failed');
    let seen: Transaction | undefined;
    await assert.rejects(runTransaction(store, (tx) => {
      seen = tx;
      tx.map('public:a').set('k', 1);
      throw failure;
    }), (error) => error === failure);
    assert.equal(seen?.status, 'aborted');
    assert.throws(() => runTransactionSync(store, (tx) => {
      tx.map('public:a').set('k', 1);
      throw failure;
    }), (error) => error === failure);
    assert.equal(store.version, 0);
  });

  test('privileged runs may write reserved maps; others get ReservedMap', async () => {
    const store = new Store();
    await runTransaction(store, (tx) => { tx.map('public:coco.gov.x').set('k', 1); }, { privileged: true });
    await assert.rejects(runTransaction(store, (tx) => { tx.map('public:coco.gov.x').set('k', 2); }), (error: unknown) => error instanceof KvError && error.code === 'ReservedMap');
    assert.equal(store.begin().map('public:coco.gov.x').get('k'), 1);
  });
});
