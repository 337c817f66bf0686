// Membership as scenarios, named by Raft thesis section (Ongaro 2014, chapter 4) and by
// CCF's one-transaction reconfiguration: configurations from the log, joint quorums while
// a change is in flight, joining, retiring, bootstrap, and a primary that counts only
// what it has persisted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Entry, Message, RequestVoteResponse } from '../../src/consensus/messages.js';
import { RaftNode, type RaftNodeOptions } from '../../src/consensus/raft-node.js';
import { uncommittedEntriesMax } from '../../src/limits.js';
import { Cluster } from './cluster.js';

const three = ['n0', 'n1', 'n2'];
const text = new TextEncoder();
const txIds = (entries: readonly Entry[]): string[] => entries.map((e) => `${e.view}.${e.seqno}`);
const options = (id: string, initialConfiguration: readonly string[]): RaftNodeOptions =>
  ({ id, initialConfiguration, electionTimeoutTicks: 10, heartbeatTicks: 2, random: () => 0.5 });

/** A three-node cluster with n0 primary in view 1 and a signature committed everywhere. */
function started(): Cluster {
  const cluster = new Cluster(three);
  cluster.elect('n0');
  cluster.propose('n0', true, 'sig');
  cluster.settle('n0');
  return cluster;
}

/** Every vote response `from` sent to `to`, from the readies recorded so far. */
function votesSent(cluster: Cluster, from: string, to: string): RequestVoteResponse[] {
  return (cluster.readies.get(from) ?? []).flatMap((ready) => ready.messages)
    .filter((envelope) => envelope.to === to && envelope.message.type === 'request-vote-response')
    .map((envelope) => envelope.message as RequestVoteResponse);
}

