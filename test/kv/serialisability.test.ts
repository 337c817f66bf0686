// Serialisability against a naive oracle (STYLE.md §11): random interleavings of
// concurrent transactions (reads, writes, deletes, iterations, commits, aborts) with
// rollbacks and compactions in between. The oracle keeps the serial state after every
// version and predicts each commit's outcome exactly from the rule in docs/kv.md:
//   - conflict if its snapshot was rolled back or compacted away, else
//   - read-only if it wrote nothing, else
//   - conflict if a key it read from its snapshot, or a map it iterated, was written
//     after its read version, else committed.
// Every committed transaction's reads must equal replaying it serially in commit order,
// every read-only one's must equal the state at its read version, and the store (and a
// follower applying the write sets) must equal the oracle's state after every step.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Store, type Transaction } from '../../src/kv/index.js';

const MAPS = ['private:m', 'public:a'];
// Strings and numbers, so JSON key bytes order differently from the values' own order.
const KEYS: unknown[] = ['', 'a', 'ab', 'b', 'é', 0, 9, 10];
const SLOTS = 4;

type Op =
  | { kind: 'get' | 'has' | 'delete'; slot: number; map: number; key: number }
  | { kind: 'set'; slot: number; map: number; key: number; value: number }
  | { kind: 'iterate' | 'size'; slot: number; map: number }
  | { kind: 'commit' | 'abort'; slot: number }
  | { kind: 'rollback' | 'compact'; back: number };
type TxOp = Exclude<Op, { kind: 'commit' | 'abort' | 'rollback' | 'compact' }>;

const slot = fc.nat(SLOTS - 1);
const map = fc.nat(MAPS.length - 1);
const key = fc.nat(KEYS.length - 1);
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('get' as const, 'has' as const), slot, map, key }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), slot, map, key, value: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), slot, map, key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('iterate' as const, 'size' as const), slot, map }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('commit' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), slot }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('rollback' as const, 'compact' as const), back: fc.nat(4) }) },
);

// Oracle state: map name -> JSON key text -> value.
type State = Map<string, Map<string, number>>;

function keyText(index: number): string {
  return JSON.stringify(KEYS[index]);
}

function byKeyBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

interface Replay {
  observations: unknown[];
  state: State;
  wrote: boolean;
  readKeys: Set<string>;
  iteratedMaps: Set<string>;
}

/** Runs a transaction's operations serially on `base`, as the specification says it behaves. */
function replay(base: State, ops: TxOp[]): Replay {
  const own = new Map<string, Map<string, number | null>>();
  const readKeys = new Set<string>();
  const iteratedMaps = new Set<string>();
  const ownOf = (name: string) => own.get(name) ?? own.set(name, new Map()).get(name)!;
  const read = (name: string, text: string): number | undefined => {
    const mine = own.get(name)?.get(text);
    if (mine !== undefined) return mine ?? undefined;
    readKeys.add(`${name} ${text}`);
    return base.get(name)?.get(text);
  };
  const view = (name: string): Array<[string, number]> => {
    iteratedMaps.add(name);
    const merged = new Map(base.get(name));
    for (const [text, value] of own.get(name) ?? []) {
      if (value === null) merged.delete(text);
      else merged.set(text, value);
    }
    return [...merged].sort(([a], [b]) => byKeyBytes(a, b));
  };
  const observations = ops.map((op): unknown => {
    const name = MAPS[op.map] as string;
    switch (op.kind) {
      case 'get':
        return read(name, keyText(op.key));
      case 'has':
        return read(name, keyText(op.key)) !== undefined;
      case 'set':
        ownOf(name).set(keyText(op.key), op.value);
        return undefined;
      case 'delete': {
        const existed = read(name, keyText(op.key)) !== undefined;
        if (existed) ownOf(name).set(keyText(op.key), null);
        return existed;
      }
      case 'iterate':
        return view(name).map(([text, value]) => [JSON.parse(text), value]);
      case 'size':
        return view(name).length;
    }
  });
  const state: State = new Map([...base].map(([name, entries]) => [name, new Map(entries)]));
  let wrote = false;
  for (const [name, writes] of own) {
    for (const [text, value] of writes) {
      wrote = true;
      const entries = state.get(name) ?? state.set(name, new Map()).get(name)!;
      if (value === null) entries.delete(text);
      else entries.set(text, value);
    }
  }
  return { observations, state, wrote, readKeys, iteratedMaps };
}

function dumpOf(state: State, version: number) {
  const maps = [...state]
    .filter(([, entries]) => entries.size > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, entries]) => ({
      name,
      entries: [...entries].sort(([a], [b]) => byKeyBytes(a, b)).map(([text, value]) => [Buffer.from(text).toString('hex'), Buffer.from(JSON.stringify(value)).toString('hex')]),
    }));
  return { version, maps };
}

