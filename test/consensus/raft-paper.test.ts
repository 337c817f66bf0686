// Raft as the paper specifies it, one test per rule, named by section (after etcd's
// raft_paper_test.go), plus CCF's variants: commit only at signatures, and elections
// compare the last *signed* TxId.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RaftNode } from '../../src/consensus/raft-node.js';
import type { AppendEntriesResponse, Message, RequestVoteResponse } from '../../src/consensus/messages.js';
import { appendEntriesEntriesMax } from '../../src/limits.js';
import { Cluster, entry, persistedLog } from './cluster.js';

const three = ['n0', 'n1', 'n2'];

function backupWith(log: ReturnType<typeof entry>[], view: number): RaftNode {
  return new RaftNode({ id: 'n1', initialConfiguration: three, electionTimeoutTicks: 10, heartbeatTicks: 2, random: () => 0.5, persisted: persistedLog(view, log) });
}

function reply<T extends Message>(node: RaftNode, message: Message): T {
  node.step(message);
  const ready = node.ready();
  node.advance();
  const [first] = ready.messages;
  assert(first !== undefined, 'expected a reply');
  return first.message as T;
}

describe('Raft §5.2 leader election', () => {
  test('§5.2 a single candidate that times out wins and the others follow it', () => {
    const cluster = new Cluster(three);
    cluster.tick('n0', 14);
    assert.equal(cluster.node('n0').role, 'backup', 'timeouts are at least T = 10, here 15');
    cluster.tick('n0');
    assert.equal(cluster.node('n0').role, 'pre-candidate');
    assert.equal(cluster.node('n0').view, 0, 'a pre-vote does not raise the view');
    cluster.deliverAll();
    assert.equal(cluster.node('n0').role, 'primary');
    for (const id of three) {
      assert.equal(cluster.node(id).view, 1);
      assert.equal(cluster.node(id).primaryId, 'n0');
    }
    assert.equal(cluster.node('n1').votedFor, 'n0');
  });

  test('§5.2 randomized election timeouts lie in [T, 2T)', () => {
    for (const draw of [0, 0.5, 0.999]) {
      const cluster = new Cluster(['n0', 'n1'], { n0: { random: () => draw } });
      const expected = 10 + Math.floor(draw * 10);
      cluster.tick('n0', expected - 1);
      assert.equal(cluster.node('n0').role, 'backup');
      cluster.tick('n0');
      assert.equal(cluster.node('n0').role, 'pre-candidate');
    }
  });

  test('§5.2 a split vote elects nobody and a later timeout retries in a higher view', () => {
    const ids = ['n0', 'n1', 'n2', 'n3'];
    const cluster = new Cluster(ids);
    cluster.tick('n0', 15);
    cluster.tick('n1', 15);
    // Pre-votes are granted all round (they bind nobody), so both become candidates...
    cluster.deliverAll(({ message }) => message.type !== 'request-vote' || message.preVote);
    assert.equal(cluster.node('n0').role, 'candidate');
    assert.equal(cluster.node('n1').role, 'candidate');
    // ...n2 hears n0 first and n3 hears n1 first: two votes each, no majority of four.
    cluster.queue.sort((a, b) => {
      const rank = ({ to, message }: typeof a) => (to === 'n2' && message.from === 'n0') || (to === 'n3' && message.from === 'n1') ? 0 : 1;
      return rank(a) - rank(b);
    });
    cluster.deliverAll();
    assert.deepEqual(ids.map((id) => cluster.node(id).role === 'primary'), [false, false, false, false]);
    cluster.tick('n0', 20);
    cluster.deliverAll();
    assert.equal(cluster.node('n0').role, 'primary');
    assert.equal(cluster.node('n0').view, 2);
  });

  test('§5.2 at most one vote per view, repeatable to the same candidate', () => {
    const voter = backupWith([], 0);
    const ask = (from: string): boolean =>
      reply<RequestVoteResponse>(voter, { type: 'request-vote', from, view: 1, preVote: false, lastSignedTxId: { view: 0, seqno: 0 } }).granted;
    assert.equal(ask('n0'), true);
    assert.equal(ask('n2'), false);
    assert.equal(ask('n0'), true);
    assert.deepEqual(voter.hardState, { view: 1, votedFor: 'n0' });
  });

  test('thesis §9.6 PreVote: a partitioned node does not raise its view, and rejoins without disruption', () => {
    const cluster = new Cluster(three);
    cluster.elect('n0');
    cluster.isolated.add('n2');
    for (let round = 0; round < 10; round++) {
      cluster.tick('n2', 20);
      cluster.deliverAll();
    }
    assert.equal(cluster.node('n2').view, 1);
    assert.equal(cluster.node('n2').role, 'pre-candidate');
    cluster.isolated.delete('n2');
    cluster.tick('n0', 2);
    cluster.deliverAll();
    assert.equal(cluster.node('n2').role, 'backup');
    assert.equal(cluster.node('n0').role, 'primary');
    assert.equal(cluster.node('n0').view, 1);
  });

  test('thesis §6.2 CheckQuorum: a primary that hears from no majority for an election timeout steps down', () => {
    const cluster = new Cluster(three);
    cluster.elect('n0');
    cluster.isolated.add('n0');
    cluster.tick('n0', 10);
    cluster.deliverAll();
    assert.equal(cluster.node('n0').role, 'primary', 'the first check finds the backups heard from at election');
    cluster.tick('n0', 10);
    assert.equal(cluster.node('n0').role, 'backup');
    assert.equal(cluster.node('n0').view, 1);
  });
});

