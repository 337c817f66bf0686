// An EVM app served in-process by a real RPC server over mutual TLS (test/rpc's
// fixture: a real Store, every commit numbered in view 1), and ethers providers that
// present a user's client certificate, as a Solidity developer would connect them.
import https from 'node:https';
import { FetchRequest, JsonRpcProvider, Network, Wallet } from 'ethers';
import { USER_CERTS_MAP } from '../../../src/gov/service-maps.js';
import { runTransactionSync } from '../../../src/kv/index.js';
import { evmApp } from '../../../src/apps/evm/evm-app.js';
import { createIdentities, startServer, type Identities, type Identity, type Running } from '../../rpc/rpc-fixture.js';

export const CHAIN_ID = 1337;
/** 1,000 ether: plenty for any test. */
export const GENESIS_BALANCE = 10n ** 21n;

export interface EvmTestService {
  readonly identities: Identities;
  readonly running: Running;
  readonly url: string;
  /** Funded in the genesis allocation. */
  readonly wallets: readonly Wallet[];
  /**
   * A provider as `who` (a registered user), on /app/eth unless `path` says otherwise.
   * ethers batches what is sent within 10 ms into one request (so into one block) unless
   * `batchMaxCount` is 1. Its 250 ms cache of identical requests is off: Coco commits
   * faster than that.
   */
  provider(who: Identity, path?: string, batchMaxCount?: number): JsonRpcProvider;
  /** One raw JSON-RPC exchange as `who`. */
  post(who: Identity, body: string, path?: string): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/** Starts the service; `stranger` is registered as a second user (bob to the user's alice). */
export async function startEvmService(walletCount = 4): Promise<EvmTestService> {
  const identities = await createIdentities();
  const wallets = Array.from({ length: walletCount }, () => Wallet.createRandom() as unknown as Wallet);
  const config = {
    chain_id: CHAIN_ID,
    base_fee_per_gas: '0',
    accounts: wallets.map((wallet) => ({ address: wallet.address, balance: GENESIS_BALANCE.toString() })),
  };
  const running = await startServer(identities, evmApp(config));
  runTransactionSync(running.host.store, (tx) => {
    tx.map<string, string>(USER_CERTS_MAP).set(identities.stranger.id, identities.stranger.certificate);
  }, { privileged: true });
  const url = `https://127.0.0.1:${running.port}`;
  const agents: https.Agent[] = [];
  const providers: JsonRpcProvider[] = [];
  const agentFor = (who: Identity): https.Agent => {
    const agent = new https.Agent({ ca: identities.service.certificate, cert: who.certificate, key: who.key, keepAlive: true });
    agents.push(agent);
    return agent;
  };
  return {
    identities,
    running,
    url,
    wallets,
    provider(who, path = '/app/eth', batchMaxCount = 100) {
      const request = new FetchRequest(`${url}${path}`);
      request.getUrlFunc = FetchRequest.createGetUrlFunc({ agent: agentFor(who) });
      const provider = new JsonRpcProvider(request, Network.from(CHAIN_ID), { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1, batchMaxCount });
      providers.push(provider);
      return provider;
    },
    post(who, body, path = '/app/eth') {
      return new Promise((resolve, reject) => {
        const request = https.request(`${url}${path}`, { method: 'POST', agent: agentFor(who), headers: { 'content-type': 'application/json' } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) });
          });
        });
        request.on('error', reject);
        request.end(body);
      });
    },
    async close() {
      for (const provider of providers) provider.destroy();
      for (const agent of agents) agent.destroy();
      await running.server.close();
    },
  };
}
