// The EVM app: Ethereum JSON-RPC 2.0 over Coco (docs/ethereum.md). Two endpoints, one
// handler:
//   POST /app/eth       every method; read-write, so a backup forwards the request to the
//                       primary, where its transactions run as one block in one Coco
//                       transaction (a request with only reads writes nothing);
//   POST /app/eth/read  the read methods only; read-only, so any node answers from its
//                       own copy of the state (which may trail the primary's).
// Only registered users reach them (user_cert). Within a batch the transactions run
// first, as one block, then the reads, which see it.
import { strict as assert } from 'node:assert';
import type { Endpoint, EndpointContext, EndpointResponse } from '../../rpc/endpoint.js';
import { userCertAuth } from '../../rpc/auth-policies.js';
import { buildBlock } from './block-builder.js';
import { CodeCache } from './code-cache.js';
import { createEvmCommon } from './evm-common.js';
import { DEFAULT_EVM_CONFIG, evmSettings, type EvmAppConfig } from './evm-config.js';
import { RequestScope, type EvmContext } from './evm-context.js';
import { EvmPool } from './evm-pool.js';
import { parseData } from './hex.js';
import { errorResponse, parseJsonRpcBody, resultResponse, type JsonRpcCall, type JsonRpcResponse } from './json-rpc.js';
import { decodeRawTransaction, type SignedTransaction } from './raw-transaction.js';
import { READ_METHODS } from './read-methods.js';
import { setContractReaders } from './contract-readers.js';
import { invalidParams, JSON_RPC_ERROR_CODES, JsonRpcError } from './rpc-error.js';
import { isStale, writeStaleMarker } from './stale-marker.js';
import { WriteTurns } from './write-turns.js';

export const ETH_PATH = '/app/eth';
export const ETH_READ_PATH = '/app/eth/read';

const SEND_RAW_TRANSACTION = 'eth_sendRawTransaction';
const SET_CONTRACT_READERS = 'coco_setContractReaders';

type Mode = 'readonly' | 'readwrite';

export function evmApp(config: EvmAppConfig = DEFAULT_EVM_CONFIG, now: () => number = Date.now): Endpoint[] {
  const settings = evmSettings(config);
  const common = createEvmCommon(settings.chainId);
  const context: EvmContext = { settings, common, pool: new EvmPool(common), codeCache: new CodeCache(), turns: new WriteTurns(), lastBlock: { number: 0 }, decoded: new WeakMap(), now };
  const endpoint = (path: string, mode: Mode, summary: string): Endpoint => ({
    method: 'POST',
    path,
    mode,
    auth: [userCertAuth],
    summary,
    // No requestSchema: JSON-RPC answers malformed bodies itself (-32700, -32600).
    responseSchema: { description: 'a JSON-RPC 2.0 response object, or an array of them for a batch' },
    handler: (request) => handle(context, request, mode),
  });
  return [
    endpoint(ETH_PATH, 'readwrite', 'Ethereum JSON-RPC: every method, transactions included (a backup forwards to the primary)'),
    endpoint(ETH_READ_PATH, 'readonly', 'Ethereum JSON-RPC, read methods only, answered by any node'),
  ];
}

async function handle(context: EvmContext, { request, tx, caller }: EndpointContext, mode: Mode): Promise<EndpointResponse> {
  const body = parseJsonRpcBody(request.body);
  if (body.kind === 'invalid') return { body: body.response };
  assert(caller.id !== undefined, 'user_cert names its caller');
  const scope = new RequestScope(context, tx, caller.id);
  const items = body.kind === 'single' ? [body.item] : body.items;
  const responses = new Map<JsonRpcCall, JsonRpcResponse>();
  const calls = items.flatMap((item) => ('call' in item ? [item.call] : []));
  const writes = calls.filter((call) => call.method === SEND_RAW_TRANSACTION || call.method === SET_CONTRACT_READERS);

  if (writes.length > 0 && mode === 'readonly') {
    const refusal = new JsonRpcError(JSON_RPC_ERROR_CODES.methodNotFound, `${ETH_READ_PATH} serves read methods only: send transactions to ${ETH_PATH}`);
    for (const call of writes) responses.set(call, errorResponse(call.id, refusal));
  } else if (writes.length > 0) {
    await runWrites(context, scope, request, writes, responses);
  }
  for (const call of calls) {
    if (responses.has(call)) continue;
    responses.set(call, await runRead(scope, call));
  }

  const rendered = items.flatMap((item) => {
    if ('response' in item) return [item.response];
    return item.call.notification ? [] : [responses.get(item.call) as JsonRpcResponse];
  });
  if (rendered.length === 0) return { status: 204 };
  return { body: body.kind === 'single' ? rendered[0] : rendered };
}

