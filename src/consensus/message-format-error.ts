// What decodeMessage throws for bytes that are not a well-formed consensus message. That is
// bad input from the network, not a bug here: the caller drops the message (and may log the
// field named), and the state machine never sees it.
export class MessageFormatError extends Error {
  override readonly name = 'MessageFormatError';

  constructor(
    /** Which part of the message is wrong, as a path: `entries[3].seqno`. */
    readonly field: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`malformed consensus message: ${field} ${problem}`, options);
  }
}
