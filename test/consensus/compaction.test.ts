// Log compaction (Raft thesis §5 asks for it; CCF keeps only a window of its log in memory)
// and catch-up from the ledger: RaftLog against a naive oracle over random operations, the
// rule that nothing a rollback could remove is ever compacted, and backups far behind (or
// joining late, or served after a restart) fed from the primary's durable log in batches
// within the flow-control limits.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Entry, Envelope } from '../../src/consensus/messages.js';
import { RaftLog } from '../../src/consensus/raft-log.js';
import { RaftNode } from '../../src/consensus/raft-node.js';
import type { TxId } from '../../src/ledger/tx-id.js';
import { appendEntriesBytesMax, appendEntriesEntriesMax } from '../../src/limits.js';
import { Cluster } from './cluster.js';

const encoder = new TextEncoder();

function makeEntry(view: number, seqno: number, isSignature: boolean, configuration?: readonly string[], bytes?: number): Entry {
  const data = bytes === undefined ? encoder.encode(`${view}.${seqno}`) : new Uint8Array(bytes).fill(seqno % 251);
  return configuration === undefined ? { view, seqno, isSignature, data } : { view, seqno, isSignature, data, configuration };
}

const keyOf = (entry: Entry): string =>
  `${entry.view}.${entry.seqno}${entry.isSignature ? 'S' : ''}${entry.configuration === undefined ? '' : `[${entry.configuration.join(',')}]`}:${Buffer.from(entry.data).toString('hex')}`;

/** Every append-entries message `accept` sees must respect the flow-control limits. */
function withinLimits({ message }: Envelope): boolean {
  if (message.type !== 'append-entries') return true;
  assert(message.entries.length <= appendEntriesEntriesMax, `an append of ${message.entries.length} entries`);
  const bytes = message.entries.reduce((sum, entry) => sum + entry.data.byteLength, 0);
  assert(message.entries.length <= 1 || bytes <= appendEntriesBytesMax, `an append of ${bytes} bytes`);
  return true;
}

/** Proposes `count` entries at the primary, a signature every `signEvery`, delivering as it goes. */
function proposeMany(cluster: Cluster, primary: string, count: number, signEvery = 64, bytes?: number): void {
  const node = cluster.node(primary);
  for (let proposed = 0; proposed < count; proposed++) {
    const isSignature = (proposed + 1) % signEvery === 0 || proposed === count - 1;
    const data = bytes === undefined ? encoder.encode(`p${node.lastTxId.seqno + 1}`) : new Uint8Array(bytes).fill(proposed % 251);
    assert(node.propose(data, isSignature) !== undefined, 'the primary takes the proposal');
    if (isSignature) {
      cluster.flush(primary);
      cluster.deliverAll(withinLimits);
      for (const readies of cluster.readies.values()) readies.length = 0;
    }
  }
}

