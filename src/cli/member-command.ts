// `coco member ...`: what a member of the consortium does from a shell. Each command
// signs its request with the member's key (COSE Sign1, through the SDK's
// GovernanceClient) and prints the outcome for people, or with --json for scripts:
//
//   coco member propose FILE | ACTION [flags]     {"proposal_id", "state"}
//   coco member vote ID --accept | --reject | --ballot FILE   {"proposal_id", "state"}
//   coco member withdraw ID                        {"proposal_id", "state"}
//   coco member ack                                {"member_id", "state_digest", "status"}
//   coco member proposals                          {"proposals": [...]}
import type { Command } from 'commander';
import { isGovernanceId, type Ballot, type GovernanceClient, type Proposal, type ProposalOutcome } from '../client/index.js';
import { CliError } from './cli-error.js';
import { addConnectionOptions, withGovernance, type ConnectionFlags } from './member-connection.js';
import { proposalOf } from './proposal-actions.js';
import { addActionCommands } from './proposal-command.js';
import { readInputFile } from './read-input.js';

export function registerMemberCommands(program: Command): void {
  const member = program
    .command('member')
    .description('govern the service as a member: propose, vote, withdraw, acknowledge, list proposals')
    .addHelpText('after', '\nEvery command takes --url, --service-cert, --signing-cert and --signing-key\n(or COCO_URL, COCO_SERVICE_CERT, COCO_SIGNING_CERT, COCO_SIGNING_KEY), and --json.');
  registerPropose(member);
  registerVote(member);
  registerWithdraw(member);
  registerAck(member);
  registerProposals(member);
}

function registerPropose(member: Command): void {
  const propose = member
    .command('propose')
    .description('submit a proposal: a proposal FILE (JSON, as coco proposal ACTION writes it), or ACTION with the flags coco proposal ACTION takes')
    .usage('FILE | ACTION [flags]')
    .addHelpText('after', '\nExamples:\n  coco member propose set_user1.json ...\n  coco member propose set_user --cert user1_cert.pem ...\n  coco member propose transition_service_to_open ...');
  addActionCommands(propose, addConnectionOptions, async (spec, flags) => {
    await submitProposal(proposalOf(spec, flags), flags as unknown as ConnectionFlags);
  });
  const fromFile = propose.command('file', { isDefault: true, hidden: true }).argument('<file>', 'the proposal, JSON: {"actions": [{"name", "args"}]}');
  addConnectionOptions(fromFile);
  fromFile.action(async (file: string, flags: ConnectionFlags) => {
    await submitProposal(readProposalFile(file), flags);
  });
}