describe('Raft thesis §4 membership changes', () => {
  test('§4.1 adding a node: it catches up from an empty log, then its vote counts', () => {
    const cluster = started();
    const joiner = cluster.add('n3', { initialConfiguration: [] });
    assert.deepEqual(joiner.activeConfigurations, [], 'a joiner knows no configuration: an empty one is none');
    cluster.propose('n0', false, 'add n3', ['n0', 'n1', 'n2', 'n3']);
    assert.deepEqual(cluster.node('n0').activeConfigurations, [three, ['n0', 'n1', 'n2', 'n3']], 'in force at once, uncommitted (§4.1)');
    assert.deepEqual(cluster.node('n0').peers, ['n1', 'n2', 'n3'], 'the primary replicates to the new node at once');
    cluster.propose('n0', true, 'sig');
    cluster.settle('n0');
    assert.deepEqual(txIds(joiner.entriesFrom(1)), ['1.1', '1.2', '1.3'], 'caught up from an empty log');
    assert.equal(joiner.commitSeqno, 3);
    for (const id of [...three, 'n3']) {
      assert.deepEqual(cluster.node(id).activeConfigurations, [['n0', 'n1', 'n2', 'n3']], `${id}: the old configuration is forgotten once the new one commits`);
    }
    // With n0 gone, a majority of four is n1, n2 and n3: n3's vote is needed, and given.
    cluster.isolated.add('n0');
    cluster.tick('n2', 10);
    cluster.tick('n3', 10);
    cluster.elect('n1');
    assert.equal(cluster.node('n1').role, 'primary');
    assert.equal(cluster.node('n1').view, 2);
    assert(votesSent(cluster, 'n3', 'n1').some((vote) => !vote.preVote && vote.granted && vote.view === 2));
  });

  test('§4.2.2 removing a backup: once the change commits, nobody replicates to it, and it does not disturb the rest', () => {
    const ids = ['n0', 'n1', 'n2', 'n3'];
    const cluster = new Cluster(ids);
    cluster.elect('n0');
    cluster.propose('n0', false, 'remove n3', three);
    cluster.propose('n0', true, 'sig');
    cluster.settle('n0');
    assert.equal(cluster.node('n0').commitSeqno, 2);
    assert.deepEqual(cluster.node('n0').activeConfigurations, [three]);
    assert.deepEqual(cluster.node('n0').peers, ['n1', 'n2']);
    const removed = cluster.node('n3');
    assert.deepEqual(removed.activeConfigurations, [three], 'the last append it was sent told it that it left');
    cluster.tick('n3', 50);
    assert.equal(removed.role, 'backup', 'a node in no active configuration never campaigns');
    assert.equal(removed.view, 1);
    const n1 = cluster.node('n1');
    n1.step({ type: 'request-vote', from: 'n3', view: 9, preVote: false, lastSignedTxId: { view: 1, seqno: 2 } });
    assert(!n1.hasReady(), 'thesis §4.2.3: while it hears from its primary, a backup ignores vote requests');
    assert.equal(n1.view, 1);
  });

  test('§4.2.2 removing the primary: it counts itself only in the old configuration and retires once the change commits', () => {
    const cluster = started();
    cluster.propose('n0', false, 'remove n0', ['n1', 'n2']);
    cluster.propose('n0', true, 'sig');
    cluster.isolated.add('n2');
    cluster.deliverAll();
    assert.equal(cluster.node('n0').commitSeqno, 1, 'n0 and n1 are a majority of the old configuration, but only n1 of the new');
    cluster.isolated.delete('n2');
    cluster.settle('n0');
    const retired = cluster.node('n0');
    assert.equal(retired.commitSeqno, 3);
    assert.equal(retired.role, 'backup', 'CCF: a primary outside the newest committed configuration retires');
    assert.deepEqual(retired.activeConfigurations, [['n1', 'n2']]);
    assert.deepEqual(cluster.node('n1').activeConfigurations, [['n1', 'n2']], 'its last append told the others');
    cluster.tick('n0', 50);
    assert.equal(retired.role, 'backup', 'a retired node never campaigns');
    cluster.tick('n2', 10);
    cluster.elect('n1');
    assert.equal(cluster.node('n1').role, 'primary');
    assert.deepEqual(cluster.node('n1').peers, ['n2']);
  });

  test('§4.3 a change in flight needs a majority of the old configuration too, not only of the new', () => {
    const cluster = started();
    cluster.add('n3', { initialConfiguration: [] });
    cluster.add('n4', { initialConfiguration: [] });
    cluster.isolated.add('n1');
    cluster.isolated.add('n2');
    cluster.propose('n0', false, 'replace n1 and n2', ['n0', 'n3', 'n4']);
    cluster.propose('n0', true, 'sig');
    cluster.settle('n0');
    for (const id of ['n3', 'n4']) assert.deepEqual(txIds(cluster.node(id).entriesFrom(1)), ['1.1', '1.2', '1.3'], `${id} holds the signature`);
    assert.equal(cluster.node('n0').commitSeqno, 1, 'all of the new configuration holds it, but only n0 of the old');
    cluster.isolated.delete('n1');
    cluster.settle('n0');
    assert.equal(cluster.node('n0').commitSeqno, 3, 'n0 and n1 make the old majority');
    assert.deepEqual(cluster.node('n0').activeConfigurations, [['n0', 'n3', 'n4']]);
    assert.equal(cluster.node('n0').role, 'primary');
  });

  test('§4.1 a configuration is in force while its entry is in the log, and rolls back with it', () => {
    const cluster = started();
    cluster.add('n3', { initialConfiguration: [] });
    cluster.isolated.add('n2');
    cluster.isolated.add('n3');
    cluster.propose('n0', false, 'add n3', ['n0', 'n1', 'n2', 'n3']);
    cluster.deliverAll();
    const n1 = cluster.node('n1');
    assert.deepEqual(n1.activeConfigurations, [three, ['n0', 'n1', 'n2', 'n3']], 'a backup uses it as soon as it holds the entry');
    // n2 never saw it: it wins view 2 with n1, whose last signature is no later than its own.
    cluster.isolated.add('n0');
    cluster.isolated.delete('n2');
    cluster.tick('n1', 10);
    cluster.elect('n2');
    assert.equal(cluster.node('n2').role, 'primary');
    cluster.propose('n2', true, 'sig');
    cluster.deliverAll();
    assert.deepEqual(txIds(n1.entriesFrom(1)), ['1.1', '2.2']);
    assert.deepEqual(n1.activeConfigurations, [three], 'the configuration went with its entry');
    assert(cluster.readies.get('n1')?.some((ready) => ready.rolledBackTo === 1));
    assert.deepEqual(n1.peers, ['n0', 'n2']);
    // The old primary rolls it back too when it hears of view 2.
    cluster.isolated.delete('n0');
    cluster.settle('n2');
    assert.deepEqual(cluster.node('n0').activeConfigurations, [three]);
    assert.deepEqual(txIds(cluster.node('n0').entriesFrom(1)), ['1.1', '2.2']);
  });

  test('a node in no active configuration does not campaign, and takes appends from any primary', () => {
    const joiner = new RaftNode(options('n3', []));
    for (let tick = 0; tick < 100; tick++) joiner.tick();
    assert.equal(joiner.role, 'backup');
    assert(!joiner.hasReady(), 'no vote requests, nothing to persist');
    joiner.step({ type: 'append-entries', from: 'n0', view: 4, prevTxId: { view: 0, seqno: 0 }, entries: [
      { view: 4, seqno: 1, isSignature: false, data: text.encode('genesis'), configuration: ['n0'] },
      { view: 4, seqno: 2, isSignature: true, data: text.encode('sig') },
    ], commitSeqno: 2 });
    assert.equal(joiner.view, 4);
    assert.equal(joiner.primaryId, 'n0');
    assert.equal(joiner.commitSeqno, 2);
    assert.deepEqual(joiner.activeConfigurations, [['n0']]);
    for (let tick = 0; tick < 100; tick++) joiner.tick();
    assert.equal(joiner.role, 'backup', 'still in no configuration');
  });

  test('CCF: a node answers vote requests from nodes it does not know yet, to help elect the primary that will catch it up', () => {
    const cluster = new Cluster(['n0'], { n0: { bootstrap: true } });
    cluster.propose('n0', false, 'genesis', ['n0']);
    cluster.propose('n0', true, 'sig');
    cluster.add('n1', { initialConfiguration: [] });
    cluster.add('n2', { initialConfiguration: [] });
    cluster.isolated.add('n1');
    cluster.isolated.add('n2');
    cluster.propose('n0', false, 'add n1 and n2', three);
    cluster.propose('n0', true, 'sig');
    cluster.deliverAll();
    // n0 crashes before either joiner hears from it: it needs one of their votes.
    const persisted = { view: 1, votedFor: 'n0', log: cluster.node('n0').entriesFrom(1), commitSeqno: 2 };
    cluster.add('n0', { initialConfiguration: ['n0'], persisted });
    assert.deepEqual(cluster.node('n0').activeConfigurations, [['n0'], three]);
    cluster.isolated.clear();
    cluster.elect('n0');
    assert.equal(cluster.node('n0').role, 'primary');
    assert.equal(cluster.node('n0').view, 2);
    cluster.propose('n0', true, 'sig');
    cluster.settle('n0');
    assert.deepEqual(cluster.node('n2').activeConfigurations, [three]);
  });

  test('a candidate learns a commit from a vote refusal, and stops needing a node that left', () => {
    // n0 alone hands over to n1 and n2, and retires holding a signature they lack.
    const cluster = new Cluster(['n0'], { n0: { bootstrap: true } });
    cluster.propose('n0', false, 'genesis', ['n0']);
    cluster.propose('n0', true, 'sig');
    cluster.add('n1', { initialConfiguration: [] });
    cluster.add('n2', { initialConfiguration: [] });
    cluster.propose('n0', false, 'replace n0', ['n1', 'n2']);
    cluster.deliverAll();
    cluster.propose('n0', true, 'sig');
    cluster.propose('n0', true, 'sig');
    cluster.deliverAll(({ message }) => message.type !== 'append-entries' || message.entries.every((e) => e.seqno !== 5));
    const retired = cluster.node('n0');
    assert.equal(retired.role, 'backup');
    assert.equal(retired.commitSeqno, 4);
    assert.deepEqual(txIds(retired.entriesFrom(1)), ['1.1', '1.2', '1.3', '1.4', '1.5']);
    const n1 = cluster.node('n1');
    assert.deepEqual(n1.activeConfigurations, [['n0'], ['n1', 'n2']], 'n1 has not heard that the change committed');
    assert.equal(n1.commitSeqno, 2);
    // n0's vote is needed for the old configuration, and refused: n1 lacks 1.5. The refusal
    // carries n0's commit 1.4, which n1 holds: it is committed at n1 too (log matching).
    cluster.tick('n2', 10);
    cluster.elect('n1');
    assert(votesSent(cluster, 'n0', 'n1').some((vote) => !vote.granted && vote.commitTxId.seqno === 4));
    assert.equal(n1.role, 'primary');
    assert.deepEqual(n1.activeConfigurations, [['n1', 'n2']]);
    cluster.propose('n1', true, 'sig');
    cluster.settle('n1');
    assert.deepEqual(txIds(cluster.node('n2').entriesFrom(1)), ['1.1', '1.2', '1.3', '1.4', '2.5']);
  });
});