describe('Raft §5.3 log replication', () => {
  test('§5.3 entries reach every backup, and backups commit what the primary committed', () => {
    const cluster = new Cluster(three);
    cluster.elect('n0');
    cluster.propose('n0', false, 'a');
    cluster.propose('n0', true, 'sig');
    cluster.deliverAll();
    assert.equal(cluster.node('n0').commitSeqno, 2);
    cluster.tick('n0', 2);
    cluster.deliverAll();
    for (const id of three) {
      assert.deepEqual(cluster.node(id).entriesFrom(1).map((e) => `${e.view}.${e.seqno}`), ['1.1', '1.2']);
      assert.equal(cluster.node(id).commitSeqno, 2);
    }
    const committed = (cluster.readies.get('n1') ?? []).flatMap((ready) => ready.committed.map((e) => e.seqno));
    assert.deepEqual(committed, [1, 2]);
  });

  test('§5.3 a backup refuses an append whose prevTxId it lacks, with a back-off hint', () => {
    const short = backupWith([entry(1, 1, true)], 1);
    const refused = reply<AppendEntriesResponse>(short, { type: 'append-entries', from: 'n0', view: 1, prevTxId: { view: 1, seqno: 5 }, entries: [], commitSeqno: 0 });
    assert.deepEqual(refused, { type: 'append-entries-response', from: 'n1', view: 1, success: false, rejectedSeqno: 5, hintSeqno: 1 });
    const diverged = backupWith([entry(1, 1, true), entry(1, 2, false), entry(3, 3, false), entry(3, 4, false)], 3);
    const skipped = reply<AppendEntriesResponse>(diverged, { type: 'append-entries', from: 'n0', view: 4, prevTxId: { view: 2, seqno: 4 }, entries: [], commitSeqno: 0 });
    assert.equal(skipped.success, false);
    assert(!skipped.success && skipped.hintSeqno === 2, 'entries of view 3 cannot match view 2: skip them all');
  });

  test('§5.3 a backup truncates a conflicting suffix and reports the rollback', () => {
    const backup = backupWith([entry(1, 1, true), entry(1, 2, false), entry(1, 3, false)], 1);
    backup.step({ type: 'append-entries', from: 'n0', view: 2, prevTxId: { view: 1, seqno: 1 }, entries: [entry(2, 2, true)], commitSeqno: 2 });
    const ready = backup.ready();
    backup.advance();
    assert.equal(ready.rolledBackTo, 1);
    assert.deepEqual(ready.entriesToPersist.map((e) => `${e.view}.${e.seqno}`), ['2.2']);
    assert.deepEqual(backup.entriesFrom(1).map((e) => `${e.view}.${e.seqno}`), ['1.1', '2.2']);
    assert.equal(backup.commitSeqno, 2);
  });

  test('§5.3 a duplicated append changes nothing (log matching: same TxId, same entry)', () => {
    const backup = backupWith([], 1);
    const append: Message = { type: 'append-entries', from: 'n0', view: 1, prevTxId: { view: 0, seqno: 0 }, entries: [entry(1, 1, false), entry(1, 2, true)], commitSeqno: 0 };
    reply(backup, append);
    const again = reply<AppendEntriesResponse>(backup, append);
    assert.deepEqual(again, { type: 'append-entries-response', from: 'n1', view: 1, success: true, matchSeqno: 2 });
    assert.equal(backup.entriesFrom(1).length, 2);
  });

  test('flow control: one AppendEntries carries at most appendEntriesEntriesMax entries', () => {
    const cluster = new Cluster(three);
    cluster.elect('n0');
    for (let count = 0; count < appendEntriesEntriesMax * 3; count++) cluster.node('n0').propose(new Uint8Array(1), false);
    for (const { message } of cluster.flush('n0').flatMap((ready) => ready.messages)) {
      if (message.type === 'append-entries') assert(message.entries.length <= appendEntriesEntriesMax);
    }
    cluster.deliverAll();
    assert.equal(cluster.node('n1').entriesFrom(1).length, appendEntriesEntriesMax * 3);
  });
});

