// What a revert says, for the error message of eth_call and eth_estimateGas (the data
// goes back whole too): Solidity's Error(string) gives its text, Panic(uint256) its
// code; anything else (custom errors) is left to the client, which has the ABI.

const ERROR_SELECTOR = '08c379a0';
const PANIC_SELECTOR = '4e487b71';

export function revertReason(data: Uint8Array): string | undefined {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length < 4) return undefined;
  const selector = bytes.subarray(0, 4).toString('hex');
  if (selector === PANIC_SELECTOR && bytes.length >= 36) return `panic: 0x${bytes.subarray(4, 36).toString('hex').replace(/^0+(?=.)/, '')}`;
  if (selector !== ERROR_SELECTOR || bytes.length < 68) return undefined;
  const length = Number(bytes.readBigUInt64BE(60));
  if (bytes.length < 68 + length) return undefined;
  return bytes.subarray(68, 68 + length).toString('utf8');
}
