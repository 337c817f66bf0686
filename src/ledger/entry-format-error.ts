// The error for a ledger entry that cannot be decoded or does not check out:
// operating input (a file from disk, a message from a peer), never a crash.
export class EntryFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EntryFormatError';
  }
}
