// `coco receipt verify FILE --service-cert PEM`: checks a receipt offline.
// Exit 0 when valid; 1 when invalid, with the reason; 2 when it could not run.
import type { Command } from 'commander';
import { verifyReceipt } from '../ledger/receipt.js';
import { CliError } from './cli-error.js';
import { readInputFile } from './read-input.js';

export function registerReceiptCommands(program: Command): void {
  const receipt = program.command('receipt').description('work with transaction receipts');
  receipt
    .command('verify')
    .argument('<file>', 'receipt JSON, as GET /app/receipt returns it')
    .requiredOption('--service-cert <pem>', 'the service certificate, the only thing trusted')
    .option('--json', 'print {"valid", "txid", "reason"} as JSON')
    .description('check that a receipt proves its transaction under the service certificate')
    .action((file: string, options: { serviceCert: string; json?: boolean }) => {
      const receiptText = readInputFile(file, 'receipt');
      const serviceCertificate = readInputFile(options.serviceCert, 'service certificate');
      let value: unknown;
      try {
        value = JSON.parse(receiptText);
      } catch (error) {
        throw new CliError(`${file}: not JSON: ${(error as Error).message}`, 1);
      }
      const check = verifyReceipt(value, serviceCertificate);
      if (options.json === true) {
        console.log(JSON.stringify(check.ok ? { valid: true, txid: check.txid } : { valid: false, reason: check.reason }));
      } else {
        console.log(check.ok ? `valid: transaction ${check.txid} is in the ledger, signed by node ${check.signedBy.slice(0, 16)}…` : `invalid: ${check.reason}`);
      }
      if (!check.ok) process.exitCode = 1;
    });
}
