// eth_estimateGas as geth does it: run the call with all the gas the sender can pay for;
// if it fails there it fails anyway (a revert answers with its data). Otherwise try what
// it used plus the 1/64 the EVM keeps back from each sub-call (EIP-150) and a call
// stipend, and binary-search between the intrinsic gas and the least gas known to work,
// until within 1.5%. Every run is undone.
import type { Simulator } from './call-simulation.js';
import type { JsonRpcError } from './rpc-error.js';
import { rejected } from './rpc-error.js';

const CALL_STIPEND = 2_300n;
/** Stop when the bracket is narrower than this share of the answer (geth's 1.5%). */
const ERROR_PER_MILLE = 15n;

type CallError = (status: 0 | 1, error: string | undefined, returnValue: Uint8Array) => JsonRpcError | undefined;

export async function estimateGas(simulator: Simulator, requested: bigint | undefined, callError: CallError): Promise<bigint> {
  let high = requested !== undefined && requested < simulator.gasAllowance ? requested : simulator.gasAllowance;
  if (high < simulator.minimumGas) throw rejected(`gas required exceeds allowance (${high})`);
  const top = await simulator.run(high);
  if (top.status === 0) {
    const error = callError(top.status, top.error, top.returnValue);
    if (top.error === 'revert' && error !== undefined) throw error;
    throw rejected(`gas required exceeds allowance (${high})`);
  }
  let low = simulator.minimumGas - 1n;
  const works = async (gas: bigint): Promise<boolean> => (await simulator.run(gas)).status === 1;
  const optimistic = ((top.gasUsed + CALL_STIPEND) * 64n) / 63n;
  if (optimistic > low && optimistic < high) {
    if (await works(optimistic)) high = optimistic;
    else low = optimistic;
  }
  while (low + 1n < high && ((high - low) * 1000n) / high >= ERROR_PER_MILLE) {
    const middle = (low + high) / 2n;
    if (await works(middle)) high = middle;
    else low = middle;
  }
  return high;
}
