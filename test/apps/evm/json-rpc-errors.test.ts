// Bad input gets the JSON-RPC error Ethereum clients expect and changes nothing: a body
// that is not JSON, a request that is not one, an unknown method, bad params, and
// transactions with a bad signature, another chain's id, a used or future nonce, too
// little gas or too little balance. Each refused request leaves the store's version
// where it was.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Transaction, Wallet, type TransactionLike } from 'ethers';
import { CHAIN_ID, GENESIS_BALANCE, startEvmService, type EvmTestService } from './evm-fixture.js';

interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: string;
}

describe('bad input to the EVM app', () => {
  let service: EvmTestService;
  let wallet: Wallet;
  const to = `0x${'42'.repeat(20)}`;

  const transfer = (overrides: Partial<TransactionLike> = {}): Promise<string> =>
    wallet.signTransaction({ type: 2, chainId: BigInt(CHAIN_ID), nonce: 0, to, value: 1n, gasLimit: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, ...overrides });

  async function call(method: string, params: unknown[], path?: string): Promise<{ result?: unknown; error?: RpcError }> {
    const answer = await service.post(service.identities.user, JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }), path);
    assert.equal(answer.status, 200);
    return answer.body as { result?: unknown; error?: RpcError };
  }

  /** Runs `request`, and checks that it wrote nothing. */
  async function refused(method: string, params: unknown[], code: number, message: RegExp, path?: string): Promise<RpcError> {
    const version = service.running.host.store.version;
    const { error } = await call(method, params, path);
    assert.ok(error !== undefined, `${method} was refused`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    assert.equal(service.running.host.store.version, version, `${method} changed nothing`);
    return error;
  }

  before(async () => {
    service = await startEvmService(1);
    wallet = service.wallets[0] as Wallet;
    assert.ok((await call('eth_sendRawTransaction', [await transfer()])).result !== undefined, 'one transaction ran');
  });

  after(() => service?.close());

  it('answers a malformed envelope per JSON-RPC 2.0', async () => {
    const notJson = await service.post(service.identities.user, '{"jsonrpc": "2.0", "method": ');
    assert.deepEqual([notJson.status, (notJson.body as { id: unknown; error: RpcError }).id, (notJson.body as { error: RpcError }).error.code], [200, null, -32700]);
    const empty = await service.post(service.identities.user, '[]');
    assert.equal((empty.body as { error: RpcError }).error.code, -32600);
    const wrongVersion = await service.post(service.identities.user, '{"jsonrpc":"1.0","id":3,"method":"eth_chainId"}');
    assert.deepEqual(wrongVersion.body, { jsonrpc: '2.0', id: 3, error: { code: -32600, message: 'jsonrpc must be "2.0"' } });
    const namedParams = await service.post(service.identities.user, '{"jsonrpc":"2.0","id":4,"method":"eth_getBalance","params":{"address":"0x00"}}');
    assert.equal((namedParams.body as { error: RpcError }).error.code, -32602);
    const notification = await service.post(service.identities.user, '{"jsonrpc":"2.0","method":"eth_chainId"}');
    assert.deepEqual([notification.status, notification.body], [204, undefined]);
    const batch = await service.post(service.identities.user, '[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}, 5, {"jsonrpc":"2.0","id":2,"method":"eth_nope"}]');
    assert.deepEqual((batch.body as { id: unknown; result?: unknown; error?: RpcError }[]).map((item) => [item.id, item.result ?? item.error?.code]), [[1, '0x539'], [null, -32600], [2, -32601]]);
  });

  it('refuses unknown methods and bad params', async () => {
    await refused('eth_mining', [], -32601, /eth_mining/);
    await refused('eth_getBalance', ['0x1234'], -32602, /address/);
    await refused('eth_getBalance', [], -32602, /expected params/);
    await refused('eth_getBlockByNumber', ['latest'], -32602, /expected params/);
    await refused('eth_getBlockByNumber', ['soon', false], -32602, /block/);
    await refused('eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x1', topics: ['0x12'] }], -32602, /topics\[0\]/);
    await refused('eth_call', [{ to, value: 'lots' }], -32602, /value/);
    await refused('eth_getBalance', [wallet.address, '0x0'], -32000, /historical state is not available/);
    await refused('eth_sendRawTransaction', ['0xdeadbeef'], -32602, /invalid raw transaction/);
    await refused('eth_sendRawTransaction', [], -32602, /expected params/);
  });

  it('refuses a bad signature, another chain, an unprotected transaction and an unsupported type', async () => {
    let raw = Buffer.from((await transfer({ nonce: 1 })).slice(2), 'hex');
    for (let nonce = 2; raw[raw.length - 33] !== 0xa0; nonce += 1) raw = Buffer.from((await transfer({ nonce })).slice(2), 'hex');
    raw.fill(0xff, raw.length - 32);
    await refused('eth_sendRawTransaction', [`0x${raw.toString('hex')}`], -32000, /^invalid sender/);
    await refused('eth_sendRawTransaction', [await transfer({ nonce: 1, chainId: 5n })], -32000, /^invalid chain id for signer/);
    const unprotected = Transaction.from({ type: 0, nonce: 1, to, value: 1n, gasLimit: 21_000n, gasPrice: 0n });
    unprotected.signature = wallet.signingKey.sign(unprotected.unsignedHash);
    await refused('eth_sendRawTransaction', [unprotected.serialized], -32000, /replay-protected/);
    await refused('eth_sendRawTransaction', ['0x05c0'], -32000, /transaction type not supported/);
  });

  it('refuses a used nonce, a future nonce, too little gas and too little balance', async () => {
    await refused('eth_sendRawTransaction', [await transfer()], -32000, /^already known/);
    await refused('eth_sendRawTransaction', [await transfer({ value: 2n })], -32000, /^nonce too low: .* tx: 0 state: 1/);
    await refused('eth_sendRawTransaction', [await transfer({ nonce: 5 })], -32000, /^nonce too high/);
    await refused('eth_sendRawTransaction', [await transfer({ nonce: 1, gasLimit: 20_000n })], -32000, /^intrinsic gas too low: gas 20000, minimum needed 21000/);
    await refused('eth_sendRawTransaction', [await transfer({ nonce: 1, value: GENESIS_BALANCE })], -32000, /^insufficient funds for gas \* price \+ value/);
    const broke = Wallet.createRandom();
    const fromBroke = await broke.signTransaction({ type: 2, chainId: BigInt(CHAIN_ID), nonce: 0, to, value: 0n, gasLimit: 21_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
    await refused('eth_sendRawTransaction', [fromBroke], -32000, /^insufficient funds/);
    assert.equal((await call('eth_getTransactionCount', [wallet.address, 'latest'])).result, '0x1');
  });

  it('refuses transactions on the read-only endpoint, which answers reads', async () => {
    await refused('eth_sendRawTransaction', [await transfer({ nonce: 1 })], -32601, /read methods only/, '/app/eth/read');
    assert.equal((await call('eth_getTransactionCount', [wallet.address, 'latest'], '/app/eth/read')).result, '0x1');
  });

  it('answers a call that reverts with code 3 and the revert data', async () => {
    // Init code that reverts with Error("no"): PUSH the ABI-encoded reason into memory and REVERT.
    const reason = '08c379a0' + '20'.padStart(64, '0') + '2'.padStart(64, '0') + Buffer.from('no').toString('hex').padEnd(64, '0');
    const store = (offset: number, word: string): string => `7f${word}60${offset.toString(16).padStart(2, '0')}52`;
    const words = reason.padEnd(Math.ceil(reason.length / 64) * 64, '0').match(/.{64}/g) as string[];
    const initCode = `0x${words.map((word, index) => store(index * 32, word)).join('')}60${(reason.length / 2).toString(16).padStart(2, '0')}6000fd`;
    const error = await refused('eth_call', [{ from: wallet.address, data: initCode }], 3, /^execution reverted: no$/);
    assert.equal(error.data, `0x${reason}`);
    await refused('eth_estimateGas', [{ from: wallet.address, data: initCode }], 3, /^execution reverted: no$/);
  });
});
