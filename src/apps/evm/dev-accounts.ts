// Development accounts for `coco sandbox --app evm`: fresh keys, funded in the genesis
// allocation like a Hardhat or Anvil node's, written where the developer can load them
// (DIR/evm_accounts.json). For development networks only: the keys sit in a file.
import { randomBytes } from 'node:crypto';
import { bytesToHex, privateToAddress, toChecksumAddress } from '@ethereumjs/util';
import type { EvmAppConfig } from './evm-config.js';

export interface DevAccount {
  readonly address: string;
  readonly privateKey: string;
}

export const DEV_ACCOUNT_COUNT = 10;
/** 10,000 ether each, as Hardhat funds its accounts. */
export const DEV_ACCOUNT_BALANCE_WEI = (10n ** 22n).toString();

export function makeDevAccounts(count = DEV_ACCOUNT_COUNT): DevAccount[] {
  return Array.from({ length: count }, () => {
    const key = randomBytes(32);
    return { address: toChecksumAddress(bytesToHex(privateToAddress(key))), privateKey: bytesToHex(key) };
  });
}

/** The app configuration that funds `accounts`. */
export function devEvmConfig(accounts: readonly DevAccount[], chainId = 1337): EvmAppConfig {
  return { chain_id: chainId, base_fee_per_gas: '0', accounts: accounts.map(({ address }) => ({ address, balance: DEV_ACCOUNT_BALANCE_WEI })) };
}
