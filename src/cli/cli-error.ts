// An error the CLI reports as one line on stderr, exiting with `exitCode`:
// 1 when the thing checked is bad (a ledger, a receipt), 2 when the command could not
// run as asked (arguments, missing or unreadable files, refusing to overwrite).
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
