// Every named maximum in Coco, in one place, with its unit in its name (STYLE.md §6).

/** A ledger chunk is closed after the first signature transaction past this size. */
export const ledgerChunkBytesTarget = 5 * 1024 * 1024;
/** Largest single ledger entry accepted when writing or reading. */
export const ledgerEntryBytesMax = 64 * 1024 * 1024;
/** Longest map name, in UTF-8 bytes. */
export const mapNameBytesMax = 256;
/** Largest key in a KV map, in bytes. */
export const kvKeyBytesMax = 64 * 1024;
/** Largest value in a KV map, in bytes. */
export const kvValueBytesMax = 32 * 1024 * 1024;
/** Re-executions of a transaction handler after commit conflicts before giving up. */
export const transactionAttemptsMax = 10;
