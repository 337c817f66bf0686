// `coco sandbox --app evm --nodes 3` as a developer runs it, and ethers pointed at a
// backup: the sandbox writes funded development keys to evm_accounts.json, the backup
// forwards transactions to the primary (and a connection that forwarded reads there
// too), and the ERC-20 deploys, transfers, estimates gas, shows a revert reason and its
// Transfer events; the other backup's read-only endpoint then serves the same state.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Contract, ContractFactory, FetchRequest, JsonRpcProvider, Network, Wallet, type ContractTransactionResponse } from 'ethers';
import { compileTestToken } from './test-token.js';

const COCO = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const READY_LINE = /^Press Ctrl-C to stop\.$/m;
const READY_TIMEOUT_MS = 90_000;

describe('coco sandbox --app evm with three nodes, through a backup', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'coco-evm-sandbox-'));
  const workspace = join(root, 'ws');
  let sandbox: ChildProcess | undefined;
  let output = '';
  const agents: https.Agent[] = [];
  const providers: JsonRpcProvider[] = [];

  function provider(rpc: string, path = '/app/eth'): JsonRpcProvider {
    const agent = new https.Agent({
      ca: readFileSync(join(workspace, 'service_cert.pem')),
      cert: readFileSync(join(workspace, 'user0_cert.pem')),
      key: readFileSync(join(workspace, 'user0_privk.pem')),
      keepAlive: true,
    });
    agents.push(agent);
    const request = new FetchRequest(`https://${rpc}${path}`);
    request.getUrlFunc = FetchRequest.createGetUrlFunc({ agent });
    const made = new JsonRpcProvider(request, Network.from(1337), { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
    providers.push(made);
    return made;
  }

  before(async () => {
    sandbox = spawn(process.execPath, [COCO, 'sandbox', '--app', 'evm', '--nodes', '3', '--port', '0', '--workspace', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
    sandbox.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    sandbox.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!READY_LINE.test(output)) {
      assert.ok(sandbox.exitCode === null, `the sandbox exited:\n${output}`);
      assert.ok(Date.now() < deadline, `the sandbox was not ready in time:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  after(async () => {
    for (const made of providers) made.destroy();
    for (const agent of agents) agent.destroy();
    if (sandbox !== undefined && sandbox.exitCode === null) {
      sandbox.kill('SIGINT');
      await new Promise((resolve) => sandbox?.once('exit', resolve));
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('prints how to connect and writes funded development keys', () => {
    assert.match(output, /Ethereum JSON-RPC at https:\/\/127\.0\.0\.1:\d+\/app\/eth/);
    assert.match(output, /FetchRequest\.createGetUrlFunc/);
    const accounts = JSON.parse(readFileSync(join(workspace, 'evm_accounts.json'), 'utf8')) as { address: string; privateKey: string }[];
    assert.ok(accounts.length >= 2);
    for (const account of accounts) assert.equal(new Wallet(account.privateKey).address, account.address);
  });

  it('deploys, transfers, estimates, reverts and finds events through a backup', async () => {
    const network = JSON.parse(readFileSync(join(workspace, 'network.json'), 'utf8')) as { nodes: { rpc: string }[] };
    const [, backup, otherBackup] = network.nodes.map((node) => node.rpc) as [string, string, string];
    const accounts = JSON.parse(readFileSync(join(workspace, 'evm_accounts.json'), 'utf8')) as { privateKey: string }[];
    const viaBackup = provider(backup);
    const alice = new Wallet(accounts[0]?.privateKey as string, viaBackup);
    const bob = new Wallet(accounts[1]?.privateKey as string, viaBackup);
    assert.equal(await viaBackup.getBalance(alice.address), 10n ** 22n);

    const compiled = compileTestToken();
    const deployed = await new ContractFactory(compiled.abi as never, compiled.bytecode, alice).deploy('Sandbox', 'SBX', 1_000_000n);
    await deployed.waitForDeployment();
    const token = new Contract(await deployed.getAddress(), compiled.abi as never, alice);
    const estimate = await token.getFunction('transfer').estimateGas(bob.address, 250n);
    const receipt = await ((await token.getFunction('transfer')(bob.address, 250n)) as ContractTransactionResponse).wait();
    assert.equal(receipt?.status, 1);
    assert.ok((receipt?.gasUsed ?? 0n) <= estimate);
    assert.equal(await token.getFunction('balanceOf')(bob.address), 250n);
    await assert.rejects(token.connect(bob).getFunction('transfer')(alice.address, 251n) as Promise<unknown>, (error: Error & { reason?: string }) => error.reason === 'TestToken: transfer amount exceeds balance');
    const events = await token.queryFilter(token.filters.Transfer?.(alice.address, bob.address) as never, 0);
    assert.equal(events.length, 1);

    // The other backup's read-only endpoint answers from its own copy once it has caught up.
    const reader = new Contract(await token.getAddress(), compiled.abi as never, provider(otherBackup, '/app/eth/read'));
    const deadline = Date.now() + 10_000;
    while ((await reader.getFunction('balanceOf')(bob.address)) !== 250n) {
      assert.ok(Date.now() < deadline, 'the other backup caught up');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