/** The file's text, checked to be a JSON object with actions; it is signed as it is. */
function readProposalFile(file: string): string {
  let text: string;
  try {
    text = readInputFile(file, 'proposal file');
  } catch (error) {
    if (!/^[a-z_]+$/.test(file)) throw error;
    throw new CliError(`${file} is neither a proposal file nor an action of the default constitution (coco member propose --help lists them)`);
  }
  let proposal: unknown;
  try {
    proposal = JSON.parse(text);
  } catch (error) {
    throw new CliError(`proposal file ${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof proposal !== 'object' || proposal === null || !Array.isArray((proposal as { actions?: unknown }).actions)) {
    throw new CliError(`proposal file ${file} must be a JSON object {"actions": [{"name", "args"}]}`);
  }
  return text;
}

async function submitProposal(proposal: Proposal | string, flags: ConnectionFlags): Promise<void> {
  const outcome = await withGovernance(flags, (client) => client.propose(proposal));
  if (flags.json === true) return printJson(summary(outcome));
  console.log(`Proposal ${outcome.proposal_id} is ${describeState(outcome)}.`);
  if (outcome.state === 'Open') console.log(`Members vote on it with: coco member vote ${outcome.proposal_id} --accept (or --reject)`);
}

function registerVote(member: Command): void {
  const vote = member
    .command('vote')
    .description('vote on an Open proposal: accept, reject, or a ballot FILE (JavaScript exporting vote(proposal, proposerId))')
    .argument('<id>', 'the proposal id')
    .option('--accept', 'vote for it')
    .option('--reject', 'vote against it')
    .option('--ballot <file>', 'a ballot: a JavaScript module exporting vote(proposal, proposerId) that returns true or false');
  addConnectionOptions(vote);
  vote.action(async (id: string, flags: ConnectionFlags & { accept?: boolean; reject?: boolean; ballot?: string }) => {
    const proposalId = checkProposalId(id);
    const given = [flags.accept === true, flags.reject === true, flags.ballot !== undefined].filter(Boolean).length;
    if (given !== 1) throw new CliError('vote with exactly one of --accept, --reject or --ballot FILE');
    const ballot: Ballot = flags.accept === true ? 'accept' : flags.reject === true ? 'reject' : { source: readBallotFile(flags.ballot as string) };
    const outcome = await withGovernance(flags, (client) => client.vote(proposalId, ballot));
    if (flags.json === true) return printJson(summary(outcome));
    const how = ballot === 'accept' ? 'Voted to accept' : ballot === 'reject' ? 'Voted to reject' : `Submitted ballot ${flags.ballot as string} on`;
    console.log(`${how} proposal ${outcome.proposal_id}: it is ${describeState(outcome)}.`);
  });
}

function readBallotFile(file: string): string {
  const source = readInputFile(file, 'ballot');
  if (source.trim() === '') throw new CliError(`ballot ${file} is empty: it must be a JavaScript module exporting vote(proposal, proposerId)`);
  return source;
}

function registerWithdraw(member: Command): void {
  const withdraw = member
    .command('withdraw')
    .description('withdraw an Open proposal of yours')
    .argument('<id>', 'the proposal id');
  addConnectionOptions(withdraw);
  withdraw.action(async (id: string, flags: ConnectionFlags) => {
    const proposalId = checkProposalId(id);
    const outcome = await withGovernance(flags, (client) => client.withdraw(proposalId));
    if (flags.json === true) return printJson(summary(outcome));
    console.log(`Withdrew proposal ${outcome.proposal_id}: it is ${describeState(outcome)}.`);
  });
}

function registerAck(member: Command): void {
  const ack = member
    .command('ack')
    .description('acknowledge the service\'s current state digest, which makes a new (Accepted) member Active');
  addConnectionOptions(ack);
  ack.action(async (flags: ConnectionFlags) => {
    const result = await withGovernance(flags, (client) => acknowledge(client));
    if (flags.json === true) return printJson(result);
    console.log(`Member ${result.member_id} acknowledged state digest ${result.state_digest}: it is ${result.status}.`);
  });
}

async function acknowledge(client: GovernanceClient): Promise<{ member_id: string; state_digest: string; status: string }> {
  const stateDigest = await client.updateStateDigest();
  const record = await client.ack(stateDigest);
  return { member_id: record.member_id, state_digest: stateDigest, status: record.status };
}

function registerProposals(member: Command): void {
  const proposals = member.command('proposals').description('list the service\'s proposals: id, state, ballots, proposer');
  addConnectionOptions(proposals);
  proposals.action(async (flags: ConnectionFlags) => {
    const list = await withGovernance(flags, (client) => client.proposals());
    if (flags.json === true) return printJson({ proposals: list });
    if (list.length === 0) {
      console.log('No proposals.');
      return;
    }
    const stateWidth = Math.max(...list.map((outcome) => outcome.state.length));
    for (const outcome of list) {
      const ballots = `${outcome.ballot_count} ballot${outcome.ballot_count === 1 ? '' : 's'}`;
      console.log(`${outcome.proposal_id}  ${outcome.state.padEnd(stateWidth)}  ${ballots.padEnd(10)}  proposed by ${outcome.proposer_id.slice(0, 16)}…`);
    }
  });
}

function checkProposalId(id: string): string {
  const lower = id.toLowerCase();
  if (!isGovernanceId(lower)) throw new CliError(`a proposal id is 64 hex characters (coco member proposals lists them), not ${JSON.stringify(id)}`);
  return lower;
}

function summary(outcome: ProposalOutcome): { proposal_id: string; state: string } {
  return { proposal_id: outcome.proposal_id, state: outcome.state };
}

/** "Open (1 ballot)", "Accepted", "Failed: why". */
function describeState(outcome: ProposalOutcome): string {
  if (outcome.state === 'Open') return `Open (${outcome.ballot_count} ballot${outcome.ballot_count === 1 ? '' : 's'})`;
  if (outcome.state === 'Failed' && outcome.failure !== undefined) return `Failed: ${outcome.failure.reason}`;
  return outcome.state;
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value));
}
