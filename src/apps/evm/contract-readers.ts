// coco_setContractReaders [contract, [userId...]]: the deployer of a contract names the
// Coco users (certificate ids, as /gov and /node list them) who may read its logs and
// the receipts of transactions calling it (visibility.ts), replacing the list. Only the
// deployer may; the readers may not name others.
import type { RequestScope } from './evm-context.js';
import { contractReadersMax } from './evm-limits.js';
import { parseAddress } from './hex.js';
import { invalidParams, rejected } from './rpc-error.js';

const USER_ID = /^[0-9a-f]{64}$/;

export function setContractReaders(scope: RequestScope, params: readonly unknown[]): boolean {
  if (params.length !== 2) throw invalidParams('expected params [contractAddress, [userId, ...]]');
  const address = parseAddress(params[0], 'contractAddress');
  const readers = params[1];
  if (!Array.isArray(readers) || readers.length > contractReadersMax || !readers.every((reader) => typeof reader === 'string' && USER_ID.test(reader))) {
    throw invalidParams(`the readers must be an array of at most ${contractReadersMax} user ids (64 lowercase hex digits)`);
  }
  const contract = scope.maps.contracts.get(address);
  if (contract === undefined) throw rejected('no contract was created at this address');
  if (contract.deployer !== scope.caller) throw rejected("only the contract's deployer may set its readers");
  scope.maps.contracts.set(address, { deployer: contract.deployer, readers: [...new Set(readers as string[])] });
  return true;
}
