// Who sees what (docs/ethereum.md, "Who sees what"): every user reads the state, but a
// transaction, its receipt and its logs are visible only to the user who submitted it
// and to the readers of the contract (its deployer and whom the deployer names). To
// anyone else they do not exist; and no one without a user certificate gets in at all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Contract, ContractFactory, type ContractTransactionResponse, type JsonRpcProvider, type Wallet } from 'ethers';
import { compileTestToken } from './test-token.js';
import { startEvmService, type EvmTestService } from './evm-fixture.js';

describe('visibility of transactions, receipts and logs', () => {
  let service: EvmTestService;
  /** Alice is the user who deploys and transfers; bob is another registered user. */
  let alice: JsonRpcProvider;
  let bob: JsonRpcProvider;
  let token: Contract;
  let transferHash: string;
  let deployHash: string;

  before(async () => {
    const compiled = compileTestToken();
    service = await startEvmService(2);
    alice = service.provider(service.identities.user);
    bob = service.provider(service.identities.stranger);
    const deployer = service.wallets[0]?.connect(alice) as Wallet;
    const deployed = await new ContractFactory(compiled.abi as never, compiled.bytecode, deployer).deploy('Secret', 'SEC', 1_000_000n);
    deployHash = deployed.deploymentTransaction()?.hash as string;
    await deployed.waitForDeployment();
    token = new Contract(await deployed.getAddress(), compiled.abi as never, deployer);
    const transfer = (await token.getFunction('transfer')(service.wallets[1]?.address, 5n)) as ContractTransactionResponse;
    transferHash = transfer.hash;
    await transfer.wait();
  });

  after(() => service?.close());

  it('shows the submitter its transactions, receipts and logs', async () => {
    assert.equal((await alice.getTransactionReceipt(transferHash))?.status, 1);
    assert.equal((await alice.getTransaction(transferHash))?.hash, transferHash);
    assert.equal((await alice.getLogs({ address: await token.getAddress(), fromBlock: 0 })).length, 2);
  });

  it('hides them from another user, as if they did not exist', async () => {
    assert.equal(await bob.getTransactionReceipt(transferHash), null);
    assert.equal(await bob.getTransactionReceipt(deployHash), null);
    assert.equal(await bob.getTransaction(transferHash), null);
    assert.deepEqual(await bob.getLogs({ address: await token.getAddress(), fromBlock: 0 }), []);
    const block = await bob.getBlock((await alice.getTransactionReceipt(transferHash))?.blockNumber ?? 0);
    assert.deepEqual(block?.transactions, [], 'blocks list only the transactions the caller may see');
  });

  it('lets every user read the state', async () => {
    const bobsView = token.connect(bob);
    assert.equal(await bobsView.getFunction('balanceOf')(service.wallets[1]?.address), 5n);
    assert.equal(await bob.getTransactionCount(service.wallets[0]?.address as string), 2);
  });

  it("shows them to a reader the contract's deployer names, and only the deployer may name one", async () => {
    const address = await token.getAddress();
    const refused = await service.post(service.identities.stranger, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'coco_setContractReaders', params: [address, [service.identities.stranger.id]] }));
    assert.deepEqual((refused.body as { error: { code: number; message: string } }).error, { code: -32000, message: "only the contract's deployer may set its readers" });
    assert.equal(await bob.getTransactionReceipt(transferHash), null);
    const granted = await service.post(service.identities.user, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'coco_setContractReaders', params: [address, [service.identities.stranger.id]] }));
    assert.deepEqual(granted.body, { jsonrpc: '2.0', id: 1, result: true });
    assert.equal((await bob.getTransactionReceipt(transferHash))?.status, 1);
    assert.equal((await bob.getLogs({ address, fromBlock: 0 })).length, 2);
  });

  it('lets in no one without a registered user certificate', async () => {
    const member = await service.post(service.identities.member, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' }));
    assert.equal(member.status, 401);
  });
});
