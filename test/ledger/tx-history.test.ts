// The history shared by primary and followers: a follower replaying the primary's
// entries reaches the same Merkle root and the same store, and refuses entries that do
// not follow, do not decrypt, or carry a signature over a different history.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Store } from '../../src/kv/store.js';
import { entryWriteSet } from '../../src/ledger/entry.js';
import { EntryFormatError } from '../../src/ledger/entry-format-error.js';
import { LedgerSecret } from '../../src/ledger/ledger-secret.js';
import { TxHistory } from '../../src/ledger/tx-history.js';
import { makePrimary } from './primary-fixture.js';

describe('transaction history', () => {
  it('a follower replaying the entries reaches the primary\'s root and store state', async () => {
    const primary = await makePrimary({ signatureIntervalTx: 7 });
    for (let i = 0; i < 40; i++) primary.write(i % 9, `value ${i}`);
    primary.writer.sign(1);
    const follower = new TxHistory(primary.secret);
    const followerStore = new Store();
    for (let seqno = 1; seqno <= primary.history.lastSeqno; seqno++) {
      followerStore.apply(entryWriteSet(follower.recordEntry(primary.entry(seqno))));
    }
    assert.deepEqual(follower.tree.root(), primary.history.tree.root());
    assert.equal(followerStore.stateDigest(), primary.store.stateDigest());
    assert.equal(followerStore.version, 46, '40 transactions, a signature after every 7, and a last one');
  });

  it('refuses an entry that skips a seqno', async () => {
    const primary = await makePrimary();
    primary.write(1, 'a');
    primary.write(2, 'b');
    const follower = new TxHistory(primary.secret);
    assert.throws(() => follower.recordEntry(primary.entry(2)), EntryFormatError);
    assert.equal(follower.lastSeqno, 0, 'nothing recorded');
  });

  it('refuses a signature over a history the follower does not have', async () => {
    const primary = await makePrimary();
    // A rival primary of a later view, holding the same ledger secret (its own key object).
    const rival = await makePrimary({ secret: new LedgerSecret(primary.secret.bytes), view: 2 });
    primary.write(1, 'a');
    rival.write(1, 'something else');
    primary.write(2, 'b');
    rival.write(2, 'b');
    primary.writer.sign(1);
    rival.writer.sign(2);
    const follower = new TxHistory(primary.secret);
    follower.recordEntry(primary.entry(1));
    follower.recordEntry(rival.entry(2));
    assert.throws(() => follower.recordEntry(rival.entry(3)), /signs a root that differs/);
    assert.equal(follower.lastSeqno, 2, 'the bad signature was not recorded');
  });

  it('refuses entries sealed under another ledger secret', async () => {
    const primary = await makePrimary();
    primary.write(1, 'secret value');
    const stranger = new TxHistory(new LedgerSecret(randomBytes(32)));
    assert.throws(() => stranger.recordEntry(primary.entry(1)), { name: 'DecryptionError' });
  });

  it('rolls back to a seqno and continues with a different suffix that followers accept', async () => {
    const primary = await makePrimary();
    for (let i = 0; i < 10; i++) primary.write(i, `v${i}`);
    const rootAt6 = primary.history.tree.rootAt(6);
    primary.ledger.flush();
    primary.history.truncate(6);
    primary.store.rollback(6);
    primary.ledger.truncate(6);
    assert.deepEqual(primary.history.tree.root(), rootAt6);
    for (let i = 0; i < 3; i++) primary.write(100 + i, `new ${i}`, 2);
    primary.writer.sign(2);
    const follower = new TxHistory(primary.secret);
    const followerStore = new Store();
    for (let seqno = 1; seqno <= 10; seqno++) followerStore.apply(entryWriteSet(follower.recordEntry(primary.entry(seqno))));
    assert.deepEqual(follower.tree.root(), primary.history.tree.root());
    assert.equal(followerStore.stateDigest(), primary.store.stateDigest());
  });
});
