// Who may read what (docs/ethereum.md, "Who sees what"). The state (balances, nonces,
// code, storage) is the network's: any user may read it, and no one outside the network
// can (the maps are private, so encrypted in the ledger). A transaction, its receipt and
// its logs are the business of the parties to it: the Coco user who submitted it, and
// the readers of a contract it touched: the user who deployed the contract and the users
// the deployer named (coco_setContractReaders). A log is visible to its transaction's
// submitter and to the readers of the contract that emitted it; a transaction and its
// receipt to its submitter and the readers of the contract it called or created. To
// anyone else they do not exist: lookups answer null, as for an unknown hash.
import { bytesKey } from './byte-keys.js';
import type { ContractRecord, EthMaps, LogRecord, TransactionRecord } from './state-maps.js';

export class Visibility {
  readonly #maps: EthMaps;
  readonly #caller: string;
  readonly #contracts = new Map<string, ContractRecord | undefined>();

  constructor(maps: EthMaps, caller: string) {
    this.#maps = maps;
    this.#caller = caller;
  }

  transaction(record: TransactionRecord): boolean {
    if (record.submitter === this.#caller) return true;
    const contract = record.to ?? record.contractAddress;
    return contract !== null && this.#reads(contract);
  }

  log(record: TransactionRecord, log: LogRecord): boolean {
    return record.submitter === this.#caller || this.#reads(log[0]);
  }

  #reads(address: Uint8Array): boolean {
    const addressKey = bytesKey(address);
    if (!this.#contracts.has(addressKey)) this.#contracts.set(addressKey, this.#maps.contracts.get(address));
    const contract = this.#contracts.get(addressKey);
    return contract !== undefined && (contract.deployer === this.#caller || contract.readers.includes(this.#caller));
  }
}
