// The governance maps of the store: who the members and users are, which nodes are in
// the service, and the service's own record. Reserved (public:coco.gov.*): only the
// framework and, later, accepted proposals write them. Keys are ids: the hex SHA-256
// of a member's or user's certificate (DER), or a node's id (hex SHA-256 of its key).
// The ledger verifier reads the service certificate from this map, so the name lives there.
export { SERVICE_INFO_MAP } from '../ledger/ledger-verifier.js';
/** The service record sits under this one key. */
export const SERVICE_INFO_KEY = 0;

export const MEMBER_CERTS_MAP = 'public:coco.gov.members.certs';
export const MEMBER_ENCRYPTION_KEYS_MAP = 'public:coco.gov.members.encryption_public_keys';
export const MEMBER_INFO_MAP = 'public:coco.gov.members.info';
export const USER_CERTS_MAP = 'public:coco.gov.users.certs';
export const USER_INFO_MAP = 'public:coco.gov.users.info';
export const NODES_MAP = 'public:coco.gov.nodes.info';
/** The code manifest: measurement (lowercase hex) → CodeIdInfo. */
export const CODE_IDS_MAP = 'public:coco.gov.nodes.code_ids';
/** The TEE manifest: platform name → TeePlatformInfo. */
export const TEE_PLATFORMS_MAP = 'public:coco.gov.nodes.tee_platforms';
export const CONSTITUTION_MAP = 'public:coco.gov.constitution';
/** The constitution's source sits under this one key. */
export const CONSTITUTION_KEY = 0;
/** Service settings governance sets (the recovery threshold), under SERVICE_CONFIG_KEY. */
export const SERVICE_CONFIG_MAP = 'public:coco.gov.service.config';
export const SERVICE_CONFIG_KEY = 0;
/** Member id → MemberAck: the state digest a member must sign to become Active. */
export const MEMBER_ACKS_MAP = 'public:coco.gov.members.acks';

export type ServiceStatus = 'Opening' | 'Open';

export interface ServiceInfo {
  /** PEM of the service certificate: what clients trust and receipts are checked with. */
  readonly cert: string;
  readonly status: ServiceStatus;
}

export type MemberStatus = 'Accepted' | 'Active';

export interface MemberInfo {
  readonly status: MemberStatus;
  readonly member_data?: unknown;
}

export interface UserInfo {
  readonly user_data?: unknown;
}

export type NodeStatus = 'Pending' | 'Trusted' | 'Retired';

export interface NodeInfo {
  readonly status: NodeStatus;
  /** PEM of the node certificate, endorsed by the service key. */
  readonly cert: string;
  readonly rpc_address: string;
  readonly node_to_node_address: string;
  /**
   * The measurement and platform its attestation proved at join. transition_node_to_trusted
   * checks them against the code and TEE manifests, so a node recorded without them
   * cannot be trusted by a proposal.
   */
  readonly measurement?: string;
  readonly platform?: string;
}

export type CodeStatus = 'AllowedToJoin';

/**
 * A measurement a joining node may run. Keyed by the measurement itself, so the platform
 * it was taken on is part of the value: the same bytes measured on another platform mean
 * other code, and are refused.
 */
export interface CodeIdInfo {
  readonly status: CodeStatus;
  /** The attestation platform the measurement belongs to, e.g. `virtual`. */
  readonly platform: string;
}

export type TeePlatformStatus = 'Allowed';

/** A platform whose attestations the service accepts at join. */
export interface TeePlatformInfo {
  readonly status: TeePlatformStatus;
}

export interface ServiceConfig {
  /** Members' recovery shares needed to recover the service; at most the members with encryption keys. */
  readonly recovery_threshold: number;
}

export interface MemberAck {
  /** Lowercase hex SHA-256 the member must sign (message type "ack") to become Active. */
  readonly state_digest: string;
}
