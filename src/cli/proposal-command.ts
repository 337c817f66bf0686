// `coco proposal ACTION [flags]`: writes a one-action proposal as JSON to standard
// output, for `coco member propose FILE` (or any member's own tooling) to submit. Each
// action of the default constitution is a subcommand with its own flags and --help;
// `coco member propose ACTION` takes the same ones (proposal-actions.ts).
import { Option, type Command } from 'commander';
import { ACTIONS, FLAG_SYNTAX, proposalOf, type ActionFlags, type ActionSpec } from './proposal-actions.js';

/** One subcommand per action under `parent`; `configure` adds more options, `run` gets the action and its flags. */
export function addActionCommands(
  parent: Command,
  configure: (command: Command) => void,
  run: (spec: ActionSpec, flags: ActionFlags & Record<string, unknown>) => Promise<void>,
): void {
  for (const spec of ACTIONS) {
    const command = parent.command(spec.name).description(spec.summary);
    for (const [flag, , description] of spec.flags) command.addOption(new Option(FLAG_SYNTAX[flag], description));
    command.option('--args <json>', `${spec.flags.length === 0 ? 'arguments' : 'more arguments'} as a JSON object${spec.flags.length === 0 ? '' : ', merged with the flags\''}`);
    configure(command);
    command.action(async (flags: ActionFlags & Record<string, unknown>) => {
      await run(spec, flags);
    });
  }
}

export function registerProposalCommand(program: Command): void {
  const proposal = program
    .command('proposal')
    .description('write a proposal for ACTION as JSON to standard output (submit it with coco member propose FILE)')
    .usage('ACTION [flags] > proposal.json')
    .addHelpText('after', '\nExample:\n  coco proposal set_user --cert user1_cert.pem > set_user1.json\n  coco member propose set_user1.json --url ... --service-cert ... --signing-cert ... --signing-key ...');
  addActionCommands(proposal, () => {}, async (spec, flags) => {
    process.stdout.write(`${JSON.stringify(proposalOf(spec, flags), null, 2)}\n`);
  });
}
