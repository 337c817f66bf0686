// The script every sandbox runs before the governance module: it builds the narrow API
// the module may use (`coco.kv`, `coco.crypto`), takes away the clock and randomness
// (governance must be deterministic), charges bulk native methods to the step budget,
// and returns the `invoke` function through which the host calls the module's exports.
//
// Why charge natives: QuickJS counts a native call as one tick however much work it
// does, so `"x".repeat(1e6)` in a loop would do gigabytes of work per interrupt poll.
// Each wrapper charges its input and output sizes before and after the real method.
// The originals are captured here, before any governance code runs, so it cannot reach
// them, and the bridge keeps its own JSON.parse/stringify for the same reason.
import { sandboxSortUnitsFactor, sandboxUnitsPerStep } from './governance-limits.js';

/** Names of the raw host functions the prelude takes from globalThis and deletes. */
export const HOST_FUNCTION_GLOBAL = '__cocoHost';
export const CHARGE_FUNCTION_GLOBAL = '__cocoCharge';

// Methods whose work grows with `this` (and their first argument); charged by size.
const STRING_SIZED = [
  'indexOf', 'lastIndexOf', 'includes', 'startsWith', 'endsWith', 'split', 'replace', 'replaceAll', 'concat',
  'localeCompare', 'normalize', 'toUpperCase', 'toLowerCase', 'toLocaleUpperCase', 'toLocaleLowerCase',
  'trim', 'trimStart', 'trimEnd', 'slice', 'substring', 'substr', 'match', 'matchAll', 'search',
];
const ARRAY_SIZED = [
  'fill', 'join', 'indexOf', 'lastIndexOf', 'includes', 'slice', 'concat', 'reverse', 'copyWithin', 'splice',
  'flat', 'toReversed', 'toSpliced', 'with', 'toString',
];

export const SANDBOX_PRELUDE = `(function (host, charge) {
  'use strict';
  const global = globalThis;
  Reflect.deleteProperty(global, ${JSON.stringify(HOST_FUNCTION_GLOBAL)});
  Reflect.deleteProperty(global, ${JSON.stringify(CHARGE_FUNCTION_GLOBAL)});
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const apply = Reflect.apply;
  const isArray = Array.isArray;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const toNumber = Number;
  const ceil = Math.ceil;
  const ErrorType = Error;
  const TypeErrorType = TypeError;
  const UNITS_PER_STEP = ${sandboxUnitsPerStep};

  function chargeUnits(units) {
    const steps = ceil(units / UNITS_PER_STEP);
    if (steps > 0 && charge(steps)) throw new ErrorType('the execution budget is exhausted');
  }
  const size = (value) => (typeof value === 'string' || isArray(value) ? value.length : 0);
  const count = (value) => { const n = toNumber(value); return n > 0 ? n : 0; };

  function charged(owner, names, before) {
    for (const name of names) {
      const original = owner[name];
      if (typeof original !== 'function') continue;
      const wrapper = { [name](...args) {
        chargeUnits(before(this, args));
        const result = apply(original, this, args);
        chargeUnits(size(result));
        return result;
      } }[name];
      defineProperty(owner, name, { value: wrapper, writable: true, configurable: true, enumerable: false });
    }
  }
  const sized = (self, args) => size(self) + size(args[0]);
  charged(String.prototype, ${JSON.stringify(STRING_SIZED)}, sized);
  charged(String.prototype, ['repeat'], (self, args) => size(self) * count(args[0]));
  charged(String.prototype, ['padStart', 'padEnd'], (self, args) => count(args[0]));
  charged(String, ['fromCharCode', 'fromCodePoint'], (self, args) => args.length);
  charged(Array.prototype, ${JSON.stringify(ARRAY_SIZED)}, sized);
  charged(Array.prototype, ['sort', 'toSorted'], (self) => size(self) * ${sandboxSortUnitsFactor});
  charged(Array, ['from', 'of'], (self, args) => size(args[0]) + args.length);
  charged(JSON, ['parse'], (self, args) => size(args[0]));
  charged(JSON, ['stringify'], () => 0);
  charged(Object, ['keys', 'values', 'entries'], () => 0);
  charged(Function.prototype, ['apply'], (self, args) => size(args[1]));
  charged(Reflect, ['apply'], (self, args) => size(args[2]));

  defineProperty(Math, 'random', { value: function random() {
    throw new ErrorType('Math.random is not available: governance code must be deterministic');
  }, writable: false, configurable: false, enumerable: false });
  function noClock() {
    throw new ErrorType('Date is not available: governance code gets no clock');
  }
  for (const name of ['now', 'parse', 'UTC']) defineProperty(noClock, name, { value: noClock, writable: false, configurable: false, enumerable: false });
  defineProperty(global, 'Date', { value: freeze(noClock), writable: false, configurable: false, enumerable: false });

  function call(name, args) {
    const reply = parse(host(name, stringify(args)));
    if (reply.error !== undefined) throw new ErrorType(reply.error);
    return reply.value;
  }
  function key(value, what) {
    if (value === undefined) throw new TypeErrorType(what + ' needs a key');
    return value;
  }
  const kv = freeze({
    get: (map, k) => call('kv.get', [map, key(k, 'coco.kv.get')]),
    has: (map, k) => call('kv.has', [map, key(k, 'coco.kv.has')]),
    set: (map, k, value) => {
      if (value === undefined) throw new TypeErrorType('coco.kv.set needs a value; use coco.kv.delete to remove a key');
      call('kv.set', [map, key(k, 'coco.kv.set'), value]);
    },
    delete: (map, k) => call('kv.delete', [map, key(k, 'coco.kv.delete')]),
    keys: (map) => call('kv.keys', [map]),
    entries: (map) => call('kv.entries', [map]),
  });
  const crypto = freeze({
    certificateId: (pem) => call('crypto.certificateId', [pem]),
    isCertificate: (pem) => call('crypto.isCertificate', [pem]),
    publicKeyKind: (pem) => call('crypto.publicKeyKind', [pem]),
    sha256Hex: (text) => call('crypto.sha256Hex', [text]),
  });
  defineProperty(global, 'coco', { value: freeze({ kv, crypto }), writable: false, configurable: false, enumerable: false });

  return function invoke(fn, argsJson) {
    const result = apply(fn, undefined, parse(argsJson));
    if (result === undefined) return undefined;
    const text = stringify(result);
    if (typeof text !== 'string') throw new TypeErrorType('returned a ' + typeof result + ', which is not a JSON value');
    return text;
  };
})(globalThis.${HOST_FUNCTION_GLOBAL}, globalThis.${CHARGE_FUNCTION_GLOBAL})
`;
