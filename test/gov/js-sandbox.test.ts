// The sandbox's guarantees, against real QuickJS: code that loops, throws, allocates
// without end, recurses, or returns garbage fails with a clear, typed outcome, quickly;
// the same call always costs the same steps; and sandboxed code has no clock, no
// randomness, no modules and no host objects, and keeps nothing between calls.
import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import { JsSandbox, SandboxHostError, type SandboxOutcome } from '../../src/gov/index.js';
import { loadSandbox } from './governance-fixture.js';

const limits = { stepsMax: 2_000_000, memoryBytesMax: 4 * 1024 * 1024 };
let sandbox: JsSandbox;

function run(body: string, args: unknown[] = [], host?: { call(name: string, args: readonly unknown[]): unknown }): SandboxOutcome & { ms: number } {
  const start = performance.now();
  const outcome = sandbox.run({ source: `export function f(...args) { ${body} }`, filename: 'test.js', requiredExports: ['f'], exportName: 'f', args, limits, ...(host === undefined ? {} : { host }) });
  return { ...outcome, ms: performance.now() - start };
}

function failed(outcome: SandboxOutcome, kind: string, message: RegExp): void {
  assert.equal(outcome.ok, false, `expected a ${kind} failure, got ${JSON.stringify(outcome)}`);
  if (outcome.ok) return;
  assert.equal(outcome.kind, kind, outcome.message);
  assert.match(outcome.message, message);
}