describe('Raft §5.4 safety', () => {
  test('§5.4.1 (CCF) a voter refuses a candidate whose last signed TxId is older than its own', () => {
    const voter = backupWith([entry(1, 1, true), entry(1, 2, false), entry(1, 3, true)], 1);
    const ask = (lastSignedTxId: { view: number; seqno: number }, view: number): boolean =>
      reply<RequestVoteResponse>(voter, { type: 'request-vote', from: 'n2', view, preVote: false, lastSignedTxId }).granted;
    assert.equal(ask({ view: 1, seqno: 1 }, 2), false, 'older signature in the same view');
    assert.equal(ask({ view: 2, seqno: 2 }, 3), true, 'a later view wins even with a shorter log');
  });

  test('§5.4.1 (CCF) unsigned entries do not count towards being up to date', () => {
    const voter = backupWith([entry(1, 1, true), entry(1, 2, false), entry(1, 3, false)], 1);
    const response = reply<RequestVoteResponse>(voter, { type: 'request-vote', from: 'n2', view: 2, preVote: false, lastSignedTxId: { view: 1, seqno: 1 } });
    assert.equal(response.granted, true, 'same last signature: the unsigned suffix is not committable');
  });

  test('§5.4.1 (CCF) a new primary rolls back its suffix after its last signature', () => {
    const log = [entry(1, 1, true), entry(1, 2, false)];
    const cluster = new Cluster(three, { n0: { persisted: persistedLog(1, log) } });
    cluster.elect('n0');
    assert.equal(cluster.node('n0').role, 'primary');
    assert(cluster.readies.get('n0')?.some((ready) => ready.rolledBackTo === 1));
    assert.deepEqual(cluster.node('n0').entriesFrom(1).map((e) => e.seqno), [1]);
  });

  test('§5.4.2 a primary commits an earlier view\'s entries only beneath a signature of its own view', () => {
    const log = [entry(1, 1, false), entry(1, 2, true)];
    const persisted = persistedLog(1, log);
    const cluster = new Cluster(three, { n0: { persisted }, n1: { persisted } });
    cluster.elect('n0');
    cluster.tick('n0', 4);
    cluster.deliverAll();
    assert.equal(cluster.node('n2').entriesFrom(1).length, 2, 'replicated on all three');
    assert.equal(cluster.node('n0').commitSeqno, 0, 'but of view 1: not committed by counting');
    cluster.propose('n0', true);
    cluster.deliverAll();
    assert.equal(cluster.node('n0').commitSeqno, 3);
  });

  test('CCF: the commit seqno advances only to signature entries replicated on a majority', () => {
    const cluster = new Cluster(three);
    cluster.elect('n0');
    cluster.propose('n0', false);
    cluster.propose('n0', false);
    cluster.deliverAll();
    assert.equal(cluster.node('n0').commitSeqno, 0, 'replicated data entries alone do not commit');
    cluster.isolated.add('n1');
    cluster.isolated.add('n2');
    cluster.propose('n0', true);
    cluster.deliverAll();
    assert.equal(cluster.node('n0').commitSeqno, 0, 'a signature held by the primary alone does not commit');
    cluster.isolated.delete('n2');
    cluster.tick('n0', 2);
    cluster.deliverAll();
    assert.equal(cluster.node('n0').commitSeqno, 3);
    cluster.propose('n0', false);
    cluster.deliverAll();
    assert.equal(cluster.node('n0').commitSeqno, 3);
  });
});
