// The one error type the KV store throws at callers who pass it bad input, with a
// closed list of codes so the RPC layer can map each to an HTTP error (STYLE.md §7).
// Broken invariants inside the store are assertions instead: they mean a bug, not bad input.

export type KvErrorCode =
  /** A map name without a `public:` / `private:` prefix, with odd characters, or too long. */
  | 'InvalidMapName'
  /** A write to a `coco.gov.*` / `coco.internal.*` map from a transaction begun without privilege. */
  | 'ReservedMap'
  /** A value the value codec cannot encode or decode, or one over `kvValueBytesMax`. */
  | 'InvalidValue'
  /** A key the key codec cannot encode or decode, or one over `kvKeyBytesMax`. */
  | 'InvalidKey'
  /** Any use of a transaction (or of its maps and iterators) after commit or abort. */
  | 'TransactionClosed'
  /** `Store.fromSnapshot` was given bytes that are not a well-formed snapshot. */
  | 'InvalidSnapshot'
  /** `runTransaction` met a conflict on every allowed attempt. */
  | 'ConflictRetriesExhausted';

export class KvError extends Error {
  override readonly name = 'KvError';

  constructor(
    readonly code: KvErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `error` is a KvError, optionally with the given code. */
export function isKvError(error: unknown, code?: KvErrorCode): error is KvError {
  return error instanceof KvError && (code === undefined || error.code === code);
}
