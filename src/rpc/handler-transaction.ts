// The transaction a handler sees. The server owns the transaction's end: a handler that
// committed itself would put a write into the store that the ledger never hears of, so
// `commit` and `abort` throw. A read-only endpoint's maps refuse writes at the call, so
// the mistake shows where it is made (the server answers 500 and logs it).
import type { Transaction } from '../kv/transaction.js';
import type { TxMap } from '../kv/tx-map.js';

/** A handler used its transaction in a way the server forbids: a bug in the handler. */
export class HandlerMisuseError extends Error {
  override readonly name = 'HandlerMisuseError';
}

/** Reads `property` of `target` with its methods bound to it: the KV classes keep #private state. */
function bound(target: object, property: string | symbol): unknown {
  const value: unknown = Reflect.get(target, property, target);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

function readOnlyMap<K, V>(map: TxMap<K, V>): TxMap<K, V> {
  const view: TxMap<K, V> = new Proxy(map, {
    get(target, property) {
      switch (property) {
        case 'set':
        case 'delete':
          return () => {
            throw new HandlerMisuseError(`a read-only endpoint tried to ${property} in map ${target.name}; declare it mode 'readwrite'`);
          };
        case 'forEach':
          // The callback's third argument is the map: give it this view, not the writable one.
          return (callback: (value: V, key: K, map: TxMap<K, V>) => void) => target.forEach((value, key) => callback(value, key, view));
        default:
          return bound(target, property);
      }
    },
  });
  return view;
}

export function handlerTransaction(tx: Transaction, mode: 'readonly' | 'readwrite'): Transaction {
  return new Proxy(tx, {
    get(target, property) {
      switch (property) {
        case 'commit':
        case 'abort':
          return () => {
            throw new HandlerMisuseError(`a handler may not ${property} its transaction; the server does`);
          };
        case 'map':
          if (mode === 'readonly') return (...args: Parameters<Transaction['map']>) => readOnlyMap(target.map(...args));
          return bound(target, property);
        default:
          return bound(target, property);
      }
    },
  });
}
