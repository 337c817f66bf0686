// How every `coco member` command reaches the service: the four connection flags (each
// also read from an environment variable, so a shell session can set them once), the
// governance client they make, and the mapping of what can go wrong to exit codes:
// 2 for what the user gave (a missing or unusable file, a bad id), 1 when the service
// refused the request or could not be reached (docs/cli.md).
import { Option, type Command } from 'commander';
import { CocoHttpError, CocoTransportError, GovernanceClient } from '../client/index.js';
import { CliError } from './cli-error.js';
import { readInputFile } from './read-input.js';

export interface ConnectionFlags {
  readonly url: string;
  readonly serviceCert: string;
  readonly signingCert: string;
  readonly signingKey: string;
  readonly json?: boolean;
}

/** Adds --url, --service-cert, --signing-cert, --signing-key and --json. */
export function addConnectionOptions(command: Command): void {
  command
    .addOption(new Option('--url <url>', 'a node of the service, https://host:port').env('COCO_URL').makeOptionMandatory())
    .addOption(new Option('--service-cert <file>', 'the service certificate (PEM): the only certificate trusted').env('COCO_SERVICE_CERT').makeOptionMandatory())
    .addOption(new Option('--signing-cert <file>', 'the member\'s certificate (PEM)').env('COCO_SIGNING_CERT').makeOptionMandatory())
    .addOption(new Option('--signing-key <file>', 'the member\'s private key (PEM): signs the request').env('COCO_SIGNING_KEY').makeOptionMandatory())
    .option('--json', 'print JSON, for scripts');
}

/** What a refusal means for the member, when the service's message alone may not say what to do. */
const HINTS: Readonly<Record<string, string>> = {
  MemberNotActive: 'a new member must first acknowledge the state digest: coco member ack',
  UnknownMember: 'the --signing-cert is not a member of this service',
  InvalidSignature: 'is --signing-key the key of --signing-cert?',
  StaleRequest: 'check this machine\'s clock',
  FutureRequest: 'check this machine\'s clock',
  ProposalNotFound: 'coco member proposals lists the proposals',
};

/** Connects as the member the flags name, runs `work`, and closes; every failure becomes a CliError. */
export async function withGovernance<T>(flags: ConnectionFlags, work: (client: GovernanceClient) => Promise<T>): Promise<T> {
  let client: GovernanceClient;
  try {
    client = GovernanceClient.connect({
      url: flags.url,
      serviceCertificate: readInputFile(flags.serviceCert, 'service certificate'),
      signingCertificate: readInputFile(flags.signingCert, 'member certificate'),
      signingKey: readInputFile(flags.signingKey, 'member private key'),
    });
  } catch (error) {
    if (error instanceof TypeError) throw new CliError(error.message);
    throw error;
  }
  try {
    return await work(client);
  } catch (error) {
    throw cliErrorOf(error);
  } finally {
    await client.close();
  }
}

export function cliErrorOf(error: unknown): unknown {
  if (error instanceof CocoHttpError) {
    const hint = HINTS[error.code];
    return new CliError(`the service refused: ${error.message}${hint === undefined ? '' : ` (${hint})`}`, 1);
  }
  if (error instanceof CocoTransportError) return new CliError(error.message, 1);
  return error;
}
