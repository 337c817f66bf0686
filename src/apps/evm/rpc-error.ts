// JSON-RPC errors as Ethereum clients expect them: the JSON-RPC 2.0 codes for envelope
// and parameter problems, geth's -32000 with geth's wording for refused transactions
// (ethers and viem recognise "nonce too low", "insufficient funds" by the message), and
// code 3 with the revert data for a call that reverted (EIP-1474, geth).

export const JSON_RPC_ERROR_CODES = {
  /** The body is not JSON. */
  parseError: -32700,
  /** Not a JSON-RPC 2.0 request object. */
  invalidRequest: -32600,
  /** No such method here. */
  methodNotFound: -32601,
  /** The params do not fit the method. */
  invalidParams: -32602,
  /** The node failed; nothing was written. */
  internalError: -32603,
  /** A transaction or call refused as the state stands (geth's code for these). */
  serverError: -32000,
  /** A limit (range, batch, queue) was exceeded. */
  limitExceeded: -32005,
  /** The call reverted; `data` holds the revert data. */
  executionReverted: 3,
} as const;

export type JsonRpcErrorCode = (typeof JSON_RPC_ERROR_CODES)[keyof typeof JSON_RPC_ERROR_CODES];

export interface JsonRpcErrorObject {
  readonly code: JsonRpcErrorCode;
  readonly message: string;
  readonly data?: string;
}

/** Thrown by method handlers; becomes the response's error object. */
export class JsonRpcError extends Error {
  override readonly name = 'JsonRpcError';

  constructor(
    readonly code: JsonRpcErrorCode,
    message: string,
    readonly data?: string,
  ) {
    super(message);
  }

  toObject(): JsonRpcErrorObject {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

export function invalidParams(message: string): JsonRpcError {
  return new JsonRpcError(JSON_RPC_ERROR_CODES.invalidParams, message);
}

/** A transaction refused before it ran: nothing changed. */
export function rejected(message: string): JsonRpcError {
  return new JsonRpcError(JSON_RPC_ERROR_CODES.serverError, message);
}
