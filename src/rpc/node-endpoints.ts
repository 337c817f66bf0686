// The built-in endpoints every node serves, shaped like CCF's so its users feel at
// home: operators watch /node/*, clients poll /node/tx and fetch receipts, and
// /app/api documents every endpoint of the node as OpenAPI.
import type { Registry } from 'prom-client';
import { SERVICE_INFO_KEY, SERVICE_INFO_MAP, NODES_MAP, type NodeInfo, type ServiceInfo } from '../gov/service-maps.js';
import { formatTxId, parseTxId, type TxId } from '../ledger/tx-id.js';
import type { CocoNode } from '../node/coco-node.js';
import { ApiError } from './api-error.js';
import { memberCertAuth, noAuth, userCertAuth } from './auth-policies.js';
import type { Endpoint, JsonSchema } from './endpoint.js';
import { joinEndpoint } from './join-endpoint.js';
import { buildOpenApi } from './openapi.js';

export const COCO_VERSION = '0.1.0';

const TRANSACTION_ID_QUERY: JsonSchema = {
  type: 'object',
  required: ['transaction_id'],
  properties: { transaction_id: { type: 'string', pattern: '^[0-9]{1,10}\\.[0-9]{1,16}$' } },
};

function queryTxId(query: URLSearchParams): TxId {
  const txId = parseTxId(query.get('transaction_id') ?? '');
  if (txId === undefined) throw new ApiError('InvalidInput', 'transaction_id must be view.seqno with seqno >= 1');
  return txId;
}

export interface NodeEndpointsOptions {
  readonly node: CocoNode;
  readonly metrics: Registry;
  /** Every endpoint the node serves (apps included), for the OpenAPI document. */
  readonly allEndpoints: () => readonly Endpoint[];
}

export function nodeEndpoints(options: NodeEndpointsOptions): Endpoint[] {
  const { node } = options;
  const txIdBody = (txId: TxId) => ({ transaction_id: formatTxId(txId) });
  return [
    {
      method: 'GET',
      path: '/node/state',
      mode: 'readonly',
      auth: [noAuth],
      summary: "This node's id, state, view and seqnos",
      handler: () => ({
        body: {
          node_id: node.nodeId,
          state: 'PartOfNetwork',
          role: node.role,
          primary_id: node.primaryId ?? null,
          view: node.view,
          last_seqno: node.lastSeqno,
          commit_seqno: node.commitSeqno,
        },
      }),
    },
    {
      method: 'GET',
      path: '/node/version',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'Coco and Node.js versions, and the TEE platform',
      handler: () => ({ body: { coco_version: COCO_VERSION, node_version: process.version, platform: 'virtual' } }),
    },
    {
      method: 'GET',
      path: '/node/commit',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'The last committed transaction id',
      handler: () => ({ body: txIdBody(node.txIdAt(node.commitSeqno)) }),
    },
    {
      method: 'GET',
      path: '/node/tx',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'Status of a transaction: Unknown, Pending, Committed or Invalid',
      querySchema: TRANSACTION_ID_QUERY,
      handler: ({ query }) => {
        const txId = queryTxId(query);
        return { body: { ...txIdBody(txId), status: node.txStatus(txId) } };
      },
    },
    {
      method: 'GET',
      path: '/node/network',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'The service certificate and status, the current view and primary',
      handler: ({ tx }) => {
        const info = tx.map<number, ServiceInfo>(SERVICE_INFO_MAP).get(SERVICE_INFO_KEY);
        return { body: { service_certificate: info?.cert, service_status: info?.status, current_view: node.view, primary_id: node.primaryId ?? null } };
      },
    },
    {
      method: 'GET',
      path: '/node/network/nodes',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'The nodes of the service',
      handler: ({ tx }) => {
        const nodes: unknown[] = [];
        tx.map<string, NodeInfo>(NODES_MAP).forEach((info, nodeId) => {
          nodes.push({ node_id: nodeId, status: info.status, rpc_address: info.rpc_address, node_to_node_address: info.node_to_node_address, primary: nodeId === node.primaryId });
        });
        return { body: { nodes } };
      },
    },
    joinEndpoint(node),
    {
      method: 'GET',
      path: '/node/metrics',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'Prometheus metrics: requests, latency, commit seqno, ledger bytes',
      handler: async () => ({ body: await options.metrics.metrics(), contentType: options.metrics.contentType }),
    },
    {
      method: 'GET',
      path: '/app/receipt',
      mode: 'readonly',
      auth: [userCertAuth, memberCertAuth],
      summary: 'A receipt proving a committed transaction, checkable offline with the service certificate',
      querySchema: TRANSACTION_ID_QUERY,
      handler: ({ query }) => {
        const txId = queryTxId(query);
        const lookup = node.receipt(txId);
        switch (lookup.status) {
          case 'ready':
            return { body: lookup.receipt };
          case 'pending':
            throw new ApiError('TransactionPending', `transaction ${formatTxId(txId)} is not committed yet`);
          case 'invalid':
            throw new ApiError('TransactionInvalid', `transaction ${formatTxId(txId)} was rolled back or never existed in that view`);
          case 'unknown':
            throw new ApiError('TransactionNotFound', `transaction ${formatTxId(txId)} is not known to this node`);
        }
      },
    },
    {
      method: 'GET',
      path: '/app/api',
      mode: 'readonly',
      auth: [noAuth],
      summary: 'OpenAPI description of every endpoint',
      handler: () => ({ body: buildOpenApi(options.allEndpoints(), { title: 'Coco node', version: COCO_VERSION }) }),
    },
  ];
}
