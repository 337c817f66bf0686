// ChunkedLedger under simulated crashes (TigerBeetle's VOPR in miniature): a seeded
// random workload of appends, flushes, syncs, commits and truncations on the in-memory
// files, crashing at random points. After every crash, open() must recover a ledger that
// holds every synced entry, nothing that was never appended, and only a prefix of what
// was appended; the workload then carries on. A failing seed replays exactly.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ChunkedLedger } from '../../src/ledger/chunked-ledger.js';
import { MemoryLedgerFiles } from '../../src/ledger/memory-ledger-files.js';
import { seededRandom } from '../support/seeded-random.js';

interface ModelEntry {
  entry: Buffer;
  isSignature: boolean;
}

function runSeed(seed: number, steps: number): { crashes: number; tornTails: number } {
  const random = seededRandom(seed);
  const below = (limit: number): number => Math.floor(random() * limit);
  const files = new MemoryLedgerFiles();
  const options = { chunkBytesTarget: 600 + below(2000) };
  let ledger = ChunkedLedger.open(files, options).ledger;
  const model: ModelEntry[] = [];
  let synced = 0;
  let committed = 0;
  let crashes = 0;
  let tornTails = 0;
  let appends = 0;

  for (let step = 0; step < steps; step++) {
    const where = `seed ${seed} step ${step}`;
    const roll = random();
    if (roll < 0.6) {
      const seqno = model.length + 1;
      // Distinct content per append, so an entry rolled back and resurrected would show.
      appends += 1;
      const entry = Buffer.alloc(below(250), appends & 0xff);
      if (entry.length >= 4) entry.writeUInt32BE(appends, 0);
      const isSignature = random() < 0.15;
      ledger.append(seqno, entry, { isSignature });
      model.push({ entry, isSignature });
    } else if (roll < 0.7) {
      ledger.sync();
      synced = model.length;
    } else if (roll < 0.75) {
      ledger.flush();
    } else if (roll < 0.8) {
      if (synced > committed) {
        committed += 1 + below(synced - committed);
        ledger.commit(committed);
      }
    } else if (roll < 0.85) {
      const to = committed + below(model.length - committed + 1);
      ledger.truncate(to);
      model.length = to;
      synced = Math.min(synced, to);
    } else if (roll < 0.9) {
      crashes += 1;
      files.crash(random);
      const check = ChunkedLedger.verify(files);
      assert.equal(check.error, undefined, `${where}: ${check.error?.reason}`);
      const reopened = ChunkedLedger.open(files, options);
      if (reopened.recovery.truncatedTail !== undefined) {
        tornTails += 1;
        assert.deepEqual(reopened.recovery.truncatedTail, check.tornTail, `${where}: open() cuts what verify() reports`);
        assert.match(reopened.recovery.truncatedTail.file, /^ledger_\d+$/, `${where}: only the open chunk is cut`);
      }
      ledger = reopened.ledger;
      assert.ok(ledger.lastSeqno >= synced, `${where}: lost synced entries (${ledger.lastSeqno} < ${synced})`);
      assert.ok(ledger.lastSeqno <= model.length, `${where}: entries appeared from nowhere`);
      assert.ok(ledger.commitSeqno <= committed, `${where}: commit seqno ran ahead`);
      model.length = ledger.lastSeqno;
      synced = ledger.lastSeqno;
      if (committed > ledger.commitSeqno) ledger.commit(committed);
    }
    if (step % 50 === 0 || roll >= 0.85) {
      let seqno = 0;
      for (const frame of ledger.entries()) {
        seqno += 1;
        const expected = model[seqno - 1];
        assert.ok(expected !== undefined, `${where}: extra entry ${seqno}`);
        assert.equal(frame.seqno, seqno);
        assert.deepEqual(frame.entry, expected.entry, `${where}: entry ${seqno}`);
        assert.equal(frame.isSignature, expected.isSignature);
      }
      assert.equal(seqno, model.length, `${where}: entry count`);
      for (const chunk of ledger.chunks()) {
        if (chunk.state === 'committed') assert.ok(chunk.endSeqno <= committed, `${where}: ${chunk.name} committed too early`);
        if (chunk.state !== 'open') assert.ok(model[chunk.endSeqno - 1]?.isSignature, `${where}: ${chunk.name} ends without a signature`);
      }
    }
  }
  return { crashes, tornTails };
}

describe('ChunkedLedger under simulated crashes', () => {
  it('loses at most unsynced entries and always reopens', () => {
    let crashes = 0;
    let tornTails = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const result = runSeed(seed, 1200);
      crashes += result.crashes;
      tornTails += result.tornTails;
    }
    // The simulation must actually exercise recovery.
    assert.ok(crashes > 800, `only ${crashes} crashes`);
    assert.ok(tornTails > 100, `only ${tornTails} torn tails`);
  });
});
