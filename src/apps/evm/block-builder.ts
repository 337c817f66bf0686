// The write path: the signed transactions of one request run, in order, as the next
// block, inside the request's Coco transaction. Each is checked (transaction-checks.ts)
// and run (message-runner.ts); a refused one gets its error and changes nothing, the
// others go on. If any ran, the block is written: state changes, a record per
// transaction (with its receipt), the block, its hash, the head, and the deployer of each
// contract created. Before the first block, the genesis allocation and block 0 are
// written with it.
import { bytesKey } from './byte-keys.js';
import type { RequestScope } from './evm-context.js';
import { blockGasLimit } from './evm-limits.js';
import { blockHash } from './blocks.js';
import { checkTransaction } from './transaction-checks.js';
import { runMessage } from './message-runner.js';
import type { SignedTransaction } from './raw-transaction.js';
import { JsonRpcError, rejected } from './rpc-error.js';
import { HEAD_KEY, type TransactionRecord } from './state-maps.js';

/** Per transaction: its hash if it ran (even if it reverted), else why it was refused. */
export type BlockOutcome = readonly (Uint8Array | JsonRpcError)[];

export async function buildBlock(scope: RequestScope, submitter: string, transactions: readonly SignedTransaction[]): Promise<{ outcome: BlockOutcome; wrote: boolean }> {
  const { settings } = scope.context;
  const { maps } = scope;
  const parent = scope.head;
  const genesisPending = scope.genesisPending;
  const { number, timestamp } = scope.next;
  const state = scope.newStateManager();
  const records: { hash: Uint8Array; record: TransactionRecord }[] = [];
  const created: Uint8Array[] = [];
  const seen = new Set<string>();
  let gasUsed = 0n;
  let logCount = 0;

  const outcome = await scope.withEvm(state, async (environment) => {
    const results: (Uint8Array | JsonRpcError)[] = [];
    for (const signed of transactions) {
      try {
        const hashKey = bytesKey(signed.hash);
        if (seen.has(hashKey) || maps.transactions.has(signed.hash)) throw rejected('already known');
        if (gasUsed + signed.transaction.gasLimit > blockGasLimit) throw rejected(`exceeds block gas limit: ${blockGasLimit - gasUsed} gas left in this block; send the transaction in another request`);
        const message = await checkTransaction(signed, state, settings.baseFeePerGas);
        const ran = await runMessage(environment, message);
        seen.add(hashKey);
        gasUsed += ran.gasUsed;
        const createdAddress = ran.createdAddress ?? null;
        created.push(...ran.contractsCreated);
        records.push({
          hash: signed.hash,
          record: {
            raw: signed.raw,
            type: signed.transaction.type,
            from: signed.sender.bytes,
            to: signed.transaction.to?.bytes ?? null,
            submitter,
            block: number,
            index: records.length,
            status: ran.status,
            gasUsed: Number(ran.gasUsed),
            cumulativeGasUsed: Number(gasUsed),
            effectiveGasPrice: message.gasPrice,
            contractAddress: createdAddress,
            logs: ran.logs,
            firstLogIndex: logCount,
          },
        });
        logCount += ran.logs.length;
        results.push(signed.hash);
      } catch (error) {
        if (!(error instanceof JsonRpcError)) throw error;
        results.push(error);
      }
    }
    return results;
  });
  if (records.length === 0) return { outcome, wrote: false };

  state.flush();
  if (genesisPending) {
    const genesis = settings.genesisBlock;
    maps.blocks.set(0, genesis);
    maps.blockNumbers.set(genesis.hash, 0);
  }
  const hashes = records.map(({ hash }) => hash);
  const hash = blockHash(parent.hash, number, timestamp, hashes);
  for (const { hash: transactionHash, record } of records) maps.transactions.set(transactionHash, record);
  maps.blocks.set(number, { number, hash, parentHash: parent.hash, timestamp, gasUsed: Number(gasUsed), transactions: hashes });
  maps.blockNumbers.set(hash, number);
  maps.head.set(HEAD_KEY, { number, hash, timestamp });
  for (const address of created) maps.contracts.set(address, { deployer: submitter, readers: [] });
  return { outcome, wrote: true };
}
