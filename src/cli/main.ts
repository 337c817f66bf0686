#!/usr/bin/env node
// The `coco` command: everything an operator, member or auditor does from a shell.
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerKeygenCommand } from './keygen-command.js';
import { registerLedgerCommands } from './ledger-command.js';
import { registerMemberCommands } from './member-command.js';
import { registerProposalCommand } from './proposal-command.js';
import { registerReceiptCommands } from './receipt-command.js';
import { registerSandboxCommand } from './sandbox-command.js';

const program = new Command('coco')
  .description('Coco: confidential consortium networks')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();
registerKeygenCommand(program);
registerLedgerCommands(program);
registerMemberCommands(program);
// The node stack (apps, the EVM) takes over a second to load and only `coco node` runs
// it, so every other command starts without it; `coco --help` lists node all the same.
if (process.argv[2] === 'node' || process.argv[2] === 'help') {
  const { registerNodeCommands } = await import('./node-command.js');
  registerNodeCommands(program);
} else {
  program.command('node').description('run a Coco node').helpOption(false).allowUnknownOption().allowExcessArguments()
    .action(() => {
      throw new CliError('coco node was not loaded; run it as the first argument: coco node start|join --config FILE');
    });
}
registerProposalCommand(program);
registerReceiptCommands(program);
registerSandboxCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof CliError) {
    console.error(`coco: ${error.message}`);
    process.exitCode = error.exitCode;
  } else {
    console.error(`coco: unexpected error: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 70;
  }
}
