// The load generator of the `evm` benchmark, its own process (as bench/logging-load.ts):
// deploys the test ERC-20 from a sandbox development account, gives tokens to `lanes`
// fresh sender accounts, pre-signs each sender's transfers (to the next sender, nonces in
// order) before the clock starts, then sends them as eth_sendRawTransaction over
// pipelined HTTP/1.1 connections, one closed loop per sender, and waits until all that
// were acknowledged are committed. Prints one JSON object on stdout.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Interface, Signature, Transaction, Wallet, computeAddress, hexlify, randomBytes } from 'ethers';
import { compileTestToken } from '../test/apps/evm/test-token.js';
import { openSession, prepare, type LoadSession, type LoadTls, type PreparedRequest } from './load-session.js';

export interface EvmLoadResult {
  readonly transfers: number;
  readonly transferSeconds: number;
  readonly commitSeconds: number;
  readonly latencyMs: number[];
  readonly errors: number;
  /** The first error message seen, to explain `errors`. */
  readonly firstError?: string;
  readonly loadCpuSeconds: number;
  /** Senders that ran out of pre-signed transfers before the time was up. */
  readonly lanesExhausted: number;
}

interface NativeSecp256k1 {
  ecdsaSign(message: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
}
// Signing in the load process with libsecp256k1: ethers' JavaScript signer would take longer than the run.
const secp256k1 = createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp256k1;

const CHAIN_ID = 1337n;
/** Enough for the highest rate a 2-core machine could reach, for the whole run. */
const TRANSFERS_PER_SECOND_MAX = 3_000;

function sign(privateKey: Uint8Array, fields: Record<string, unknown>): string {
  const tx = Transaction.from({ type: 2, chainId: CHAIN_ID, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, ...fields });
  const { signature, recid } = secp256k1.ecdsaSign(Buffer.from(tx.unsignedHash.slice(2), 'hex'), privateKey);
  tx.signature = Signature.from({ r: hexlify(signature.subarray(0, 32)), s: hexlify(signature.subarray(32)), v: 27 + recid });
  return tx.serialized;
}

function rpc(id: number, method: string, params: unknown[]): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

async function call(session: LoadSession, method: string, params: unknown[]): Promise<unknown> {
  const response = await session.send(prepare('POST', '/app/eth', Buffer.from(rpc(1, method, params))));
  const body = JSON.parse(response.body.toString()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

async function waitForReceipt(session: LoadSession, hash: string): Promise<{ contractAddress: string | null; status: string }> {
  for (;;) {
    const receipt = (await call(session, 'eth_getTransactionReceipt', [hash])) as { contractAddress: string | null; status: string } | null;
    if (receipt !== null) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Deploys the token and funds `lanes` senders with it; their keys and the token's address. */
async function setUp(session: LoadSession, funder: Wallet, lanes: number): Promise<{ token: string; keys: Uint8Array[] }> {
  const compiled = compileTestToken();
  const abi = new Interface(compiled.abi as never);
  const funderKey = Buffer.from(funder.privateKey.slice(2), 'hex');
  let nonce = Number(await call(session, 'eth_getTransactionCount', [funder.address, 'latest']));
  const deployment = sign(funderKey, { nonce: nonce++, gasLimit: 3_000_000n, data: compiled.bytecode + abi.encodeDeploy(['Bench', 'BEN', 10n ** 30n]).slice(2) });
  const deployed = await waitForReceipt(session, (await call(session, 'eth_sendRawTransaction', [deployment])) as string);
  if (deployed.status !== '0x1' || deployed.contractAddress === null) throw new Error('the token deployment failed');
  const token = deployed.contractAddress;
  const keys = Array.from({ length: lanes }, () => randomBytes(32));
  const batch = keys.map((key, index) => rpc(index, 'eth_sendRawTransaction', [sign(funderKey, { nonce: nonce++, to: token, gasLimit: 100_000n, data: abi.encodeFunctionData('transfer', [computeAddress(hexlify(key)), 10n ** 24n]) })]));
  const funded = JSON.parse((await session.send(prepare('POST', '/app/eth', Buffer.from(`[${batch.join(',')}]`)))).body.toString()) as { result?: string; error?: { message: string } }[];
  const failed = funded.find((item) => item.error !== undefined);
  if (failed !== undefined) throw new Error(`funding the senders failed: ${failed.error?.message}`);
  await waitForReceipt(session, funded[funded.length - 1]?.result as string);
  return { token, keys };
}

async function runEvmLoad(url: string, tls: LoadTls, funder: Wallet, durationS: number, lanes: number, connections: number): Promise<EvmLoadResult> {
  const sessions = await Promise.all(Array.from({ length: connections }, () => openSession('http1', url, tls)));
  const pollSession = await openSession('http1', url, tls);
  const { token, keys } = await setUp(pollSession, funder, lanes);
  const abi = new Interface(compileTestToken().abi as never);
  const perLane = Math.ceil((TRANSFERS_PER_SECOND_MAX * durationS) / lanes);
  const addresses = keys.map((key) => computeAddress(hexlify(key)));
  const prepared: PreparedRequest[][] = keys.map((key, lane) => {
    const data = abi.encodeFunctionData('transfer', [addresses[(lane + 1) % lanes], 1n]);
    return Array.from({ length: perLane }, (_, nonce) => prepare('POST', '/app/eth', Buffer.from(rpc(nonce, 'eth_sendRawTransaction', [sign(key, { nonce, to: token, gasLimit: 100_000n, data })]))));
  });

  const latencyMs: number[] = [];
  let transfers = 0;
  let errors = 0;
  let firstError: string | undefined;
  let lastSeqno = 0;
  let lanesExhausted = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + durationS * 1000;
  await Promise.all(prepared.map(async (requests, lane) => {
    const session = sessions[lane % sessions.length] as LoadSession;
    let index = 0;
    for (; index < requests.length && performance.now() < end; index += 1) {
      const sent = performance.now();
      const response = await session.send(requests[index] as PreparedRequest);
      const body = JSON.parse(response.body.toString()) as { result?: string; error?: { message: string } };
      if (response.status !== 200 || body.result === undefined || response.txId === undefined) {
        errors += 1;
        firstError ??= `${response.status} ${response.body.toString().slice(0, 300)}`;
        // A refused transfer leaves its nonce unused: this sender's later ones cannot run.
        break;
      }
      transfers += 1;
      latencyMs.push(performance.now() - sent);
      lastSeqno = Math.max(lastSeqno, Number(response.txId.split('.')[1]));
    }
    if (index === requests.length) lanesExhausted += 1;
  }));
  const transferSeconds = (performance.now() - start) / 1000;
  for (;;) {
    const response = await pollSession.send(prepare('GET', '/node/commit'));
    const committed = Number(String((JSON.parse(response.body.toString()) as { transaction_id: string }).transaction_id).split('.')[1]);
    if (committed >= lastSeqno || performance.now() - start > (durationS + 30) * 1000) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const commitSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  for (const session of [...sessions, pollSession]) session.close();
  return { transfers, transferSeconds, commitSeconds, latencyMs, errors, ...(firstError === undefined ? {} : { firstError }), loadCpuSeconds: (cpu.user + cpu.system) / 1e6, lanesExhausted };
}

const [url, workspace, durationS, lanes, connections] = process.argv.slice(2);
if (url === undefined || workspace === undefined) {
  console.error('usage: evm-load URL WORKSPACE DURATION_S LANES CONNECTIONS');
  process.exit(2);
}
{
  const accounts = JSON.parse(readFileSync(`${workspace}/evm_accounts.json`, 'utf8')) as { privateKey: string }[];
  // Each run funds its senders from its own development account, so runs never share a nonce.
  const runIndex = Number(process.env.COCO_BENCH_RUN ?? '0');
  const funder = new Wallet(accounts[runIndex % accounts.length]?.privateKey as string);
  const tls: LoadTls = {
    ca: readFileSync(`${workspace}/service_cert.pem`, 'utf8'),
    cert: readFileSync(`${workspace}/user0_cert.pem`, 'utf8'),
    key: readFileSync(`${workspace}/user0_privk.pem`, 'utf8'),
  };
  const result = await runEvmLoad(url, tls, funder, Number(durationS ?? 10), Number(lanes ?? 64), Number(connections ?? 4));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
