// The app drives the EVM itself (message-runner.ts) instead of @ethereumjs/vm's runTx;
// this checks it against runTx as an oracle: the same signed transactions (a deployment,
// transfers, a revert, a plain value transfer, calldata above the EIP-7623 floor) give
// the same status, gas used, logs and balances. Also checks intrinsic gas and the
// calldata floor against @ethereumjs/tx over random calldata.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { createTxFromRLP, getCalldataFloorGas } from '@ethereumjs/tx';
import { Account, createAddressFromString } from '@ethereumjs/util';
import { createVM, runTx, type VM } from '@ethereumjs/vm';
import { Interface, Transaction, Wallet } from 'ethers';
import { evmBlock } from '../../../src/apps/evm/blocks.js';
import { gasBounds } from '../../../src/apps/evm/intrinsic-gas.js';
import { compileTestToken } from './test-token.js';
import { CHAIN_ID, GENESIS_BALANCE, startEvmService, type EvmTestService } from './evm-fixture.js';

const common = createCustomCommon({ chainId: CHAIN_ID }, Mainnet, { hardfork: Hardfork.Osaka });

describe('the app against @ethereumjs/vm runTx', () => {
  let service: EvmTestService;
  let vm: VM;
  let alice: Wallet;
  let bob: Wallet;

  before(async () => {
    service = await startEvmService(2);
    [alice, bob] = service.wallets as [Wallet, Wallet];
    vm = await createVM({ common });
    for (const wallet of service.wallets) await vm.stateManager.putAccount(createAddressFromString(wallet.address), new Account(0n, GENESIS_BALANCE));
  });

  after(() => service?.close());

  async function both(raw: string): Promise<void> {
    const answer = await service.post(service.identities.user, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [raw] }));
    const hash = (answer.body as { result: string }).result;
    assert.ok(hash !== undefined, JSON.stringify(answer.body));
    const receipt = (await service.post(service.identities.user, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_getTransactionReceipt', params: [hash] }))).body as { result: { status: string; gasUsed: string; logs: { data: string; topics: string[] }[] } };
    // The app's block header (base fee 0, coinbase zero), as runTx reads it.
    const header = evmBlock(1, 0, 0n).header;
    const block = { header: { ...header, gasUsed: 0n } } as never;
    const expected = await runTx(vm, { tx: createTxFromRLP(Buffer.from(raw.slice(2), 'hex'), { common }), block, skipBlockGasLimitValidation: true, skipHardForkValidation: true });
    assert.equal(BigInt(receipt.result.gasUsed), expected.totalGasSpent, 'gas used');
    assert.equal(Number(receipt.result.status), expected.execResult.exceptionError === undefined ? 1 : 0, 'status');
    assert.deepEqual(receipt.result.logs.map((log) => log.topics.length), (expected.execResult.logs ?? []).map((log) => log[1].length), 'logs');
    for (const wallet of service.wallets) {
      const balance = (await service.post(service.identities.user, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'eth_getBalance', params: [wallet.address, 'latest'] }))).body as { result: string };
      assert.equal(BigInt(balance.result), (await vm.stateManager.getAccount(createAddressFromString(wallet.address)))?.balance, 'balance');
    }
  }

  it('agrees on a deployment, transfers, a revert, a value transfer and big calldata', async () => {
    const token = compileTestToken();
    const abi = new Interface(token.abi as never);
    // A fee, so that balances show gas accounting: the base fee is 0, so all of it is tip.
    const fee = { type: 2, chainId: BigInt(CHAIN_ID), maxFeePerGas: 7n, maxPriorityFeePerGas: 3n } as const;
    await both(await alice.signTransaction({ ...fee, nonce: 0, gasLimit: 2_000_000n, data: token.bytecode + abi.encodeDeploy(['T', 'T', 1000n]).slice(2) }));
    const address = (await service.post(service.identities.user, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['latest', true] }))).body as { result: { transactions: { hash: string }[] } };
    const receipt = (await service.post(service.identities.user, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getTransactionReceipt', params: [address.result.transactions[0]?.hash] }))).body as { result: { contractAddress: string } };
    const to = receipt.result.contractAddress;
    await both(await alice.signTransaction({ ...fee, nonce: 1, to, gasLimit: 100_000n, data: abi.encodeFunctionData('transfer', [bob.address, 10n]) }));
    await both(await bob.signTransaction({ ...fee, nonce: 0, to, gasLimit: 100_000n, data: abi.encodeFunctionData('transfer', [alice.address, 3n]) }));
    await both(await bob.signTransaction({ ...fee, nonce: 1, to, gasLimit: 100_000n, data: abi.encodeFunctionData('transfer', [alice.address, 1000n]) }));
    await both(await alice.signTransaction({ type: 0, chainId: BigInt(CHAIN_ID), gasPrice: 5n, nonce: 2, to: bob.address, value: 12345n, gasLimit: 21_000n }));
    await both(await alice.signTransaction({ ...fee, nonce: 3, to: bob.address, gasLimit: 200_000n, data: `0x${'ab'.repeat(4000)}` }));
  });

  it('computes intrinsic gas and the calldata floor as @ethereumjs/tx does', () => {
    const wallet = Wallet.createRandom();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (data, create) => {
      const unsigned = Transaction.from({ type: 2, chainId: BigInt(CHAIN_ID), nonce: 0, gasLimit: 10_000_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, data: `0x${Buffer.from(data).toString('hex')}`, ...(create ? {} : { to: wallet.address }) });
      unsigned.signature = wallet.signingKey.sign(unsigned.unsignedHash);
      const tx = createTxFromRLP(Buffer.from(unsigned.serialized.slice(2), 'hex'), { common });
      const bounds = gasBounds(data, create, []);
      assert.equal(bounds.intrinsic, tx.getIntrinsicGas());
      assert.equal(bounds.floor, getCalldataFloorGas(tx));
    }), { numRuns: 200 });
  });
});