describe('bootstrap and persisted self-match', () => {
  test('bootstrap: a new service\'s node is primary at view 1 at once', () => {
    const node = new RaftNode({ ...options('n0', ['n0']), bootstrap: true });
    assert.equal(node.role, 'primary');
    assert.equal(node.view, 1);
    assert(node.canPropose());
    assert(node.hasReady(), 'its vote must be persisted');
    const ready = node.ready();
    node.advance();
    assert.deepEqual(ready.hardState, { view: 1, votedFor: 'n0' });
    assert.equal(ready.role, 'primary');
    assert.deepEqual(ready.messages, []);
    assert.throws(() => new RaftNode({ ...options('n0', ['n0', 'n1']), bootstrap: true }), /must be \[id\]/);
    assert.throws(() => new RaftNode({ ...options('n0', ['n0']), bootstrap: true, persisted: { view: 0, votedFor: undefined, log: [], commitSeqno: 0 } }), /no persisted state/);
  });

  test('etcd, thesis §10.2.1: a primary counts its own entries only once persisted; alone, it commits in advance()', () => {
    const node = new RaftNode({ ...options('n0', ['n0']), bootstrap: true });
    node.ready();
    node.advance();
    assert.deepEqual(node.propose(text.encode('genesis'), false, ['n0']), { view: 1, seqno: 1 });
    assert.deepEqual(node.propose(text.encode('sig'), true), { view: 1, seqno: 2 });
    assert.equal(node.commitSeqno, 0, 'not durable yet');
    const first = node.ready();
    assert.deepEqual(txIds(first.entriesToPersist), ['1.1', '1.2']);
    assert.deepEqual(first.committed, []);
    node.advance();
    assert.equal(node.commitSeqno, 2, 'advance() made them durable, and a majority of one');
    assert(node.hasReady());
    const second = node.ready();
    node.advance();
    assert.deepEqual(txIds(second.committed), ['1.1', '1.2']);
    assert.equal(second.commitSeqno, 2);
    assert(!node.hasReady());
  });

  test('a restart keeps the persisted commit seqno: configurations it retired stay forgotten', () => {
    const log: Entry[] = [
      { view: 1, seqno: 1, isSignature: false, data: text.encode('genesis'), configuration: ['n0'] },
      { view: 1, seqno: 2, isSignature: false, data: text.encode('add'), configuration: three },
      { view: 1, seqno: 3, isSignature: true, data: text.encode('sig') },
      { view: 1, seqno: 4, isSignature: false, data: text.encode('remove n2'), configuration: ['n0', 'n1'] },
    ];
    const node = new RaftNode({ ...options('n0', ['n0']), persisted: { view: 1, votedFor: 'n0', log, commitSeqno: 3 } });
    assert.equal(node.commitSeqno, 3);
    assert.deepEqual(node.activeConfigurations, [three, ['n0', 'n1']]);
    assert.deepEqual(node.peers, ['n1', 'n2']);
    assert(!node.hasReady(), 'what the caller recorded as committed is not handed back');
    assert.throws(() => new RaftNode({ ...options('n0', ['n0']), persisted: { view: 1, votedFor: 'n0', log, commitSeqno: 2 } }), /signature/);
  });

  test('a restarted joiner derives its configurations from its log: the committed one and every later one', () => {
    const log: Entry[] = [
      { view: 1, seqno: 1, isSignature: false, data: text.encode('genesis'), configuration: ['n0'] },
      { view: 1, seqno: 2, isSignature: true, data: text.encode('sig') },
      { view: 1, seqno: 3, isSignature: false, data: text.encode('add'), configuration: ['n0', 'n3'] },
      { view: 1, seqno: 4, isSignature: true, data: text.encode('sig') },
      { view: 1, seqno: 5, isSignature: false, data: text.encode('add'), configuration: ['n0', 'n1', 'n3'] },
    ];
    const restart = (commitSeqno: number): RaftNode =>
      new RaftNode({ ...options('n3', []), persisted: { view: 1, votedFor: undefined, log, commitSeqno } });
    assert.deepEqual(restart(4).activeConfigurations, [['n0', 'n3'], ['n0', 'n1', 'n3']]);
    assert.deepEqual(restart(2).activeConfigurations, [['n0'], ['n0', 'n3'], ['n0', 'n1', 'n3']]);
    // Its commit marker lags: no configuration is known committed, so all of them are
    // active, and never the empty one it started with, of which nobody is a majority.
    assert.deepEqual(restart(0).activeConfigurations, [['n0'], ['n0', 'n3'], ['n0', 'n1', 'n3']]);
    assert.deepEqual(restart(0).peers, ['n0', 'n1']);
  });

  test('a restarted joiner whose commit marker is 0 campaigns, learns the commit from a vote, and is elected (cluster-sim seed 1421)', () => {
    // n0 alone adds n1, then hands over to n1 and retires; n1 restarts before it recorded
    // any commit. n1 alone is the configuration, but its log still holds [n0] and [n0, n1].
    const cluster = new Cluster(['n0'], { n0: { bootstrap: true } });
    cluster.propose('n0', false, 'genesis', ['n0']);
    cluster.propose('n0', true, 'sig');
    cluster.add('n1', { initialConfiguration: [] });
    cluster.propose('n0', false, 'add n1', ['n0', 'n1']);
    cluster.propose('n0', true, 'sig');
    cluster.settle('n0');
    cluster.propose('n0', false, 'replace n0', ['n1']);
    cluster.propose('n0', true, 'sig');
    cluster.settle('n0');
    const retired = cluster.node('n0');
    assert.equal(retired.role, 'backup', 'n0 left the configuration and retired');
    assert.equal(retired.commitSeqno, 6);
    const persisted = { view: 1, votedFor: undefined, log: cluster.node('n1').entriesFrom(1), commitSeqno: 0 };
    assert.equal(persisted.log.length, 6);
    const n1 = cluster.add('n1', { initialConfiguration: [], persisted });
    assert.deepEqual(n1.activeConfigurations, [['n0'], ['n0', 'n1'], ['n1']]);
    // It needs a majority of [n0] too until it learns the commit: n0's answer carries it.
    cluster.elect('n1');
    assert(votesSent(cluster, 'n0', 'n1').some((vote) => vote.commitTxId.seqno === 6), 'n0 answered with its commit');
    assert.equal(n1.commitSeqno, 6);
    assert.deepEqual(n1.activeConfigurations, [['n1']]);
    assert.equal(n1.role, 'primary');
    assert.equal(n1.view, 2);
  });

  test('canPropose() tells a backup, and a primary at uncommittedEntriesMax, to refuse writes before they reach the store', () => {
    const cluster = started();
    assert.equal(cluster.node('n1').canPropose(), false);
    assert.equal(cluster.node('n1').propose(text.encode('x'), false), undefined);
    const primary = cluster.node('n0');
    cluster.isolated.add('n1');
    cluster.isolated.add('n2');
    for (let count = 0; count < uncommittedEntriesMax; count++) {
      assert(primary.canPropose());
      primary.propose(text.encode('x'), false);
    }
    assert.equal(primary.canPropose(), false);
    assert.equal(primary.propose(text.encode('x'), false), undefined);
    // CCF: only a signature lets commit advance and so frees the window; it is taken past
    // the limit, once: a second one would sign nothing new.
    assert(primary.canPropose(true));
    assert.notEqual(primary.propose(text.encode('sig'), true), undefined);
    assert.equal(primary.canPropose(true), false);
    assert.equal(primary.propose(text.encode('sig'), true), undefined);
    cluster.flush('n0');
    cluster.isolated.clear();
    cluster.settle('n0');
    assert.equal(primary.commitSeqno, primary.lastTxId.seqno, 'the signature committed the window');
    assert(primary.canPropose());
  });

  test('a new primary whose window is overfull (its commit lags) still signs its view', () => {
    const log: Entry[] = [
      { view: 1, seqno: 1, isSignature: false, data: text.encode('a') },
      { view: 1, seqno: 2, isSignature: false, data: text.encode('b') },
      { view: 1, seqno: 3, isSignature: true, data: text.encode('sig') },
    ];
    const node = new RaftNode({ ...options('n0', ['n0']), uncommittedEntriesMax: 2, persisted: { view: 1, votedFor: 'n0', log, commitSeqno: 0 } });
    for (let tick = 0; tick < 20 && node.role !== 'primary'; tick++) node.tick();
    assert.equal(node.role, 'primary');
    assert.equal(node.canPropose(), false, '3 entries past commit 0: over the limit of 2');
    assert.deepEqual(node.propose(text.encode('sig'), true), { view: 2, seqno: 4 }, 'a signature of the new view');
  });

  test('vote responses from a node of no active configuration are dropped', () => {
    const node = new RaftNode(options('n0', three));
    for (let tick = 0; tick < 15; tick++) node.tick();
    node.ready();
    node.advance();
    assert.equal(node.role, 'pre-candidate');
    const granted = (from: string): Message =>
      ({ type: 'request-vote-response', from, view: 1, preVote: true, granted: true, commitTxId: { view: 0, seqno: 0 } });
    node.step(granted('n7'));
    assert.equal(node.role, 'pre-candidate', 'n7 votes in no configuration');
    node.step(granted('n1'));
    assert.equal(node.role, 'candidate');
  });
});
