// How the sandbox opens its service, the way a consortium would: through the real /gov
// endpoints, with each member's own signed requests. Every member acknowledges the
// state digest (members start Accepted; only Active ones vote), then member0 proposes
// transition_service_to_open and the others vote for it until it is Accepted. The
// nodes have all joined by then: while the service is Opening, they join trusted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CocoHttpError, CocoTransportError, GovernanceClient, type ProposalOutcome } from '../client/index.js';
import { CliError } from './cli-error.js';
import { MEMBER_NAMES } from './sandbox-workspace.js';

export interface OpeningOptions {
  readonly workspace: string;
  /** A node of the service, `https://host:port`. */
  readonly url: string;
  readonly serviceCertificate: string;
  /** Where to say what was done: one line each. */
  readonly log: (line: string) => void;
}

export interface Opening {
  readonly proposalId: string;
}

/** Makes every member Active and opens the service; throws CliError (exit 1) if the service refuses any step. */
export async function openService(options: OpeningOptions): Promise<Opening> {
  const members = MEMBER_NAMES.map((name) => ({
    name,
    client: GovernanceClient.connect({
      url: options.url,
      serviceCertificate: options.serviceCertificate,
      signingCertificate: readFileSync(join(options.workspace, `${name}_cert.pem`), 'utf8'),
      signingKey: readFileSync(join(options.workspace, `${name}_privk.pem`), 'utf8'),
    }),
  }));
  try {
    for (const member of members) await step(`${member.name} could not acknowledge the state digest`, () => member.client.ack());
    options.log(`${listed(members.map((member) => member.name))} acknowledged the state digest: all ${members.length} members are Active.`);

    const [proposer, ...voters] = members;
    if (proposer === undefined) throw new Error('the sandbox has at least one member');
    let outcome: ProposalOutcome = await step(`${proposer.name} could not propose to open the service`, () =>
      proposer.client.propose({ actions: [{ name: 'transition_service_to_open', args: {} }] }),
    );
    options.log(`${proposer.name} proposed transition_service_to_open: proposal ${outcome.proposal_id}, ${outcome.state}.`);
    for (const voter of voters) {
      if (outcome.state !== 'Open') break;
      outcome = await step(`${voter.name} could not vote`, () => voter.client.accept(outcome.proposal_id));
      options.log(`${voter.name} voted to accept: ${outcome.state}.`);
    }
    if (outcome.state !== 'Accepted') {
      throw new CliError(`the proposal to open the service ended ${outcome.state}${outcome.failure === undefined ? '' : `: ${outcome.failure.reason}`}`, 1);
    }
    const info = await step('could not read the service\'s status', () => proposer.client.serviceInfo());
    if (info.status !== 'Open') throw new CliError(`the proposal to open the service was accepted, but the service is ${info.status}`, 1);
    return { proposalId: outcome.proposal_id };
  } finally {
    await Promise.all(members.map((member) => member.client.close()));
  }
}

/** Runs one request; a refusal or lost connection becomes a CliError saying which step failed. */
async function step<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof CocoHttpError || error instanceof CocoTransportError) throw new CliError(`${what}: ${error.message}`, 1);
    throw error;
  }
}

/** "a, b and c". */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1) as string}`;
}
