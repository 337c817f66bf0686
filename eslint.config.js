// Lint rules. Besides style, this encodes the pure-core rule of DESIGN.md:
// src/crypto, src/kv, src/ledger, src/consensus and src/gov do no I/O and read no
// clock or ambient randomness, so a whole cluster can run in one seeded simulation.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const hostModules = ['fs', 'fs/promises', 'net', 'tls', 'http', 'http2', 'https', 'dgram', 'child_process', 'timers', 'timers/promises', 'worker_threads', 'cluster', 'os'];
const hostImports = hostModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'workspace/**', '.dependency-cruiser.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/crypto/**/*.ts', 'src/kv/**/*.ts', 'src/ledger/**/*.ts', 'src/consensus/**/*.ts', 'src/gov/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: hostImports.map((name) => ({ name, message: 'The core does no I/O: pass an interface in from src/node.' })),
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'The core takes time from a passed-in clock.' },
        { object: 'Math', property: 'random', message: 'The core takes randomness from a passed-in source.' },
        { object: 'performance', property: 'now', message: 'The core takes time from a passed-in clock.' },
      ],
      'no-restricted-globals': ['error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'performance', 'process'].map((name) => ({ name, message: 'The core has no timers, clock or process access.' })),
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The core takes time from a passed-in clock.' },
      ],
    },
  },
);