describe('RaftLog compaction against a naive log (Raft thesis §5)', () => {
  type Operation =
    | { readonly type: 'append'; readonly viewStep: number; readonly isSignature: boolean; readonly configured: boolean }
    | { readonly type: 'commit'; readonly fraction: number }
    | { readonly type: 'truncate'; readonly fraction: number }
    | { readonly type: 'compact' };
  const fraction = fc.integer({ min: 0, max: 100 }).map((percent) => percent / 100);
  const operation: fc.Arbitrary<Operation> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ type: fc.constant('append' as const), viewStep: fc.nat({ max: 2 }), isSignature: fc.boolean(), configured: fc.boolean() }).map((op) => ({ ...op, configured: op.configured && op.viewStep === 1 })) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('commit' as const), fraction }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('truncate' as const), fraction }) },
    { weight: 2, arbitrary: fc.constant({ type: 'compact' as const }) },
  );

  /** The rule RaftLog.backOffHint implements, as the walk it replaced. */
  function naiveBackOffHint(naive: readonly Entry[], prev: TxId): number {
    let seqno = Math.min(prev.seqno, naive.length);
    while (seqno > 0 && (naive[seqno - 1] as Entry).view > prev.view) seqno--;
    return seqno === prev.seqno ? seqno - 1 : seqno;
  }

  test('every seqno keeps its TxId, signature flag (above the compacted part), configuration and back-off hint', () => {
    let compactedRuns = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.array(operation, { minLength: 10, maxLength: 150, size: 'max' }), (window, operations) => {
      const log = new RaftLog(window);
      const naive: Entry[] = [];
      let view = 1;
      let committed = 0;
      for (const op of operations) {
        if (op.type === 'append') {
          view += op.viewStep;
          const entry = makeEntry(view, naive.length + 1, op.isSignature, op.configured ? [`n${view}`] : undefined);
          log.append(entry);
          naive.push(entry);
        } else if (op.type === 'commit') {
          committed += Math.floor(op.fraction * (naive.length - committed));
        } else if (op.type === 'truncate') {
          // A rollback never goes below the commit seqno.
          const to = committed + Math.floor(op.fraction * (naive.length - committed));
          log.truncateAfter(to);
          naive.length = to;
          // What replaces a rolled-back suffix may be of an earlier view than it (a primary
          // of a later view sending entries of an earlier one).
          view = naive[to - 1]?.view ?? 1;
        } else {
          const before = log.firstSeqnoInMemory;
          log.compact(committed);
          const held = naive.length - log.firstSeqnoInMemory + 1;
          assert(log.firstSeqnoInMemory === before || held >= window, `compaction left ${held} entries in memory, window ${window}`);
        }
        const last = naive.length;
        assert.equal(log.lastSeqno, last);
        const first = log.firstSeqnoInMemory;
        assert(first <= committed + 1, 'nothing above the floor is compacted');
        const signatures = naive.filter((entry) => entry.isSignature);
        const lastSigned = signatures.at(-1);
        assert.deepEqual(log.lastSignedTxId, lastSigned === undefined ? { view: 0, seqno: 0 } : { view: lastSigned.view, seqno: lastSigned.seqno });
        assert.deepEqual(log.lastTxId, last === 0 ? { view: 0, seqno: 0 } : { view: naive[last - 1]?.view, seqno: last });
        for (let seqno = 0; seqno <= last + 1; seqno++) {
          const entry = naive[seqno - 1];
          const txId = seqno === 0 ? { view: 0, seqno: 0 } : entry === undefined ? undefined : { view: entry.view, seqno };
          assert.deepEqual(log.txIdAt(seqno), txId, `txIdAt(${seqno})`);
          for (const probe of [0, 1, 2, view, view + 1]) assert.equal(log.matches({ view: probe, seqno }), txId?.view === probe);
          if (entry !== undefined) {
            assert.equal(log.entryAt(seqno), seqno >= first ? entry : undefined, `entryAt(${seqno})`);
            assert.equal(log.configurationAt(seqno), entry.configuration, `configurationAt(${seqno})`);
            const isSignature = log.isSignatureAt(seqno);
            assert(isSignature === undefined ? seqno < first - 1 : isSignature === entry.isSignature, `isSignatureAt(${seqno})`);
          }
          for (const probe of [0, 1, view - 1, view]) {
            if (seqno >= 1) assert.equal(log.backOffHint({ view: probe, seqno }), naiveBackOffHint(naive, { view: probe, seqno }), `backOffHint(${probe}.${seqno})`);
          }
          if (seqno >= committed && seqno <= last) {
            const expected = signatures.filter((signature) => signature.seqno <= seqno).at(-1)?.seqno ?? 0;
            assert.equal(log.lastSignatureAtOrBefore(seqno), expected, `lastSignatureAtOrBefore(${seqno})`);
          }
        }
        assert.deepEqual(log.configurationEntries(), naive.filter((entry) => entry.configuration !== undefined).map(({ seqno, configuration }) => ({ seqno, configuration })));
      }
      if (log.firstSeqnoInMemory > 1) compactedRuns++;
    }), { numRuns: 300 });
    assert(compactedRuns > 100, `only ${compactedRuns} of 300 runs compacted anything`);
  });

  test('a rollback into the compacted part is impossible: compaction stops at the floor, truncation below it asserts', () => {
    const log = new RaftLog(2);
    for (let seqno = 1; seqno <= 10; seqno++) log.append(makeEntry(seqno <= 5 ? 1 : 2, seqno, seqno % 4 === 0));
    log.compact(4);
    assert.equal(log.firstSeqnoInMemory, 5, 'the floor (the commit seqno), not the window, stops compaction');
    log.compact(9);
    assert.equal(log.firstSeqnoInMemory, 9, 'the window keeps the two newest entries');
    assert.throws(() => log.truncateAfter(7), /would roll back compacted entries/);
    assert.throws(() => log.slice(8, 10), /out of 9..10 in memory/);
    assert.throws(() => log.lastSignatureAtOrBefore(5), /compacted/);
    assert.equal(log.lastSignatureAtOrBefore(9), 8, 'the last signature before the compacted part is kept');
    log.truncateAfter(8);
    assert.equal(log.lastSeqno, 8);
    assert.deepEqual(log.lastTxId, { view: 2, seqno: 8 }, 'memory may hold no entry at all; the TxIds remain');
    log.append(makeEntry(3, 9, true));
    assert.deepEqual(log.txIdAt(9), { view: 3, seqno: 9 });
    assert.equal(log.backOffHint({ view: 2, seqno: 9 }), 8);
  });

  test('a node compacts only what it has committed, persisted and applied: every Ready still carries its entries', () => {
    const cluster = new Cluster(['n0', 'n1', 'n2'], { n0: { entriesInMemoryMax: 1 }, n1: { entriesInMemoryMax: 1 }, n2: { entriesInMemoryMax: 1 } });
    cluster.elect('n0');
    const n1 = cluster.node('n1');
    // n1 gets entries and their commit in one append: its Ready must still hand them all over.
    proposeMany(cluster, 'n0', 200, 7);
    cluster.settle('n0');
    const committed = cluster.disks.get('n1')?.length;
    assert.equal(committed, 200);
    assert.equal(n1.commitSeqno, 200);
    assert.equal(n1.firstSeqnoInMemory, 200, 'a window of one');
    assert.deepEqual(n1.entriesFrom(200).map((entry) => entry.seqno), [200]);
    assert.throws(() => n1.entriesFrom(199), /in memory/);
    assert.deepEqual(n1.txIdAt(3), { view: 1, seqno: 3 });
  });
});

