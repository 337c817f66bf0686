// Which governance maps are which, for the sandbox's KV bridge and for the state digest.
// The governed maps hold the service's constitution in the whitepaper's sense (who the
// members, users and nodes are, which code and platforms may run, the rules): only an
// accepted proposal changes them, with one exception, a member's own acknowledgement
// (status Accepted → Active). The framework maps record the governance process itself.
import { PROPOSALS_INFO_MAP, PROPOSALS_MAP, REQUEST_HISTORY_MAP } from './proposal-maps.js';
import {
  CODE_IDS_MAP,
  CONSTITUTION_MAP,
  MEMBER_CERTS_MAP,
  MEMBER_ENCRYPTION_KEYS_MAP,
  MEMBER_INFO_MAP,
  NODES_MAP,
  SERVICE_CONFIG_MAP,
  SERVICE_INFO_MAP,
  TEE_PLATFORMS_MAP,
  USER_CERTS_MAP,
  USER_INFO_MAP,
} from './service-maps.js';

/** Every map the sandbox may touch starts with this. */
export const GOVERNANCE_MAP_PREFIX = 'public:coco.gov.';

/** The maps an accepted proposal changes, sorted by name. */
export const GOVERNED_MAPS: readonly string[] = [
  CODE_IDS_MAP,
  CONSTITUTION_MAP,
  MEMBER_CERTS_MAP,
  MEMBER_ENCRYPTION_KEYS_MAP,
  MEMBER_INFO_MAP,
  NODES_MAP,
  SERVICE_CONFIG_MAP,
  SERVICE_INFO_MAP,
  TEE_PLATFORMS_MAP,
  USER_CERTS_MAP,
  USER_INFO_MAP,
].sort();

/** Maps only the lifecycle writes; the constitution may read them. */
export const FRAMEWORK_MAPS: ReadonlySet<string> = new Set([PROPOSALS_MAP, PROPOSALS_INFO_MAP, REQUEST_HISTORY_MAP]);

export function isGovernanceMap(name: string): boolean {
  return name.startsWith(GOVERNANCE_MAP_PREFIX) && name.length > GOVERNANCE_MAP_PREFIX.length;
}