interface Open {
  tx: Transaction;
  ops: TxOp[];
  observations: unknown[];
  rollbacksAtBegin: number;
}

function runHistory(ops: Op[]): { committed: number; conflicts: number } {
  const store = new Store();
  const follower = new Store();
  // states[v]: the serial state after version v; written[v]: "map key" pairs written at v.
  const states: State[] = [new Map()];
  const written: Array<Set<string>> = [new Set()];
  const rollbackTargets: number[] = [];
  const slots: Array<Open | undefined> = [];
  let committed = 0;
  let conflicts = 0;

  const commit = (index: number) => {
    const open = slots[index];
    if (open === undefined) return;
    slots[index] = undefined;
    const readVersion = open.tx.readVersion;
    const lost = readVersion < store.compactedVersion || rollbackTargets.slice(open.rollbacksAtBegin).some((target) => target < readVersion);
    const result = open.tx.commit();
    if (lost) {
      assert.deepEqual(result, { status: 'conflict' }, 'a transaction whose snapshot was undone or compacted conflicts');
      return;
    }
    const own = replay(states[readVersion] as State, open.ops);
    assert.deepEqual(open.observations, own.observations, 'reads match the snapshot at the read version');
    if (!own.wrote) {
      assert.deepEqual(result, { status: 'read-only', version: readVersion });
      return;
    }
    const changed = written.slice(readVersion + 1).some((keys) =>
      [...keys].some((pair) => own.readKeys.has(pair) || own.iteratedMaps.has(pair.slice(0, pair.indexOf(' ')))));
    if (changed) {
      assert.deepEqual(result, { status: 'conflict' }, 'a transaction whose reads changed conflicts');
      conflicts += 1;
      return;
    }
    assert.equal(result.status, 'committed', 'a transaction whose reads did not change commits');
    assert.equal(result.version, states.length);
    // Serialisability: replayed after every earlier commit, it reads the same and writes the same.
    const serial = replay(states[states.length - 1] as State, open.ops);
    assert.deepEqual(open.observations, serial.observations, 'reads match the serial order');
    states.push(serial.state);
    written.push(new Set(result.writeSet.maps.flatMap((m) => m.writes.map((w) => `${m.name} ${w.key.toString()}`))));
    follower.apply(result.writeSet);
    committed += 1;
  };

  for (const op of ops) {
    switch (op.kind) {
      case 'commit':
        commit(op.slot);
        break;
      case 'abort':
        slots[op.slot]?.tx.abort();
        slots[op.slot] = undefined;
        break;
      case 'rollback': {
        const target = Math.max(store.compactedVersion, store.version - op.back);
        store.rollback(target);
        follower.rollback(target);
        if (target < states.length - 1) rollbackTargets.push(target);
        states.length = target + 1;
        written.length = target + 1;
        break;
      }
      case 'compact': {
        const target = Math.max(0, store.version - op.back);
        store.compact(target);
        follower.compact(target);
        break;
      }
      default: {
        const open = (slots[op.slot] ??= { tx: store.begin(), ops: [], observations: [], rollbacksAtBegin: rollbackTargets.length });
        const txMap = open.tx.map(MAPS[op.map] as string);
        const k = KEYS[(op as { key?: number }).key ?? 0];
        open.ops.push(op);
        open.observations.push(
          op.kind === 'get' ? txMap.get(k)
            : op.kind === 'has' ? txMap.has(k)
            : op.kind === 'set' ? (txMap.set(k, op.value), undefined)
            : op.kind === 'delete' ? txMap.delete(k)
            : op.kind === 'iterate' ? [...txMap.entries()]
            : txMap.size,
        );
      }
    }
    assert.deepEqual(store.dumpState(), dumpOf(states[states.length - 1] as State, states.length - 1));
  }
  for (let index = 0; index < SLOTS; index += 1) commit(index);
  const expected = dumpOf(states[states.length - 1] as State, store.version);
  assert.deepEqual(store.dumpState(), expected);
  assert.deepEqual(follower.dumpState(), expected);
  assert.deepEqual(follower.serialiseSnapshot(), store.serialiseSnapshot());
  return { committed, conflicts };
}

describe('serialisability', () => {
  test('random concurrent histories commit exactly as predicted and equal their serial replay', () => {
    let committed = 0;
    let conflicts = 0;
    fc.assert(
      fc.property(fc.array(opArbitrary, { minLength: 10, maxLength: 150, size: 'max' }), (ops) => {
        const counts = runHistory(ops);
        committed += counts.committed;
        conflicts += counts.conflicts;
      }),
      { numRuns: 400 },
    );
    // The generator must exercise both outcomes (conflicts here count changed reads only).
    assert(committed > 1000 && conflicts > 100, `committed ${committed}, conflicts ${conflicts}`);
  });
});
