// A Solidity developer's day on Coco, with real tools: an ERC-20 compiled by solc-js and
// driven by ethers over mutual TLS: deploy, transfer, read balances, find Transfer events
// with eth_getLogs, see a revert reason, estimate gas; then the chain as ethers sees it
// (blocks, receipts, transactions), several transactions in one block, and many senders
// at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Contract, ContractFactory, type ContractTransactionResponse, type Wallet } from 'ethers';
import { compileTestToken, type CompiledContract } from './test-token.js';
import { CHAIN_ID, GENESIS_BALANCE, startEvmService, type EvmTestService } from './evm-fixture.js';

const SUPPLY = 10n ** 24n;

describe('an ERC-20 on Coco through ethers', () => {
  let service: EvmTestService;
  let compiled: CompiledContract;
  let alice: Wallet;
  let bob: Wallet;
  let token: Contract;

  before(async () => {
    compiled = compileTestToken();
    service = await startEvmService(6);
    const provider = service.provider(service.identities.user);
    alice = service.wallets[0]?.connect(provider) as Wallet;
    bob = service.wallets[1]?.connect(provider) as Wallet;
  });

  after(() => service?.close());

  it('reports the chain and the genesis allocation', async () => {
    const provider = alice.provider;
    assert.ok(provider !== null);
    assert.equal((await provider.getNetwork()).chainId, BigInt(CHAIN_ID));
    assert.equal(await provider.getBlockNumber(), 0);
    assert.equal(await provider.getBalance(alice.address), GENESIS_BALANCE);
    const genesis = await provider.getBlock(0);
    assert.ok(genesis !== null);
    assert.equal(genesis.number, 0);
    assert.equal(genesis.transactions.length, 0);
  });

  it('deploys the token and mints the supply to the deployer', async () => {
    const factory = new ContractFactory(compiled.abi as never, compiled.bytecode, alice);
    const deployed = await factory.deploy('Coco Token', 'COCO', SUPPLY);
    const receipt = await deployed.deploymentTransaction()?.wait();
    assert.equal(receipt?.status, 1);
    token = new Contract(await deployed.getAddress(), compiled.abi as never, alice);
    assert.equal(receipt?.contractAddress, await token.getAddress());
    assert.notEqual(await alice.provider?.getCode(await token.getAddress()), '0x');
    assert.equal(await token.getFunction('balanceOf')(alice.address), SUPPLY);
    assert.equal(await token.getFunction('symbol')(), 'COCO');
    assert.equal(await alice.provider?.getTransactionCount(alice.address), 1);
    assert.equal(receipt?.blockNumber, 1);
  });

  it('transfers, and balances and Transfer events show it', async () => {
    const transfer = (await token.getFunction('transfer')(bob.address, 1234n)) as ContractTransactionResponse;
    const receipt = await transfer.wait();
    assert.equal(receipt?.status, 1);
    assert.equal(await token.getFunction('balanceOf')(bob.address), 1234n);
    assert.equal(await token.getFunction('balanceOf')(alice.address), SUPPLY - 1234n);
    const events = await token.queryFilter(token.filters.Transfer?.(alice.address, bob.address) as never, 0, 'latest');
    assert.equal(events.length, 1);
    const [event] = events as unknown as { args: { from: string; to: string; value: bigint }; transactionHash: string; blockNumber: number }[];
    assert.deepEqual([event?.args.from, event?.args.to, event?.args.value], [alice.address, bob.address, 1234n]);
    assert.equal(event?.transactionHash, transfer.hash);
    // Filters by topic: mints (from the zero address) are one other event.
    const mints = await token.queryFilter(token.filters.Transfer?.('0x0000000000000000000000000000000000000000') as never, 0);
    assert.equal(mints.length, 1);
  });

  it('shows the revert reason in the client and changes nothing', async () => {
    const before = await token.getFunction('balanceOf')(bob.address);
    const nonce = await alice.getNonce();
    await assert.rejects(token.connect(bob).getFunction('transfer')(alice.address, before + 1n) as Promise<unknown>, (error: Error & { reason?: string; code?: string }) => {
      assert.equal(error.code, 'CALL_EXCEPTION');
      assert.equal(error.reason, 'TestToken: transfer amount exceeds balance');
      return true;
    });
    assert.equal(await token.getFunction('balanceOf')(bob.address), before);
    assert.equal(await alice.getNonce(), nonce);
  });

  it('estimates gas the transfer then uses, and a reverted transaction is mined with status 0', async () => {
    const transfer = token.getFunction('transfer');
    const estimate = await transfer.estimateGas(service.wallets[2]?.address, 10n);
    const sent = (await transfer(service.wallets[2]?.address, 10n, { gasLimit: estimate })) as ContractTransactionResponse;
    const receipt = await sent.wait();
    assert.equal(receipt?.status, 1);
    assert.ok(receipt !== null && receipt.gasUsed <= estimate, `used ${receipt?.gasUsed} within the estimate ${estimate}`);
    assert.ok(estimate - (receipt?.gasUsed ?? 0n) < estimate / 20n, `estimate ${estimate} is within 5% of the ${receipt?.gasUsed} used`);
    // With an explicit gas limit nothing is simulated first: the transaction runs, reverts, and is kept.
    const doomed = (await token.connect(bob).getFunction('transfer')(alice.address, 10n ** 30n, { gasLimit: 100_000n })) as ContractTransactionResponse;
    await assert.rejects(doomed.wait(), (error: Error & { code?: string; receipt?: { status: number } }) => error.code === 'CALL_EXCEPTION' && error.receipt?.status === 0);
  });

  it('answers blocks, transactions and receipts as ethers expects them', async () => {
    const provider = alice.provider;
    assert.ok(provider !== null);
    const head = await provider.getBlock('latest', true);
    assert.ok(head !== null && head.number === (await provider.getBlockNumber()));
    const parent = await provider.getBlock(head.number - 1);
    assert.equal(head.parentHash, parent?.hash);
    const [hash] = head.transactions;
    assert.ok(hash !== undefined);
    const byHash = await provider.getBlock(head.hash as string);
    assert.equal(byHash?.number, head.number);
    const transaction = await provider.getTransaction(hash);
    assert.equal(transaction?.blockNumber, head.number);
    assert.equal(transaction?.from, bob.address);
    const receipt = await provider.getTransactionReceipt(hash);
    assert.equal(receipt?.blockHash, head.hash);
    assert.equal(receipt?.index, 0);
    assert.ok((head.timestamp ?? 0) >= (parent?.timestamp ?? 0));
    assert.equal(await provider.getTransactionReceipt(`0x${'ab'.repeat(32)}`), null);
    const fees = await provider.getFeeData();
    assert.equal(fees.gasPrice, 0n);
  });

  it('runs a JSON-RPC batch of transactions as one block, in order', async () => {
    const sender = service.wallets[3]?.connect(alice.provider) as Wallet;
    const nonce = await sender.getNonce();
    const connected = token.connect(sender);
    await (await (token.getFunction('transfer')(sender.address, 100n) as Promise<ContractTransactionResponse>)).wait();
    const signed = await Promise.all([0, 1, 2].map(async (offset) => sender.signTransaction(await connected.getFunction('transfer').populateTransaction(bob.address, 1n).then((request) => ({
      ...request, nonce: nonce + offset, gasLimit: 100_000n, chainId: BigInt(CHAIN_ID), maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, type: 2,
    })))));
    const answer = await service.post(service.identities.user, JSON.stringify(signed.map((raw, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [raw] }))));
    const responses = answer.body as { id: number; result?: string; error?: unknown }[];
    assert.deepEqual(responses.map((response) => [response.id, response.error]), [[0, undefined], [1, undefined], [2, undefined]]);
    const receipts = await Promise.all(responses.map((response) => alice.provider?.getTransactionReceipt(response.result as string)));
    assert.deepEqual(receipts.map((receipt) => receipt?.index), [0, 1, 2]);
    assert.equal(new Set(receipts.map((receipt) => receipt?.blockNumber)).size, 1);
    assert.deepEqual(receipts.map((receipt) => receipt?.logs[0]?.index), [0, 1, 2]);
  });

  it('takes transfers from many senders at once, each request in its own block', async () => {
    // One request per transaction, all in flight together.
    const provider = service.provider(service.identities.user, '/app/eth', 1);
    const senders = service.wallets.slice(2, 6).map((wallet) => wallet.connect(provider));
    for (const sender of senders) await (await (token.getFunction('transfer')(sender.address, 1000n) as Promise<ContractTransactionResponse>)).wait();
    const before = await token.getFunction('balanceOf')(bob.address);
    const first = await provider.getBlockNumber();
    const sent = await Promise.all(senders.flatMap((sender) => [0, 1, 2].map(async (offset) => {
      const nonce = (await provider.getTransactionCount(sender.address)) + offset;
      const request = await token.connect(sender).getFunction('transfer').populateTransaction(bob.address, 1n);
      return provider.broadcastTransaction(await sender.signTransaction({ ...request, nonce, gasLimit: 100_000n, chainId: BigInt(CHAIN_ID), maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, type: 2 }));
    })).map((sending, index) => sending.catch((error: Error) => ({ error, index }))));
    // A sender's later nonces may arrive before its earlier ones and be refused: Coco keeps no queue.
    const accepted = sent.filter((result): result is Awaited<ReturnType<typeof provider.broadcastTransaction>> => !('error' in result));
    assert.ok(accepted.length >= senders.length, `at least one transfer per sender went through (${accepted.length})`);
    const receipts = await Promise.all(accepted.map((response) => response.wait()));
    const blocks = receipts.map((receipt) => receipt?.blockNumber ?? 0).sort((a, b) => a - b);
    assert.deepEqual(blocks, Array.from({ length: blocks.length }, (_, index) => first + 1 + index), 'one block each, numbered without gaps');
    assert.equal(await token.getFunction('balanceOf')(bob.address), before + BigInt(accepted.length));
  });
});
