// The genesis transaction: the first entry of a new service's ledger. It records the
// service certificate and status (Opening), the initial members (certificates, encryption
// keys, data; Accepted until they acknowledge the state digest, src/gov/member-acks.ts),
// the initial users, the first node (Trusted, with its measurement and platform), the
// code and TEE manifests seeded with that measurement and platform (so nodes running the
// same code on the same platform may join), the recovery threshold, and the default
// constitution, all in the governance maps of src/gov. From then on only governance
// changes them.
import assert from 'node:assert/strict';
import { certificateFingerprint } from '../crypto/certificate.js';
import { DEFAULT_CONSTITUTION } from '../gov/default-constitution.js';
import type { Transaction } from '../kv/transaction.js';
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
import { isMeasurement, type AttestationPlatform } from './attestation/attestation.js';

export interface GenesisMember {
  readonly certificate: string;
  readonly encryptionPublicKey: string;
  readonly data?: unknown;
}

export interface GenesisUser {
  readonly certificate: string;
  readonly data?: unknown;
}

export interface Genesis {
  readonly serviceCertificate: string;
  readonly members: readonly GenesisMember[];
  readonly users: readonly GenesisUser[];
  readonly nodeId: string;
  /** The first node's record; genesis adds its measurement and platform. */
  readonly node: NodeInfo;
  /** The platform the first node runs on: the TEE manifest's first entry. */
  readonly platform: AttestationPlatform;
  /** The first node's measurement on `platform` (lowercase hex): the code manifest's first entry. */
  readonly measurement: string;
}

/** Members' recovery shares needed to recover the service, until governance sets another (set_recovery_threshold). */
export const GENESIS_RECOVERY_THRESHOLD = 1;

/** Writes genesis into `tx`, which must be privileged. Returns the member and user ids. */
export function writeGenesis(tx: Transaction, genesis: Genesis): { memberIds: string[]; userIds: string[] } {
  assert(isMeasurement(genesis.platform, genesis.measurement), `genesis measurement ${genesis.measurement} is not a ${genesis.platform} measurement`);
  tx.map<number, ServiceInfo>(SERVICE_INFO_MAP).set(SERVICE_INFO_KEY, { cert: genesis.serviceCertificate, status: 'Opening' });
  const memberIds = genesis.members.map((member) => {
    const id = certificateFingerprint(member.certificate);
    tx.map<string, string>(MEMBER_CERTS_MAP).set(id, member.certificate);
    tx.map<string, string>(MEMBER_ENCRYPTION_KEYS_MAP).set(id, member.encryptionPublicKey);
    tx.map<string, MemberInfo>(MEMBER_INFO_MAP).set(id, { status: 'Accepted', ...(member.data === undefined ? {} : { member_data: member.data }) });
    return id;
  });
  const userIds = genesis.users.map((user) => {
    const id = certificateFingerprint(user.certificate);
    tx.map<string, string>(USER_CERTS_MAP).set(id, user.certificate);
    tx.map<string, UserInfo>(USER_INFO_MAP).set(id, user.data === undefined ? {} : { user_data: user.data });
    return id;
  });
  tx.map<string, NodeInfo>(NODES_MAP).set(genesis.nodeId, { ...genesis.node, measurement: genesis.measurement, platform: genesis.platform });
  tx.map<string, TeePlatformInfo>(TEE_PLATFORMS_MAP).set(genesis.platform, { status: 'Allowed' });
  tx.map<string, CodeIdInfo>(CODE_IDS_MAP).set(genesis.measurement, { status: 'AllowedToJoin', platform: genesis.platform });
  tx.map<number, ServiceConfig>(SERVICE_CONFIG_MAP).set(SERVICE_CONFIG_KEY, { recovery_threshold: GENESIS_RECOVERY_THRESHOLD });
  tx.map<number, string>(CONSTITUTION_MAP).set(CONSTITUTION_KEY, DEFAULT_CONSTITUTION);
  return { memberIds, userIds };
}
