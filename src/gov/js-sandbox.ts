// Runs one exported function of a JavaScript module (a constitution or a ballot) in
// QuickJS, isolated from the host: a fresh runtime per call (no state survives between
// calls), no module loader, no clock, no randomness, a memory limit, a stack limit, and a
// deterministic step budget counted by QuickJS's interrupt handler (never wall-clock), so
// the same call fails the same way on every node. Arguments go in as JSON; the result
// comes back as JSON. The only way out is the host functions the caller passes in.
//
// Loading the WebAssembly module is asynchronous; it happens once, in `JsSandbox.load()`.
// Every call after that is synchronous, so it can run inside a KV transaction.
//
// Memory: QuickJS's own limit does not add up allocation sizes in the WebAssembly build
// (quickjs-emscripten issue #271), so at each interrupt poll the sandbox reads QuickJS's
// memory accounting and stops the run past its limit (deterministic, like the steps), and
// the WebAssembly memory itself has a fixed maximum, so what escapes the accounting
// between polls fails as "out of memory" instead of growing the node.
//
// What the step budget cannot see: one step that works on one large value (comparing or
// concatenating strings of megabytes) costs far more than a step on small ones. The
// memory limit bounds the size of such values, and bulk native methods are charged by
// size (sandbox-prelude.ts), but a hostile script can still make one step slow.
import assert from 'node:assert/strict';
import {
  DefaultIntrinsics,
  newQuickJSWASMModule,
  newVariant,
  RELEASE_SYNC,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import {
  sandboxHostCallSteps,
  sandboxMessageCharsMax,
  sandboxStackBytesMax,
  sandboxStepsPerInterrupt,
  sandboxUnitsPerStep,
  sandboxWasmMemoryBytesInitial,
  sandboxWasmMemoryBytesMax,
} from './governance-limits.js';
import { CHARGE_FUNCTION_GLOBAL, HOST_FUNCTION_GLOBAL, SANDBOX_PRELUDE } from './sandbox-prelude.js';

export interface SandboxLimits {
  /** Deterministic execution budget, in steps (about one QuickJS tick each). */
  readonly stepsMax: number;
  readonly memoryBytesMax: number;
}

/** An error a host function reports to the sandboxed code, which sees it as a thrown Error. */
export class SandboxHostError extends Error {
  override readonly name = 'SandboxHostError';
}

/**
 * The functions sandboxed code may call, as `coco.kv.*` and `coco.crypto.*` (see
 * sandbox-prelude.ts). Arguments and results are JSON values. Throw SandboxHostError to
 * refuse a call; anything else thrown is a host bug and is rethrown from `run`.
 */
export interface SandboxHost {
  call(name: string, args: readonly unknown[]): unknown;
}

export interface SandboxCall {
  readonly source: string;
  /** Names the module in messages and stack traces, e.g. `constitution.js`. */
  readonly filename: string;
  /** Exports that must be functions; the call fails with MissingExport otherwise. */
  readonly requiredExports: readonly string[];
  /** The export to call; omitted, the module is only loaded and checked. */
  readonly exportName?: string;
  readonly args?: readonly unknown[];
  readonly limits: SandboxLimits;
  readonly host?: SandboxHost;
}

export type SandboxFailureKind =
  /** The module does not parse. */
  | 'SyntaxError'
  /** A required export is missing or is not a function (or the module used top-level await). */
  | 'MissingExport'
  /** The code threw. */
  | 'Threw'
  | 'StepBudgetExceeded'
  | 'MemoryLimitExceeded'
  | 'StackOverflow'
  /** The function returned something that is not a JSON value. */
  | 'NotJson'
  /** Native code overflowed the host's stack; the run was abandoned. */
  | 'Crashed';

export type SandboxOutcome =
  | { readonly ok: true; readonly value: unknown; readonly steps: number }
  | { readonly ok: false; readonly kind: SandboxFailureKind; readonly message: string; readonly steps: number };

// No Date (no clock) and no typed arrays (governance needs no binary data).
const INTRINSICS = { ...DefaultIntrinsics, Date: false, TypedArrays: false };

let loading: Promise<QuickJSWASMModule> | undefined;

type WasmMemory = ReturnType<QuickJSWASMModule['getWasmMemory']>;
// The TypeScript libs this project builds with (ES2023, node) do not declare WebAssembly.
const { Memory: WasmMemoryConstructor } = (globalThis as unknown as {
  readonly WebAssembly: { readonly Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory };
}).WebAssembly;

/** Counts steps: each interrupt poll and each host charge. Once over, it stays over. */
class StepBudget {
  steps = 0;
  exhausted = false;
  /** Set when a poll found the heap over the memory limit. */
  memoryExceeded = false;

  constructor(readonly stepsMax: number) {}

  /** Adds `steps`; true while the budget holds. */
  spend(steps: number): boolean {
    this.steps += steps;
    if (this.steps > this.stepsMax) this.exhausted = true;
    return !this.exhausted;
  }
}

/** QuickJS's own count of the bytes its heap uses ("memory used" of JS_ComputeMemoryUsage). */
function heapBytes(runtime: QuickJSRuntime): number {
  const used = /memory used\s+\d+\s+(\d+)/.exec(runtime.dumpMemoryUsage());
  assert(used !== null, 'QuickJS memory dump has a "memory used" line');
  return Number(used[1]);
}

function stepsForUnits(units: number): number {
  return Math.ceil(units / sandboxUnitsPerStep);
}

function cut(text: string): string {
  return text.length > sandboxMessageCharsMax ? `${text.slice(0, sandboxMessageCharsMax)}…` : text;
}

export class JsSandbox {
  readonly #module: QuickJSWASMModule;

  private constructor(module: QuickJSWASMModule) {
    this.#module = module;
  }

  /**
   * The sandbox, on its own WebAssembly module (so nothing else shares its memory),
   * instantiated once per process however often this is called.
   */
  static async load(): Promise<JsSandbox> {
    const pageBytes = 64 * 1024;
    loading ??= newQuickJSWASMModule(newVariant(RELEASE_SYNC, {
      wasmMemory: new WasmMemoryConstructor({ initial: sandboxWasmMemoryBytesInitial / pageBytes, maximum: sandboxWasmMemoryBytesMax / pageBytes }),
    }));
    try {
      return new JsSandbox(await loading);
    } catch (error) {
      loading = undefined; // a failed load may be retried
      throw error;
    }
  }

  run(call: SandboxCall): SandboxOutcome {
    assert(Number.isSafeInteger(call.limits.stepsMax) && call.limits.stepsMax > 0, 'stepsMax must be a positive integer');
    assert(Number.isSafeInteger(call.limits.memoryBytesMax) && call.limits.memoryBytesMax > 0, 'memoryBytesMax must be a positive integer');
    const budget = new StepBudget(call.limits.stepsMax);
    const runtime = this.#module.newRuntime();
    runtime.setMemoryLimit(call.limits.memoryBytesMax);
    runtime.setMaxStackSize(sandboxStackBytesMax);
    runtime.setInterruptHandler(() => {
      if (heapBytes(runtime) > call.limits.memoryBytesMax) budget.memoryExceeded = true;
      return !budget.spend(sandboxStepsPerInterrupt) || budget.memoryExceeded;
    });
    const faults: unknown[] = [];
    let crashed = false;
    let context: QuickJSContext | undefined;
    try {
      context = runtime.newContext({ intrinsics: INTRINSICS });
      const outcome = runIn({ context, budget, call, memory: this.#module.getWasmMemory(), faults });
      if (faults.length > 0) throw faults[0];
      return outcome;
    } catch (error) {
      if (faults.includes(error) || !(error instanceof RangeError)) throw error;
      // V8's "Maximum call stack size exceeded" unwound through QuickJS's native frames:
      // its heap may be inconsistent, so it is abandoned (leaked), never freed.
      crashed = true;
      return { ok: false, kind: 'Crashed', message: `${call.filename} overflowed the host stack in native code (${error.message}); nest data less deeply`, steps: budget.steps };
    } finally {
      if (!crashed) {
        context?.dispose();
        runtime.dispose();
      }
    }
  }
}

/** What one run works with. */
interface RunState {
  readonly context: QuickJSContext;
  readonly budget: StepBudget;
  readonly call: SandboxCall;
  readonly memory: WasmMemory;
  /** Host errors that are bugs, rethrown by `run`. */
  readonly faults: unknown[];
}

/** One call inside a fresh context; every handle it makes is freed before it returns. */
function runIn(run: RunState): SandboxOutcome {
  const { context, budget, call, faults } = run;
  const handles: QuickJSHandle[] = [];
  const keep = (handle: QuickJSHandle): QuickJSHandle => {
    handles.push(handle);
    return handle;
  };
  const fail = (kind: SandboxFailureKind, message: string): SandboxOutcome => ({ ok: false, kind, message: cut(message), steps: budget.steps });
  let abandoned = false;
  try {
    const hostFunction = keep(context.newFunction('host', (name, args) => context.newString(hostReply(context, budget, call.host, name, args, faults))));
    const chargeFunction = keep(context.newFunction('charge', (steps) => (budget.spend(context.getNumber(steps)) ? context.false : context.true)));
    context.setProp(context.global, HOST_FUNCTION_GLOBAL, hostFunction);
    context.setProp(context.global, CHARGE_FUNCTION_GLOBAL, chargeFunction);
    const prelude = context.evalCode(SANDBOX_PRELUDE, 'coco-prelude.js');
    if (prelude.error !== undefined) {
      keep(prelude.error);
      return failure(run, prelude.error, 'setting up the sandbox');
    }
    const invoke = keep(prelude.value);

    const loaded = context.evalCode(call.source, call.filename, { type: 'module' });
    if (loaded.error !== undefined) {
      keep(loaded.error);
      return failure(run, loaded.error, 'loading');
    }
    const namespace = keep(loaded.value);
    if (context.typeof(keep(context.getProp(namespace, 'then'))) === 'function') {
      return fail('MissingExport', `${call.filename} uses top-level await, which governance code may not`);
    }
    for (const name of call.requiredExports) {
      if (context.typeof(keep(context.getProp(namespace, name))) !== 'function') {
        return fail('MissingExport', `${call.filename} does not export a function named ${name}`);
      }
    }
    if (call.exportName === undefined) return { ok: true, value: undefined, steps: budget.steps };

    const target = keep(context.getProp(namespace, call.exportName));
    if (context.typeof(target) !== 'function') return fail('MissingExport', `${call.filename} does not export a function named ${call.exportName}`);
    const argsText = JSON.stringify(call.args ?? []);
    const argsHandle = keep(context.newString(argsText));
    const result = context.callFunction(invoke, context.undefined, target, argsHandle);
    if (result.error !== undefined) {
      keep(result.error);
      return failure(run, result.error, `running ${call.exportName}`);
    }
    const value = keep(result.value);
    if (context.typeof(value) === 'undefined') return { ok: true, value: undefined, steps: budget.steps };
    assert.equal(context.typeof(value), 'string', 'invoke returns JSON text or undefined');
    const text = context.getString(value);
    if (!budget.spend(stepsForUnits(text.length))) return fail('StepBudgetExceeded', budgetMessage(call, call.exportName));
    return { ok: true, value: JSON.parse(text), steps: budget.steps };
  } catch (error) {
    // See JsSandbox.run: after a host stack overflow the handles are not freed.
    abandoned = error instanceof RangeError && !faults.includes(error);
    throw error;
  } finally {
    if (!abandoned) for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
  }
}

function budgetMessage(call: SandboxCall, doing: string): string {
  return `${call.filename} ran out of its execution budget of ${call.limits.stepsMax} steps while ${doing} (a loop that never ends?)`;
}

/** Classifies what the sandboxed code threw, without running any more of its code if it can help it. */
function failure(run: RunState, error: QuickJSHandle, doing: string): SandboxOutcome {
  const { context, budget, call, memory } = run;
  const base = { ok: false as const, steps: budget.steps };
  if (budget.memoryExceeded) {
    return { ...base, kind: 'MemoryLimitExceeded', message: `${call.filename} used more than its ${call.limits.memoryBytesMax}-byte memory limit while ${doing}` };
  }
  if (budget.exhausted) return { ...base, kind: 'StepBudgetExceeded', message: budgetMessage(call, doing) };
  const thrown = describeThrown(context, error);
  const outOfWasmMemory = thrown.isNull === true && wasmMemoryNearlyFull(memory);
  if (outOfWasmMemory || (thrown.name === 'InternalError' && thrown.message === 'out of memory')) {
    return { ...base, kind: 'MemoryLimitExceeded', message: `${call.filename} ran out of its ${call.limits.memoryBytesMax}-byte memory limit while ${doing}` };
  }
  if (thrown.message === 'stack overflow') {
    return { ...base, kind: 'StackOverflow', message: `${call.filename} overflowed its stack while ${doing} (recursion too deep?)${thrown.at}` };
  }
  if (thrown.name === 'SyntaxError' && doing === 'loading') {
    return { ...base, kind: 'SyntaxError', message: cut(`${call.filename} does not parse: ${thrown.message}${thrown.at}`) };
  }
  if (thrown.name === 'TypeError' && thrown.message.startsWith('returned a ')) {
    return { ...base, kind: 'NotJson', message: cut(`${call.filename}: ${call.exportName ?? 'the module'} ${thrown.message}`) };
  }
  return { ...base, kind: 'Threw', message: cut(`${call.filename} threw while ${doing}: ${thrown.name}: ${thrown.message}${thrown.at}`) };
}

/** True when the sandbox's WebAssembly memory has grown to (nearly) its fixed maximum. */
function wasmMemoryNearlyFull(memory: WasmMemory): boolean {
  return memory.buffer.byteLength >= sandboxWasmMemoryBytesMax * 0.9;
}

interface Thrown {
  /** QuickJS throws null when it cannot even allocate the out-of-memory error. */
  readonly isNull?: boolean;
  readonly name: string;
  readonly message: string;
  /** " (at file:line:column)" from the first stack frame, or empty. */
  readonly at: string;
}

function describeThrown(context: QuickJSContext, error: QuickJSHandle): Thrown {
  try {
    const type = context.typeof(error);
    if (type === 'string') return { name: 'a string', message: cut(context.getString(error)), at: '' };
    if (type === 'number') return { name: 'a number', message: String(context.getNumber(error)), at: '' };
    if (type !== 'object') return { name: `a ${type}`, message: 'was thrown', at: '' };
    if (context.sameValue(error, context.null)) return { isNull: true, name: 'null', message: 'was thrown', at: '' };
    const name = stringProperty(context, error, 'name');
    const message = stringProperty(context, error, 'message');
    if (name === undefined && message === undefined) return { name: 'a value', message: 'that is not an Error (null or a plain object)', at: '' };
    const frame = /\(([^()]+:\d+:\d+)\)/.exec(stringProperty(context, error, 'stack') ?? '');
    return { name: name ?? 'Error', message: cut(message ?? ''), at: frame === null ? '' : ` (at ${frame[1]})` };
  } catch {
    return { name: 'a value', message: 'that cannot be read', at: '' };
  }
}

function stringProperty(context: QuickJSContext, object: QuickJSHandle, name: string): string | undefined {
  const handle = context.getProp(object, name);
  try {
    return context.typeof(handle) === 'string' ? context.getString(handle) : undefined;
  } finally {
    handle.dispose();
  }
}

/**
 * Answers one host call as a JSON envelope, `{"value": ...}` or `{"error": "..."}`, which
 * the prelude turns into a return or a thrown Error. Charges the bytes moved.
 */
function hostReply(
  context: QuickJSContext,
  budget: StepBudget,
  host: SandboxHost | undefined,
  nameHandle: QuickJSHandle | undefined,
  argsHandle: QuickJSHandle | undefined,
  faults: unknown[],
): string {
  const refuse = (message: string): string => JSON.stringify({ error: message });
  if (nameHandle === undefined || argsHandle === undefined || context.typeof(nameHandle) !== 'string' || context.typeof(argsHandle) !== 'string') {
    return refuse('malformed host call');
  }
  const name = context.getString(nameHandle);
  const argsText = context.getString(argsHandle);
  if (!budget.spend(sandboxHostCallSteps + stepsForUnits(argsText.length))) return refuse('the execution budget is exhausted');
  if (host === undefined) return refuse(`${name} is not available here`);
  try {
    const args: unknown = JSON.parse(argsText);
    assert(Array.isArray(args), 'the prelude passes host arguments as an array');
    const value = host.call(name, args);
    const reply = JSON.stringify(value === undefined ? {} : { value });
    if (!budget.spend(stepsForUnits(reply.length))) return refuse('the execution budget is exhausted');
    return reply;
  } catch (error) {
    if (error instanceof SandboxHostError) return refuse(error.message);
    // A host bug: note it, so `run` rethrows it rather than let the sandbox swallow it.
    faults.push(error);
    return refuse('internal error in the host');
  }
}
