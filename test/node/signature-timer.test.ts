// A node's signature timer at the uncommitted-entries limit (limits.ts): writes fill the
// window faster than the node commits, the next write is refused with 503 before the
// store commits it, and the timer's signature is still taken, which commits the window
// and lets writes in again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { keygen } from '../../src/cli/keygen-command.js';
import { uncommittedEntriesMax } from '../../src/limits.js';
import { CocoNode } from '../../src/node/coco-node.js';
import { parseNodeConfig } from '../../src/node/node-config.js';
import { ApiError } from '../../src/rpc/api-error.js';
import { runReadWrite } from '../../src/rpc/endpoint-transaction.js';

const silent = pino({ level: 'silent' });
const GENESIS = { platform: 'virtual', measurement: 'ab'.repeat(32) } as const;

describe('the signature timer at the uncommitted-entries limit', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coco-signature-timer-'));
    await keygen({ name: 'member0', dir, curve: 'p256', encryption: true, now: new Date() });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('signs a full window, and a write refused at the limit never reaches the store', async () => {
    const config = parseNodeConfig({
      network: { rpc_address: '127.0.0.1:0', node_to_node_address: '127.0.0.1:0' },
      ledger: { directory: 'ledger' },
      snapshots: { directory: 'snapshots' },
      service_certificate_file: 'service_cert.pem',
      command: { type: 'start', members: [{ certificate: 'member0_cert.pem', encryption_public_key: 'member0_enc_pubk.pem' }], users: [] },
      // Only the timer signs: no transaction count triggers a signature before the limit.
      signatures: { interval_tx: 1_000_000, interval_ms: 50 },
      curve: 'p256',
    }, dir);
    const node = await CocoNode.startNewService(config, silent, new Date(), GENESIS);
    try {
      const start = node.commitSeqno;
      assert.equal(start, node.lastSeqno, 'genesis committed');
      // In one turn of the event loop, so nothing commits in between: fill the window.
      let writes = 0;
      while (node.writesRefused() === undefined) {
        const tx = node.store.begin();
        tx.map<number, number>('public:values').set(writes, writes);
        const result = tx.commit();
        assert.equal(result.status, 'committed');
        node.committed(result.writeSet);
        writes++;
      }
      assert.equal(writes, uncommittedEntriesMax);
      assert.match(node.writesRefused() ?? '', /too many transactions wait for commit/);
      const version = node.store.version;
      await assert.rejects(runReadWrite(node, (tx) => {
        tx.map<number, number>('public:values').set(-1, -1);
        return { status: 200, headers: {}, body: Buffer.alloc(0) };
      }), (error: unknown) => error instanceof ApiError && error.status === 503);
      assert.equal(node.store.version, version, 'the refused write never reached the store');
      // The timer signs at the limit; alone, the node commits at once.
      for (let waited = 0; waited < 100 && node.commitSeqno === start; waited++) await sleep(20);
      assert.equal(node.lastSeqno, start + uncommittedEntriesMax + 1, 'the window and its signature');
      assert.equal(node.commitSeqno, node.lastSeqno);
      assert.equal(node.writesRefused(), undefined);
    } finally {
      await node.stop();
    }
  });
});
