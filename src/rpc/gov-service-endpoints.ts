// /gov/service/...: the service as governance records it, for anyone to read (the same
// public maps are in the clear in the ledger): its status and certificate, the members,
// users and nodes, the constitution, and the code and TEE manifests.
import { sha256Hex } from '../crypto/hash.js';
import {
  CODE_IDS_MAP,
  CONSTITUTION_KEY,
  CONSTITUTION_MAP,
  MEMBER_CERTS_MAP,
  MEMBER_ENCRYPTION_KEYS_MAP,
  MEMBER_INFO_MAP,
  NODES_MAP,
  SERVICE_CONFIG_KEY,
  SERVICE_CONFIG_MAP,
  SERVICE_INFO_KEY,
  SERVICE_INFO_MAP,
  TEE_PLATFORMS_MAP,
  USER_CERTS_MAP,
  USER_INFO_MAP,
  type CodeIdInfo,
  type MemberInfo,
  type NodeInfo,
  type ServiceConfig,
  type ServiceInfo,
  type TeePlatformInfo,
  type UserInfo,
} from '../gov/service-maps.js';
import type { Transaction } from '../kv/transaction.js';
import { ApiError } from './api-error.js';
import { noAuth } from './auth-policies.js';
import type { Endpoint } from './endpoint.js';
import { idParameter } from './gov-request.js';

/** The recovery threshold when governance never set one (the constitution's default too). */
const RECOVERY_THRESHOLD_DEFAULT = 1;

export interface MemberRecord {
  readonly member_id: string;
  readonly status: MemberInfo['status'];
  readonly cert: string;
  readonly encryption_pub_key?: string;
  readonly member_data?: unknown;
}

export function memberRecord(tx: Transaction, memberId: string): MemberRecord | undefined {
  const info = tx.map<string, MemberInfo>(MEMBER_INFO_MAP).get(memberId);
  const cert = tx.map<string, string>(MEMBER_CERTS_MAP).get(memberId);
  if (info === undefined || cert === undefined) return undefined;
  const key = tx.map<string, string>(MEMBER_ENCRYPTION_KEYS_MAP).get(memberId);
  return {
    member_id: memberId,
    status: info.status,
    cert,
    ...(key === undefined ? {} : { encryption_pub_key: key }),
    ...(info.member_data === undefined ? {} : { member_data: info.member_data }),
  };
}

function userRecord(tx: Transaction, userId: string): Record<string, unknown> | undefined {
  const cert = tx.map<string, string>(USER_CERTS_MAP).get(userId);
  if (cert === undefined) return undefined;
  const info = tx.map<string, UserInfo>(USER_INFO_MAP).get(userId);
  return { user_id: userId, cert, ...(info?.user_data === undefined ? {} : { user_data: info.user_data }) };
}

function nodeRecord(nodeId: string, info: NodeInfo): Record<string, unknown> {
  return { node_id: nodeId, ...info };
}

function constitution(tx: Transaction): string | undefined {
  const source = tx.map<number, unknown>(CONSTITUTION_MAP).get(CONSTITUTION_KEY);
  return typeof source === 'string' ? source : undefined;
}

function keys(tx: Transaction, map: string): string[] {
  const ids: string[] = [];
  tx.map<string, unknown>(map).forEach((_value, id) => ids.push(id));
  return ids;
}

export function serviceEndpoints(): Endpoint[] {
  const read = (path: string, summary: string, handler: Endpoint['handler']): Endpoint => ({ method: 'GET', path, mode: 'readonly', auth: [noAuth], summary, handler });
  return [
    read('/gov/service/info', 'The service: status (Opening or Open), certificate, recovery threshold, constitution digest', ({ tx }) => {
      const info = tx.map<number, ServiceInfo>(SERVICE_INFO_MAP).get(SERVICE_INFO_KEY);
      if (info === undefined) throw new ApiError('ServiceUnavailable', 'this node holds no service record yet: it is still catching up');
      const config = tx.map<number, ServiceConfig>(SERVICE_CONFIG_MAP).get(SERVICE_CONFIG_KEY);
      const source = constitution(tx);
      return {
        body: {
          status: info.status,
          service_certificate: info.cert,
          recovery_threshold: config?.recovery_threshold ?? RECOVERY_THRESHOLD_DEFAULT,
          constitution_digest: source === undefined ? null : sha256Hex(Buffer.from(source, 'utf8')),
        },
      };
    }),
    read('/gov/service/members', 'The members: id, status (Accepted or Active), certificate, encryption key, data', ({ tx }) => ({
      body: { members: keys(tx, MEMBER_INFO_MAP).flatMap((id) => memberRecord(tx, id) ?? []) },
    })),
    read('/gov/service/members/:member_id', 'One member', ({ tx, params }) => {
      const memberId = idParameter(params, 'member_id');
      const record = memberRecord(tx, memberId);
      if (record === undefined) throw new ApiError('ResourceNotFound', `${memberId} is not a member of this service`);
      return { body: record };
    }),
    read('/gov/service/users', 'The users: id, certificate, data', ({ tx }) => ({
      body: { users: keys(tx, USER_CERTS_MAP).flatMap((id) => userRecord(tx, id) ?? []) },
    })),
    read('/gov/service/users/:user_id', 'One user', ({ tx, params }) => {
      const userId = idParameter(params, 'user_id');
      const record = userRecord(tx, userId);
      if (record === undefined) throw new ApiError('ResourceNotFound', `${userId} is not a user of this service`);
      return { body: record };
    }),
    read('/gov/service/nodes', 'The nodes: id, status (Pending, Trusted or Retired), certificate, addresses, measurement and platform', ({ tx }) => {
      const nodes: Record<string, unknown>[] = [];
      tx.map<string, NodeInfo>(NODES_MAP).forEach((info, id) => nodes.push(nodeRecord(id, info)));
      return { body: { nodes } };
    }),
    read('/gov/service/nodes/:node_id', 'One node', ({ tx, params }) => {
      const nodeId = idParameter(params, 'node_id');
      const info = tx.map<string, NodeInfo>(NODES_MAP).get(nodeId);
      if (info === undefined) throw new ApiError('ResourceNotFound', `${nodeId} is not a node of this service`);
      return { body: nodeRecord(nodeId, info) };
    }),
    read('/gov/service/constitution', "The constitution's JavaScript source", ({ tx }) => {
      const source = constitution(tx);
      if (source === undefined) throw new ApiError('ResourceNotFound', 'this node holds no constitution yet: it is still catching up');
      return { body: source, contentType: 'text/javascript; charset=utf-8' };
    }),
    read('/gov/service/code-ids', 'The code manifest: measurements nodes may run, and their platform', ({ tx }) => {
      const codeIds: Record<string, unknown>[] = [];
      tx.map<string, CodeIdInfo>(CODE_IDS_MAP).forEach((info, measurement) => codeIds.push({ measurement, ...info }));
      return { body: { code_ids: codeIds } };
    }),
    read('/gov/service/tee-platforms', 'The TEE manifest: platforms whose attestations are accepted', ({ tx }) => {
      const platforms: Record<string, unknown>[] = [];
      tx.map<string, TeePlatformInfo>(TEE_PLATFORMS_MAP).forEach((info, platform) => platforms.push({ platform, ...info }));
      return { body: { tee_platforms: platforms } };
    }),
  ];
}
