// Consensus's read-back of compacted entries (src/consensus/entry-source.ts), served from
// the replica's ledger: a backup far behind is caught up from the chunk files, not from a
// copy of every entry held in memory (CCF does the same from its ledger). The ledger holds
// each entry's bytes and signature flag; the view is in the entry's own header, and
// consensus puts back the configuration, which it keeps for every entry.
import assert from 'node:assert/strict';
import type { EntrySource } from '../consensus/entry-source.js';
import type { Entry } from '../consensus/messages.js';
import type { ChunkedLedger } from '../ledger/chunked-ledger.js';
import { decodeEntryHeader } from '../ledger/entry.js';

export function ledgerEntrySource(ledger: ChunkedLedger): EntrySource {
  return (from, to, bytesMax) => {
    const entries: Entry[] = [];
    let bytes = 0;
    // One read per chunk for the whole range: consensus asks for at most one
    // AppendEntries' worth of entries (appendEntriesEntriesMax).
    for (const { seqno, entry, isSignature } of ledger.readRange(from, to)) {
      if (entries.length > 0 && bytes + entry.byteLength > bytesMax) break;
      bytes += entry.byteLength;
      const header = decodeEntryHeader(entry);
      assert(header.seqno === seqno && (header.kind === 'signature') === isSignature, `ledger frame ${seqno} holds entry ${header.view}.${header.seqno} (${header.kind})`);
      entries.push({ view: header.view, seqno, isSignature, data: entry });
    }
    return entries;
  };
}
