// Every /gov endpoint a node serves (docs/http-api.md lists them; docs/governance.md
// describes proposals, ballots and actions): proposals and ballots, member
// acknowledgements, and the service as governance records it.
import type { Endpoint } from './endpoint.js';
import { memberEndpoints } from './gov-member-endpoints.js';
import { proposalEndpoints } from './gov-proposal-endpoints.js';
import { serviceEndpoints } from './gov-service-endpoints.js';
import type { GovernanceEndpointsOptions } from './gov-signed-endpoint.js';

export type { GovernanceEndpointsOptions } from './gov-signed-endpoint.js';

export function governanceEndpoints(options: GovernanceEndpointsOptions): Endpoint[] {
  return [...proposalEndpoints(options), ...memberEndpoints(options), ...serviceEndpoints()];
}
