#!/usr/bin/env node
// The `coco` command: everything an operator, member or auditor does from a shell.
import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerKeygenCommand } from './keygen-command.js';
import { registerLedgerCommands } from './ledger-command.js';
import { registerNodeCommands } from './node-command.js';
import { registerReceiptCommands } from './receipt-command.js';
import { registerSandboxCommand } from './sandbox-command.js';

const program = new Command('coco')
  .description('Coco: confidential consortium networks')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();
registerKeygenCommand(program);
registerLedgerCommands(program);
registerNodeCommands(program);
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
