// A /gov endpoint taking a signed request (COSE Sign1, docs/governance.md has the
// format): one privileged read-write transaction in which the governance core verifies
// the signature, records the request against replay, and runs the operation. A refusal
// writes nothing; an accepted proposal's effects commit with the request that decided
// it, and a change of the voting nodes it makes must leave a service that commits
// (gov-voting-change.ts).
import type { JsSandbox } from '../gov/index.js';
import type { Transaction } from '../kv/transaction.js';
import type { Endpoint, EndpointContext, JsonSchema } from './endpoint.js';
import { governed, memberCoseSign1Auth, signedBody } from './gov-request.js';
import { refuseStalledVotingChange, trustedNodes, type VotingHost } from './gov-voting-change.js';

export interface GovernanceEndpointsOptions {
  readonly sandbox: JsSandbox;
  /** The node: who it is and which peers it reaches (for changes of the voting nodes). */
  readonly host: VotingHost;
  /** The clock signed requests are checked against; the primary's, since only it runs them. */
  readonly now?: () => Date;
}

/**
 * A read-write endpoint taking a signed request: the body goes to `operation` inside the
 * transaction, and a change of the voting nodes it makes must leave a service that commits.
 */
export function signedEndpoint(
  options: GovernanceEndpointsOptions,
  path: string,
  summary: string,
  operation: (tx: Transaction, request: Buffer, now: Date, params: Readonly<Record<string, string>>) => unknown,
  responseSchema?: JsonSchema,
): Endpoint {
  const now = options.now ?? (() => new Date());
  return {
    method: 'POST',
    path,
    mode: 'readwrite',
    privileged: true,
    auth: [memberCoseSign1Auth],
    summary: `${summary} (body: COSE Sign1 signed by a member, content-type application/cose)`,
    ...(responseSchema === undefined ? {} : { responseSchema }),
    handler: ({ request, tx, params }: EndpointContext) => {
      const body = signedBody(request);
      const before = trustedNodes(tx);
      const answer = governed(() => operation(tx, body, now(), params));
      refuseStalledVotingChange(options.host, tx, before);
      return { body: answer };
    },
  };
}
