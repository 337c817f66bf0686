// Every named maximum of governance, with its unit in its name (STYLE.md §6). They live
// here rather than in src/limits.ts only because governance owns them and nothing else
// reads them; move them there if another layer ever needs one.

/**
 * QuickJS polls its interrupt handler once every this many "ticks" (function calls and
 * backward jumps: JS_INTERRUPT_COUNTER_INIT in quickjs.c). The sandbox counts each poll
 * as this many steps, so a step is roughly one tick.
 */
export const sandboxStepsPerInterrupt = 10_000;

/** Steps the constitution may take in one call (validate, resolve or apply): about 0.1 to 0.5 s of a tight loop. */
export const constitutionStepsMax = 20_000_000;
/** Steps one ballot may take in one run. Ballots are small; a member's ballot must not stall the node. */
export const ballotStepsMax = 2_000_000;

/**
 * QuickJS heap for one constitution call, as QuickJS's own accounting measures it at
 * each interrupt poll. (Its built-in limit only bounds single allocations in the
 * WebAssembly build, quickjs-emscripten issue #271, so the sandbox measures instead.)
 * It also bounds the work one step can do on one value (a string compare, a
 * concatenation), which the step count cannot see.
 */
export const constitutionMemoryBytesMax = 16 * 1024 * 1024;
/** QuickJS heap for one ballot run. */
export const ballotMemoryBytesMax = 4 * 1024 * 1024;

/**
 * The hard ceiling: the WebAssembly memory of the governance sandbox, shared by its
 * (sequential) runs. Memory that escapes QuickJS's accounting between two polls (a large
 * string in a local variable) fails to allocate here, as a clean "out of memory", rather
 * than growing the node's memory without bound. WebAssembly memory never shrinks, so
 * this is also the most the sandbox ever holds.
 */
export const sandboxWasmMemoryBytesMax = 128 * 1024 * 1024;
/** Emscripten's initial memory for the QuickJS module (its INITIAL_MEMORY default). */
export const sandboxWasmMemoryBytesInitial = 16 * 1024 * 1024;

/**
 * QuickJS's own stack limit. Its native code runs on node's stack: with much more than
 * this, a deep JSON.stringify overflows node's stack before QuickJS notices (measured:
 * 128 KiB overflows node 20's default stack, 64 KiB does when the caller is deep, 32 KiB
 * never did). It allows about 150 nested JS calls.
 */
export const sandboxStackBytesMax = 32 * 1024;

/** Steps charged for every call from the sandbox to the host (KV, crypto helpers). */
export const sandboxHostCallSteps = 100;
/**
 * Characters or elements of bulk work charged as one step: by host calls (bytes moved)
 * and by native methods that do work proportional to their input (String.prototype.repeat,
 * Array.prototype.join, ...), which QuickJS counts as one tick however long they run.
 */
export const sandboxUnitsPerStep = 8;
/** Extra factor for sorting: n log n comparisons, each converting elements to strings. */
export const sandboxSortUnitsFactor = 32;

/** Longest error message kept from a failed sandbox call, in characters. */
export const sandboxMessageCharsMax = 1_024;

/** Largest proposal, in UTF-8 bytes (a set_constitution proposal carries a whole constitution). */
export const proposalBytesMax = 1024 * 1024;
/** Largest ballot source, in UTF-8 bytes. */
export const ballotBytesMax = 64 * 1024;
/** Largest constitution source, in UTF-8 bytes. */
export const constitutionBytesMax = 512 * 1024;
/** Largest signed governance request (COSE Sign1), in bytes: a largest proposal and its envelope. */
export const signedRequestBytesMax = proposalBytesMax + 64 * 1024;
/** Proposals Open at once in a service; more are refused until some close. */
export const openProposalsMax = 256;

/** Keys one apply() may write (set or delete). */
export const applyWritesMax = 10_000;
/** JSON bytes of keys and values one apply() may write. */
export const applyWriteBytesMax = 16 * 1024 * 1024;

/** A signed request created longer ago than this is refused as stale. */
export const requestAgeSecondsMax = 300;
/** A signed request created further than this in the future (clock skew allowance) is refused. */
export const requestClockSkewSecondsMax = 60;
/** Recent signed requests remembered per member for replay detection; older ones raise a floor. */
export const recentRequestsPerMemberMax = 1_000;