async function runRead(scope: RequestScope, call: JsonRpcCall): Promise<JsonRpcResponse> {
  const method = READ_METHODS.get(call.method);
  if (method === undefined) return errorResponse(call.id, new JsonRpcError(JSON_RPC_ERROR_CODES.methodNotFound, `the method ${call.method} does not exist or is not available`));
  try {
    return resultResponse(call.id, await method(scope, call.params));
  } catch (error) {
    if (error instanceof JsonRpcError) return errorResponse(call.id, error);
    throw error;
  }
}

/**
 * Decodes each raw transaction, before waiting for the turn (it needs no state), and
 * once per request: the server re-runs a request's handler after a conflict, and sender
 * recovery is the dearest part of taking a transaction in.
 */
function decodeSends(context: EvmContext, request: object, sends: readonly JsonRpcCall[], responses: Map<JsonRpcCall, JsonRpcResponse>): { call: JsonRpcCall; signed: SignedTransaction }[] {
  let decoded = context.decoded.get(request);
  if (decoded === undefined) {
    decoded = sends.map((call) => {
      try {
        if (call.params.length !== 1) throw invalidParams('expected params [signedTransactionData]');
        return decodeRawTransaction(parseData(call.params[0], 'signedTransactionData'), context.common);
      } catch (error) {
        if (!(error instanceof JsonRpcError)) throw error;
        return error;
      }
    });
    context.decoded.set(request, decoded);
  }
  assert(decoded.length === sends.length, 'a re-run parses the same request');
  return sends.flatMap((call, index) => {
    const signed = decoded[index] as SignedTransaction | JsonRpcError;
    if (signed instanceof JsonRpcError) {
      responses.set(call, errorResponse(call.id, signed));
      return [];
    }
    return [{ call, signed }];
  });
}

async function runWrites(context: EvmContext, scope: RequestScope, request: object, writes: readonly JsonRpcCall[], responses: Map<JsonRpcCall, JsonRpcResponse>): Promise<void> {
  for (const call of writes.filter((write) => write.method === SET_CONTRACT_READERS)) {
    try {
      responses.set(call, resultResponse(call.id, setContractReaders(scope, call.params)));
    } catch (error) {
      if (!(error instanceof JsonRpcError)) throw error;
      responses.set(call, errorResponse(call.id, error));
    }
  }
  const sends = decodeSends(context, request, writes.filter((write) => write.method === SEND_RAW_TRANSACTION), responses);
  if (sends.length === 0) return;
  try {
    await context.turns.enter(request);
  } catch (error) {
    if (!(error instanceof JsonRpcError)) throw error;
    for (const { call } of sends) responses.set(call, errorResponse(call.id, error));
    return;
  }
  try {
    if (isStale(scope, context.lastBlock)) {
      writeStaleMarker(scope, context.lastBlock);
      const retry = new JsonRpcError(JSON_RPC_ERROR_CODES.serverError, 'not run: the block before it failed to commit; send it again');
      for (const { call } of sends) responses.set(call, errorResponse(call.id, retry));
      return;
    }
    const block = await buildBlock(scope, scope.caller, sends.map(({ signed }) => signed));
    if (block.wrote) context.lastBlock.number = scope.next.number;
    block.outcome.forEach((result, index) => {
      const { call } = sends[index] as { call: JsonRpcCall };
      responses.set(call, result instanceof JsonRpcError ? errorResponse(call.id, result) : resultResponse(call.id, `0x${Buffer.from(result).toString('hex')}`));
    });
  } finally {
    context.turns.leave(request);
  }
}
