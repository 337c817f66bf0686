// A real node process serving a new service, used the way users use it: the SDK and
// curl over mutual TLS, transaction status to Committed, receipts checked offline (SDK
// and `coco receipt verify`), `coco ledger verify` on its ledger, private messages
// never readable on disk, every error case answering clearly and writing nothing, and a
// clean shutdown on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { keygen } from '../../src/cli/keygen-command.js';
import { CocoClient, verifyReceipt } from '../../src/client/index.js';

const COCO = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const SECRET_MESSAGE = 'the merger closes on friday';

describe('a node serving the logging app', () => {
  let dir: string;
  let node: ChildProcess;
  let address: string;
  let serviceCertificate: string;
  let user: CocoClient;
  let stranger: CocoClient;
  let anonymous: CocoClient;
  let log = '';

  const identity = (name: string) => ({
    certificate: readFileSync(join(dir, `${name}_cert.pem`), 'utf8'),
    privateKey: readFileSync(join(dir, `${name}_privk.pem`), 'utf8'),
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coco-e2e-'));
    const now = new Date();
    await keygen({ name: 'member0', dir, curve: 'p384', encryption: true, now });
    await keygen({ name: 'user0', dir, curve: 'p384', encryption: false, now });
    await keygen({ name: 'stranger', dir, curve: 'p384', encryption: false, now });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      network: { rpc_address: '127.0.0.1:0', node_to_node_address: '127.0.0.1:0' },
      ledger: { directory: 'ledger' },
      service_certificate_file: 'service_cert.pem',
      rpc_address_file: 'rpc_address.json',
      command: { type: 'start', members: [{ certificate: 'member0_cert.pem', encryption_public_key: 'member0_enc_pubk.pem' }], users: [{ certificate: 'user0_cert.pem' }] },
    }));
    node = spawn(process.execPath, [COCO, 'node', 'start', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    node.stdout?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    node.stderr?.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    const addressFile = join(dir, 'rpc_address.json');
    for (let waited = 0; !existsSync(addressFile); waited += 50) {
      if (waited > 20_000 || node.exitCode !== null) throw new Error(`node did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    address = (JSON.parse(readFileSync(addressFile, 'utf8')) as { rpc_address: string }).rpc_address;
    serviceCertificate = readFileSync(join(dir, 'service_cert.pem'), 'utf8');
    const url = `https://${address}`;
    user = CocoClient.connect({ url, serviceCertificate, ...identity('user0') });
    stranger = CocoClient.connect({ url, serviceCertificate, ...identity('stranger') });
    anonymous = CocoClient.connect({ url, serviceCertificate });
  });

  after(async () => {
    await Promise.all([user, stranger, anonymous].map((client) => client?.close()));
    if (node?.exitCode === null) node.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes, reads, commits and proves a private message', async () => {
    const write = await user.post('/app/log/private', { id: 42, msg: SECRET_MESSAGE });
    assert.equal(write.status, 200);
    assert.ok(write.txId !== undefined, 'a write carries its transaction id');
    const read = await user.get('/app/log/private', { query: { id: 42 } });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, { msg: SECRET_MESSAGE });
    assert.ok(read.txId !== undefined && read.txId.seqno >= write.txId.seqno, 'a read carries the id it read at');

    await user.waitForCommit(write.txId, { timeoutMs: 5000 });
    assert.equal(await user.txStatus(write.txId), 'Committed');
    const receipt = await user.getReceipt(write.txId);
    assert.deepEqual(verifyReceipt(receipt, serviceCertificate).ok, true);
    const receiptFile = join(dir, 'receipt.json');
    writeFileSync(receiptFile, JSON.stringify(receipt));
    const cli = spawnSync(process.execPath, [COCO, 'receipt', 'verify', receiptFile, '--service-cert', join(dir, 'service_cert.pem')], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stdout + cli.stderr);
  });

  it('works with curl as documented, over HTTP/2 and HTTP/1.1', () => {
    const base = ['-s', '--cacert', join(dir, 'service_cert.pem'), '--cert', join(dir, 'user0_cert.pem'), '--key', join(dir, 'user0_privk.pem')];
    const post = spawnSync('curl', [...base, '-i', `https://${address}/app/log/public`, '-H', 'content-type: application/json', '-d', '{"id":7,"msg":"in the clear"}'], { encoding: 'utf8' });
    assert.equal(post.status, 0, post.stderr);
    assert.match(post.stdout, /^HTTP\/2 200/);
    assert.match(post.stdout, /x-coco-tx-id: \d+\.\d+/);
    const get = spawnSync('curl', [...base, '--http1.1', `https://${address}/app/log/public?id=7`], { encoding: 'utf8' });
    assert.equal(get.stdout, '{"msg":"in the clear"}');
  });

  it('answers every error with its status and JSON code, writing nothing', async () => {
    const before = await anonymous.get('/node/commit');
    const state = async () => ((await anonymous.get('/node/state')).body as { last_seqno: number }).last_seqno;
    const lastBefore = await state();

    const cases: Array<[string, Promise<{ status: number; body: unknown }>, number, string]> = [
      ['no certificate', anonymous.post('/app/log/private', { id: 1, msg: 'x' }), 401, 'Unauthenticated'],
      ['unregistered certificate', stranger.post('/app/log/private', { id: 1, msg: 'x' }), 401, 'Unauthenticated'],
      ['schema-invalid body', user.post('/app/log/private', { id: 'one', msg: 'x' }), 400, 'InvalidInput'],
      ['missing id', user.get('/app/log/private'), 400, 'InvalidInput'],
      ['unknown id', user.get('/app/log/private', { query: { id: 999 } }), 404, 'ResourceNotFound'],
      ['unknown path', user.get('/app/nothing-here'), 404, 'NotFound'],
      ['wrong method', user.put('/app/log/private', { id: 1, msg: 'x' }), 405, 'MethodNotAllowed'],
      ['oversized body', user.post('/app/log/private', { id: 1, msg: 'x'.repeat(2 * 1024 * 1024) }), 413, 'RequestTooLarge'],
      ['bad transaction id', anonymous.get('/node/tx', { query: { transaction_id: 'banana' } }), 400, 'InvalidInput'],
    ];
    for (const [name, pending, status, code] of cases) {
      const response = await pending;
      assert.equal(response.status, status, `${name}: ${JSON.stringify(response.body)}`);
      assert.equal((response.body as { error: { code: string; message: string } }).error.code, code, name);
      assert.ok((response.body as { error: { message: string } }).error.message.length > 0, `${name} has a message`);
    }
    const malformed = spawnSync('curl', ['-s', '--cacert', join(dir, 'service_cert.pem'), '--cert', join(dir, 'user0_cert.pem'), '--key', join(dir, 'user0_privk.pem'),
      `https://${address}/app/log/private`, '-H', 'content-type: application/json', '-d', '{"id": 1, "msg": '], { encoding: 'utf8' });
    assert.equal(JSON.parse(malformed.stdout).error.code, 'MalformedRequest');
    assert.equal(await state(), lastBefore, 'no error case wrote anything');
    assert.equal((await anonymous.get('/node/commit')).status, before.status);
    assert.equal((await stranger.get('/app/log/private', { query: { id: 42 } })).status, 401, 'an unregistered certificate cannot read either');
  });

  it('serves the built-in endpoints and the OpenAPI document', async () => {
    const network = (await anonymous.get('/node/network')).body as { service_certificate: string; service_status: string };
    assert.equal(network.service_certificate, serviceCertificate);
    assert.equal(network.service_status, 'Opening');
    const nodes = (await anonymous.get('/node/network/nodes')).body as { nodes: Array<{ status: string; primary: boolean }> };
    assert.deepEqual(nodes.nodes.map((n) => [n.status, n.primary]), [['Trusted', true]]);
    const metrics = await anonymous.get('/node/metrics');
    assert.match(String(metrics.body), /coco_requests_total\{method="POST",route="\/app\/log\/private",status="200"\}/);
    assert.match(String(metrics.body), /coco_commit_seqno \d+/);
    const api = (await anonymous.get('/app/api')).body as { openapi: string; paths: Record<string, unknown> };
    assert.match(api.openapi, /^3\./);
    for (const path of ['/app/log/private', '/app/log/public', '/app/receipt', '/node/tx']) assert.ok(path in api.paths, `${path} documented`);
  });

  it('shuts down cleanly on SIGTERM, leaving a ledger that verifies and hides private messages', async () => {
    const exited = new Promise<number | null>((resolve) => node.once('exit', (code) => resolve(code)));
    node.kill('SIGTERM');
    assert.equal(await exited, 0, `node log:\n${log}`);
    const verify = spawnSync(process.execPath, [COCO, 'ledger', 'verify', join(dir, 'ledger'), '--json'], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stdout);
    const report = JSON.parse(verify.stdout) as { unsignedTail: number; serviceCertificate: string };
    assert.equal(report.unsignedTail, 0, 'shutdown signed everything');
    assert.equal(report.serviceCertificate, 'from-ledger');
    for (const name of readdirSync(join(dir, 'ledger'))) {
      const bytes = readFileSync(join(dir, 'ledger', name));
      assert.equal(bytes.indexOf(SECRET_MESSAGE), -1, `${name} holds the private message in clear`);
      assert.notEqual(bytes.indexOf('in the clear'), -1, 'public messages are in clear, as designed');
    }
  });
});
