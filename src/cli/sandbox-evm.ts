// What `coco sandbox --app evm` adds: funded development accounts, their keys written to
// DIR/evm_accounts.json (`[{"address", "privateKey"}]`), and how to point ethers at the
// network over mutual TLS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devEvmConfig, makeDevAccounts } from '../apps/evm/dev-accounts.js';
import { ETH_PATH } from '../apps/evm/evm-app.js';
import type { EvmConfig } from '../node/node-config.js';

export const EVM_ACCOUNTS_FILE = 'evm_accounts.json';

/** Makes and writes the development accounts; the nodes' `evm` configuration funds them. */
export function writeEvmAccounts(workspace: string): EvmConfig {
  const accounts = makeDevAccounts();
  writeFileSync(join(workspace, EVM_ACCOUNTS_FILE), `${JSON.stringify(accounts, null, 2)}\n`, { mode: 0o600 });
  return devEvmConfig(accounts);
}

export function printEvmHowTo(url: string, files: { serviceCertificate: string; certificate: string; privateKey: string }, accountsFile: string): void {
  console.log(`Ethereum JSON-RPC at ${url}${ETH_PATH} (chain id 1337), as user0 over mutual TLS; funded keys in ${accountsFile}. With ethers 6:`);
  console.log(`  const agent = new https.Agent({ ca: readFileSync('${files.serviceCertificate}'), cert: readFileSync('${files.certificate}'), key: readFileSync('${files.privateKey}'), keepAlive: true });`);
  console.log(`  const request = new FetchRequest('${url}${ETH_PATH}'); request.getUrlFunc = FetchRequest.createGetUrlFunc({ agent });`);
  console.log('  const provider = new JsonRpcProvider(request, 1337, { staticNetwork: true, cacheTimeout: -1 });');
  console.log(`  const wallet = new Wallet(JSON.parse(readFileSync('${accountsFile}', 'utf8'))[0].privateKey, provider);`);
}
