// The JSON-RPC 2.0 envelope (jsonrpc.org/specification): one request object or a batch
// of them in, one response object or an array out. Envelope problems are answered per
// the spec (-32700 for a body that is not JSON, -32600 for an object that is not a
// request, with a null id when none can be read); notifications get no response.
import { jsonRpcBatchItemsMax } from './evm-limits.js';
import { JSON_RPC_ERROR_CODES, JsonRpcError, type JsonRpcErrorObject } from './rpc-error.js';

export type JsonRpcId = string | number | null;

export interface JsonRpcCall {
  readonly id: JsonRpcId;
  readonly method: string;
  /** Positional params (Ethereum methods take arrays); [] when absent. */
  readonly params: readonly unknown[];
  /** No id member: the caller wants no response. */
  readonly notification: boolean;
}

export type JsonRpcResponse =
  | { readonly jsonrpc: '2.0'; readonly id: JsonRpcId; readonly result: unknown }
  | { readonly jsonrpc: '2.0'; readonly id: JsonRpcId; readonly error: JsonRpcErrorObject };

/** One item of the body: a call to run, or a response already decided (a bad item). */
export type JsonRpcItem = { readonly call: JsonRpcCall } | { readonly response: JsonRpcResponse };

export type JsonRpcBody =
  | { readonly kind: 'single'; readonly item: JsonRpcItem }
  | { readonly kind: 'batch'; readonly items: readonly JsonRpcItem[] }
  | { readonly kind: 'invalid'; readonly response: JsonRpcResponse };

export function resultResponse(id: JsonRpcId, result: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, result };
}

export function errorResponse(id: JsonRpcId, error: JsonRpcError): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: error.toObject() };
}

function isId(value: unknown): value is JsonRpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function invalidRequest(id: JsonRpcId, message: string): JsonRpcItem {
  return { response: errorResponse(id, new JsonRpcError(JSON_RPC_ERROR_CODES.invalidRequest, message)) };
}

function parseItem(value: unknown): JsonRpcItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalidRequest(null, 'a request must be a JSON object');
  const request = value as Record<string, unknown>;
  const hasId = 'id' in request;
  const id = hasId && isId(request.id) ? request.id : null;
  if (hasId && !isId(request.id)) return invalidRequest(null, 'id must be a string, a number or null');
  if (request.jsonrpc !== '2.0') return invalidRequest(id, 'jsonrpc must be "2.0"');
  if (typeof request.method !== 'string' || request.method.length === 0) return invalidRequest(id, 'method must be a non-empty string');
  const params = request.params ?? [];
  if (!Array.isArray(params)) {
    return { response: errorResponse(id, new JsonRpcError(JSON_RPC_ERROR_CODES.invalidParams, 'params must be an array (Ethereum methods take positional params)')) };
  }
  return { call: { id, method: request.method, params, notification: !hasId } };
}

/** Reads a request body. Never throws: every problem becomes a response. */
export function parseJsonRpcBody(body: Buffer): JsonRpcBody {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { kind: 'invalid', response: errorResponse(null, new JsonRpcError(JSON_RPC_ERROR_CODES.parseError, `the body is not JSON: ${(error as Error).message}`)) };
  }
  if (!Array.isArray(value)) return { kind: 'single', item: parseItem(value) };
  if (value.length === 0) return { kind: 'invalid', response: (invalidRequest(null, 'a batch must hold at least one request') as { response: JsonRpcResponse }).response };
  if (value.length > jsonRpcBatchItemsMax) {
    return { kind: 'invalid', response: errorResponse(null, new JsonRpcError(JSON_RPC_ERROR_CODES.limitExceeded, `a batch may hold at most ${jsonRpcBatchItemsMax} requests, not ${value.length}`)) };
  }
  return { kind: 'batch', items: value.map(parseItem) };
}