describe('catch-up from the ledger', () => {
  test('a backup 50,000 entries behind is caught up from the primary\'s durable log, in batches within the flow-control limits', () => {
    const window = 64;
    const ids = ['n0', 'n1', 'n2'];
    const cluster = new Cluster(ids, Object.fromEntries(ids.map((id) => [id, { entriesInMemoryMax: window }])));
    cluster.elect('n0');
    const primary = cluster.node('n0');
    cluster.isolated.add('n2');
    let heldMax = 0;
    for (let round = 0; round < 50; round++) {
      proposeMany(cluster, 'n0', 1_000, 50);
      heldMax = Math.max(heldMax, primary.lastTxId.seqno - primary.firstSeqnoInMemory + 1);
    }
    const last = primary.lastTxId.seqno;
    assert.equal(last, 50_000);
    assert.equal(primary.commitSeqno, last);
    assert(heldMax <= window, `the primary held ${heldMax} entries in memory`);
    assert.equal(cluster.node('n2').lastTxId.seqno, 0, 'n2 holds nothing');

    cluster.isolated.delete('n2');
    let appends = 0;
    for (let heartbeat = 0; heartbeat < 20 && cluster.node('n2').commitSeqno < last; heartbeat++) {
      cluster.tick('n0', 2);
      cluster.deliverAll((envelope) => {
        if (envelope.to === 'n2' && envelope.message.type === 'append-entries' && envelope.message.entries.length > 0) appends++;
        return withinLimits(envelope);
      });
    }
    const n2 = cluster.node('n2');
    assert.equal(n2.commitSeqno, last, 'caught up and committed');
    assert(appends >= Math.ceil((last - 1) / appendEntriesEntriesMax), `${appends} appends`);
    const reads = cluster.reads.filter((read) => read.node === 'n0');
    const readBack = reads.reduce((sum, read) => sum + read.returned, 0);
    assert(readBack >= last - 1 - window, `only ${readBack} entries read back from the primary's disk`);
    for (const read of reads) {
      assert(read.to - read.from < appendEntriesEntriesMax && read.bytesMax === appendEntriesBytesMax && read.returned >= 1, JSON.stringify(read));
    }
    assert(n2.firstSeqnoInMemory > last - window, 'the backup compacted too');
    const primaryDisk = cluster.disks.get('n0') ?? [];
    const backupDisk = cluster.disks.get('n2') ?? [];
    assert.equal(backupDisk.length, last);
    backupDisk.forEach((entry, index) => {
      const expected = primaryDisk[index] as Entry;
      if (keyOf(entry) !== keyOf(expected)) assert.fail(`seqno ${index + 1}: ${keyOf(entry)} where the primary has ${keyOf(expected)}`);
    });
    for (let seqno = 1; seqno <= last; seqno += 997) assert.deepEqual(n2.txIdAt(seqno), primary.txIdAt(seqno));
  });

  test('a read cut short by appendEntriesBytesMax ends the batch; large entries go one batch per megabyte', () => {
    const ids = ['n0', 'n1', 'n2'];
    const cluster = new Cluster(ids, Object.fromEntries(ids.map((id) => [id, { entriesInMemoryMax: 2 }])));
    cluster.elect('n0');
    cluster.isolated.add('n2');
    const entryBytes = Math.floor(appendEntriesBytesMax / 3) + 1;
    proposeMany(cluster, 'n0', 24, 4, entryBytes);
    cluster.isolated.delete('n2');
    const batches: number[] = [];
    for (let heartbeat = 0; heartbeat < 40 && cluster.node('n2').commitSeqno < cluster.node('n0').commitSeqno; heartbeat++) {
      cluster.tick('n0', 2);
      cluster.deliverAll((envelope) => {
        if (envelope.to === 'n2' && envelope.message.type === 'append-entries' && envelope.message.entries.length > 0) batches.push(envelope.message.entries.length);
        return withinLimits(envelope);
      });
    }
    assert.equal(cluster.node('n2').commitSeqno, 24);
    assert(batches.every((count) => count <= 2), `batches of ${batches.join(', ')} entries`);
    assert(cluster.reads.some((read) => read.node === 'n0' && read.returned < read.to - read.from + 1), 'some read was cut by bytes');
  });

  test('a node joining late gets compacted configuration entries back with their configurations', () => {
    const cluster = new Cluster([], {});
    cluster.add('n0', { initialConfiguration: ['n0'], bootstrap: true, entriesInMemoryMax: 4 });
    // Genesis names the service's nodes (as CCF's does): a joiner learns its first configuration from it.
    assert(cluster.node('n0').propose(encoder.encode('genesis'), false, ['n0']) !== undefined);
    cluster.flush('n0');
    proposeMany(cluster, 'n0', 300, 10);
    assert(cluster.node('n0').firstSeqnoInMemory > 1, 'genesis is compacted');
    cluster.add('n1', { initialConfiguration: [], entriesInMemoryMax: 4 });
    cluster.propose('n0', false, 'add n1', ['n0', 'n1']);
    cluster.propose('n0', true, 'sign');
    for (let heartbeat = 0; heartbeat < 20 && cluster.node('n1').commitSeqno < cluster.node('n0').lastTxId.seqno; heartbeat++) {
      cluster.tick('n0', 2);
      cluster.deliverAll(withinLimits);
    }
    const n1 = cluster.node('n1');
    assert.equal(n1.commitSeqno, 303);
    assert.deepEqual(n1.activeConfigurations, [['n0', 'n1']]);
    const joinerDisk = cluster.disks.get('n1') ?? [];
    assert.deepEqual(joinerDisk[0]?.configuration, ['n0'], 'genesis arrived with its configuration, though the disk read left it out');
    assert.deepEqual(joinerDisk.map(keyOf), (cluster.disks.get('n0') ?? []).map(keyOf));
    assert(cluster.reads.some((read) => read.node === 'n0' && read.from === 1), 'genesis was read back from the primary\'s disk');
  });

  test('a restart reads its persisted log once, keeps only the window, and still serves a backup from its disk', () => {
    const last = 10_000;
    const log: Entry[] = [];
    for (let seqno = 1; seqno <= last; seqno++) {
      const configuration = seqno === 1 ? ['n0', 'n1'] : seqno === 5_000 ? ['n0', 'n1', 'n2'] : undefined;
      log.push(makeEntry(seqno < 7_000 ? 1 : 2, seqno, seqno % 100 === 0, configuration));
    }
    let yielded = 0;
    function* persistedLog(): Generator<Entry> {
      for (const entry of log) {
        yielded++;
        yield entry;
      }
    }
    const restarted = new RaftNode({
      id: 'n0', initialConfiguration: [], electionTimeoutTicks: 10, heartbeatTicks: 2, random: () => 0.5,
      persisted: { view: 2, votedFor: undefined, log: persistedLog(), commitSeqno: 9_900 },
      entriesInMemoryMax: 32, readEntries: () => assert.fail('nothing to read yet'),
    });
    assert.equal(yielded, last, 'read once');
    assert.equal(restarted.firstSeqnoInMemory, 9_901, 'entries past the recorded commit stay; committed ones beyond the window go');
    assert.deepEqual(restarted.activeConfigurations, [['n0', 'n1', 'n2']], 'configurations come from compacted entries too');
    assert.deepEqual(restarted.txIdAt(6_999), { view: 1, seqno: 6_999 });
    assert.deepEqual(restarted.lastSignedTxId, { view: 2, seqno: last });

    // The same node in a cluster, with a backup that has nothing: it is fed from n0's disk.
    const ids = ['n0', 'n1', 'n2'];
    const cluster = new Cluster(ids, {
      n0: { persisted: { view: 2, votedFor: undefined, log, commitSeqno: 9_900 }, entriesInMemoryMax: 32 },
      n1: { persisted: { view: 2, votedFor: undefined, log, commitSeqno: 9_900 }, entriesInMemoryMax: 32 },
      n2: { initialConfiguration: [], entriesInMemoryMax: 32 },
    });
    cluster.elect('n0');
    cluster.propose('n0', true, 'sign');
    for (let heartbeat = 0; heartbeat < 20 && cluster.node('n2').commitSeqno <= last; heartbeat++) {
      cluster.tick('n0', 2);
      cluster.deliverAll(withinLimits);
    }
    const n2 = cluster.node('n2');
    assert.equal(n2.commitSeqno, last + 1, 'n2 holds and commits the new primary\'s signature');
    assert.deepEqual(n2.activeConfigurations, [['n0', 'n1', 'n2']]);
    assert.deepEqual((cluster.disks.get('n2') ?? []).map(keyOf), (cluster.disks.get('n0') ?? []).map(keyOf));
  });
});
