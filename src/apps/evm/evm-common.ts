// The chain rules the app runs: Ethereum's Osaka hardfork (solc's default EVM version)
// on the service's own chain id, with native sender recovery. One Common per app, shared
// by the EVM instances and every decoded transaction.
//
// Why a subclass: @ethereumjs/tx copies its Common for every transaction and merges the
// transaction parameters into the copy again (a JSON deep copy of every EIP's table and
// a rebuilt cache: the "deep-copies chain parameters" of issue 6, about half of decoding
// a transaction). The rules here never change after start, so a copy is the instance
// itself, and a parameter table already merged is not merged again.
import { Common, Hardfork, Mainnet, type ParamsDict } from '@ethereumjs/common';
import { ecrecover } from './sender-recovery.js';

export const EVM_HARDFORK = Hardfork.Osaka;

class FixedRulesCommon extends Common {
  /** Parameter tables merged so far (public field: Common's own copy() would drop a #private one). */
  readonly mergedParams = new WeakSet<ParamsDict>();

  override copy(): Common {
    return this;
  }

  override updateParams(params: ParamsDict): void {
    if (this.mergedParams.has(params)) return;
    super.updateParams(params);
    this.mergedParams.add(params);
  }
}

export function createEvmCommon(chainId: bigint): Common {
  return new FixedRulesCommon({ chain: { ...Mainnet, chainId: Number(chainId), name: 'coco' }, hardfork: EVM_HARDFORK, customCrypto: { ecrecover } });
}