describe('JsSandbox', () => {
  before(async () => {
    sandbox = await loadSandbox();
  });

  test('calls an export with JSON arguments and returns its JSON result', () => {
    const outcome = run('return { sum: args[0] + args[1], list: args[2] }', [1, 2, ['x']]);
    assert.deepEqual(outcome.ok && outcome.value, { sum: 3, list: ['x'] });
    assert.equal(run('return undefined').ok, true);
  });

  test('a loop that never ends runs out of steps, quickly', () => {
    const outcome = run('for (;;) {}');
    failed(outcome, 'StepBudgetExceeded', /test\.js ran out of its execution budget of 2000000 steps while running f/);
    assert.ok(outcome.ms < 3_000, `took ${outcome.ms} ms`);
  });

  test('a loop that catches its interruption is still stopped', () => {
    failed(run('for (;;) { try { for (;;) {} } catch (e) {} }'), 'StepBudgetExceeded', /execution budget/);
  });

  test('a loop over bulk native methods is charged by size, so it stops quickly too', () => {
    for (const body of [
      'let n = 0; for (;;) n += "x".repeat(500000).length',
      'const s = "x".repeat(400000); let n = 0; for (;;) n += s.indexOf("y")',
      'let n = 0; for (;;) n += new Array(100000).fill(1).length',
      'const a = []; for (let i = 0; i < 100000; i++) a.push(i % 977); for (;;) a.sort()',
    ]) {
      const outcome = run(body);
      failed(outcome, 'StepBudgetExceeded', /execution budget/);
      assert.ok(outcome.ms < 3_000, `${body} took ${outcome.ms} ms`);
    }
  });

  test('a throw fails with the error, its type and where it was thrown', () => {
    failed(run('throw new RangeError("out of range")'), 'Threw', /test\.js threw while running f: RangeError: out of range \(at test\.js:1:\d+\)/);
    failed(run('throw "a string"'), 'Threw', /a string/);
    failed(run('throw null'), 'Threw', /null/);
  });

  test('allocating without end fails with the memory limit, not the host', () => {
    for (const body of [
      'const a = []; for (;;) a.push({ index: a.length, text: "entry " + a.length })',
      'const a = []; for (;;) a.push("x".repeat(100000) + a.length)',
      'const a = []; let o = a; for (;;) { const b = []; o.push(b); o = b; }',
    ]) {
      const outcome = run(body);
      assert.equal(outcome.ok, false);
      if (outcome.ok) continue;
      assert.ok(outcome.kind === 'MemoryLimitExceeded' || outcome.kind === 'StepBudgetExceeded', `${body}: ${outcome.kind} ${outcome.message}`);
      assert.ok(outcome.ms < 5_000, `${body} took ${outcome.ms} ms`);
    }
    failed(run('const a = []; for (;;) a.push({ index: a.length })'), 'MemoryLimitExceeded', /used more than its 4194304-byte memory limit while running f/);
  });

  test('deep recursion and deeply nested data overflow the sandbox stack, not the host', () => {
    failed(run('const down = (n) => down(n + 1); return down(0)'), 'StackOverflow', /overflowed its stack/);
    const nested = 'const a = []; let o = a; for (let i = 0; i < 20000; i++) { const b = []; o.push(b); o = b; }';
    failed(run(`${nested} return JSON.stringify(a).length`), 'StackOverflow', /overflowed its stack/);
    failed(run(`${nested} return a`), 'StackOverflow', /overflowed its stack/);
  });

  test('a result that is not JSON is refused', () => {
    failed(run('return () => 1'), 'NotJson', /f returned a function, which is not a JSON value/);
    failed(run('return Symbol("s")'), 'NotJson', /symbol/);
  });

  test('a module that does not parse, or lacks the export, fails clearly', () => {
    const broken = sandbox.run({ source: 'export function f( {', filename: 'broken.js', requiredExports: ['f'], exportName: 'f', limits });
    assert.equal(broken.ok || broken.kind, 'SyntaxError');
    const missing = sandbox.run({ source: 'export const f = 1;', filename: 'm.js', requiredExports: ['f'], limits });
    assert.ok(!missing.ok && missing.kind === 'MissingExport' && /m\.js does not export a function named f/.test(missing.message));
    const awaiting = sandbox.run({ source: 'await 1; export function f() {}', filename: 'a.js', requiredExports: ['f'], limits });
    assert.ok(!awaiting.ok && /top-level await/.test(awaiting.message));
  });

  test('there is no clock, no randomness, no modules and no host objects', () => {
    failed(run('return Date.now()'), 'Threw', /Date is not available: governance code gets no clock/);
    failed(run('return new Date()'), 'Threw', /no clock/);
    failed(run('return Math.random()'), 'Threw', /Math\.random is not available/);
    const globals = run('return [typeof process, typeof require, typeof fetch, typeof setTimeout, typeof console, typeof __cocoHost, typeof Uint8Array]');
    assert.deepEqual(globals.ok && globals.value, ['undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
    const imports = sandbox.run({ source: 'import fs from "fs"; export function f() { return 1 }', filename: 'i.js', requiredExports: ['f'], exportName: 'f', limits });
    assert.ok(!imports.ok && /could not load module/.test(imports.message));
  });

  test('nothing survives from one call to the next', () => {
    assert.equal(run('globalThis.leak = 42; return 1').ok, true);
    const second = run('return typeof globalThis.leak');
    assert.equal(second.ok && second.value, 'undefined');
  });

  test('the same call costs the same steps every time', () => {
    const body = 'let s = 0; for (let i = 0; i < 300000; i++) s += i % 7; return s';
    const first = run(body);
    const second = run(body);
    assert.ok(first.ok && second.ok);
    assert.equal(first.steps, second.steps);
  });

  test('host functions are reachable only as coco.*, and their refusals are thrown errors', () => {
    const calls: Array<[string, readonly unknown[]]> = [];
    const host = {
      call(name: string, args: readonly unknown[]): unknown {
        calls.push([name, args]);
        if (args[0] === 'refuse') throw new SandboxHostError('refused by the host');
        return { echoed: args };
      },
    };
    const ok = run('return coco.kv.get("public:coco.gov.x", "k")', [], host);
    assert.deepEqual(ok.ok && ok.value, { echoed: ['public:coco.gov.x', 'k'] });
    const refused = run('try { coco.kv.get("refuse", 1) } catch (e) { return e.message }', [], host);
    assert.equal(refused.ok && refused.value, 'refused by the host');
    assert.deepEqual(calls.map(([name]) => name), ['kv.get', 'kv.get']);
  });

  test('a host bug is not swallowed by the sandbox', () => {
    const host = { call(): unknown { throw new Error('host bug'); } };
    assert.throws(() => run('try { coco.kv.get("m", 1) } catch (e) {} return 1', [], host), /host bug/);
  });
});
