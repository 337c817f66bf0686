// The node's configuration file: JSON, checked against a schema so that every bad
// field gets a message naming it, with relative paths resolved against the file's own
// directory (a workspace can be moved as a whole). docs/operations.md documents it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

export interface MemberConfig {
  /** PEM file of the member's certificate. */
  readonly certificate: string;
  /** PEM file of the member's RSA-OAEP public key (for recovery shares). */
  readonly encryption_public_key: string;
  readonly data?: unknown;
}

export interface UserConfig {
  readonly certificate: string;
  readonly data?: unknown;
}

/** Create a new service; `service_certificate_file` is written. */
export interface StartCommand {
  readonly type: 'start';
  readonly members: readonly MemberConfig[];
  readonly users: readonly UserConfig[];
}

/** Join a running service through any of its nodes; `service_certificate_file` is read, to trust it. */
export interface JoinCommand {
  readonly type: 'join';
  readonly target_rpc_address: string;
  /** How long to keep asking the target before giving up. */
  readonly timeout_ms: number;
}

export interface NodeConfig {
  /** Where the file was read from; relative paths below are resolved against its directory. */
  readonly configDirectory: string;
  readonly network: { readonly rpc_address: string; readonly node_to_node_address: string };
  readonly ledger: { readonly directory: string; readonly chunk_bytes: number };
  readonly snapshots: { readonly directory: string };
  /** Start: written once the service is created (what clients trust). Join: read, to trust the target. */
  readonly service_certificate_file: string;
  /** Written once the RPC server listens: `{"rpc_address": "host:port"}` (port 0 picks one). */
  readonly rpc_address_file?: string;
  readonly command: StartCommand | JoinCommand;
  /** Raft timing, and where this node keeps its view and vote across restarts. */
  readonly consensus: { readonly election_timeout_ms: number; readonly heartbeat_ms: number; readonly state_file: string };
  readonly app: 'logging' | 'evm' | 'none';
  /** The EVM app's chain id, base fee and genesis allocation (used when `app` is 'evm'). */
  readonly evm: EvmConfig;
  /** A signature transaction after this many transactions, or this long after the first unsigned one. */
  readonly signatures: { readonly interval_tx: number; readonly interval_ms: number };
  readonly curve: 'p384' | 'p256';
  readonly log: { readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' };
}

/** The `evm` section (docs/ethereum.md): amounts of wei are decimal or 0x-hex strings. */
export interface EvmConfig {
  readonly chain_id: number;
  readonly base_fee_per_gas: string;
  readonly accounts: readonly { readonly address: string; readonly balance: string }[];
}

const ADDRESS = '^[A-Za-z0-9.-]+:[0-9]{1,5}$';
const WEI = '^(0x[0-9a-fA-F]{1,64}|[0-9]{1,77})$';

export const nodeConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['network', 'ledger', 'service_certificate_file', 'command'],
  properties: {
    network: {
      type: 'object',
      additionalProperties: false,
      required: ['rpc_address', 'node_to_node_address'],
      properties: {
        rpc_address: { type: 'string', pattern: ADDRESS },
        node_to_node_address: { type: 'string', pattern: ADDRESS },
      },
    },
    ledger: {
      type: 'object',
      additionalProperties: false,
      required: ['directory'],
      properties: {
        directory: { type: 'string', minLength: 1 },
        chunk_bytes: { type: 'integer', minimum: 4096, maximum: 1073741824, default: 5242880 },
      },
    },
    snapshots: {
      type: 'object',
      additionalProperties: false,
      required: ['directory'],
      properties: { directory: { type: 'string', minLength: 1 } },
      default: { directory: 'snapshots' },
    },
    service_certificate_file: { type: 'string', minLength: 1 },
    rpc_address_file: { type: 'string', minLength: 1 },
    command: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: ['start', 'join'] } },
      if: { properties: { type: { const: 'join' } } },
      then: {
        additionalProperties: false,
        required: ['type', 'target_rpc_address'],
        properties: {
          type: { const: 'join' },
          target_rpc_address: { type: 'string', pattern: ADDRESS },
          timeout_ms: { type: 'integer', minimum: 100, maximum: 3600000, default: 60000 },
        },
      },
      else: {
        additionalProperties: false,
        required: ['type', 'members'],
        properties: {
          type: { const: 'start' },
          members: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['certificate', 'encryption_public_key'],
              properties: {
                certificate: { type: 'string', minLength: 1 },
                encryption_public_key: { type: 'string', minLength: 1 },
                data: {},
              },
            },
          },
          users: {
            type: 'array',
            default: [],
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['certificate'],
              properties: { certificate: { type: 'string', minLength: 1 }, data: {} },
            },
          },
        },
      },
    },
    consensus: {
      type: 'object',
      additionalProperties: false,
      properties: {
        election_timeout_ms: { type: 'integer', minimum: 50, maximum: 600000, default: 1000 },
        heartbeat_ms: { type: 'integer', minimum: 5, maximum: 60000, default: 100 },
        state_file: { type: 'string', minLength: 1, default: 'consensus_state.json' },
      },
      default: {},
    },
    app: { enum: ['logging', 'evm', 'none'], default: 'logging' },
    evm: {
      type: 'object',
      additionalProperties: false,
      properties: {
        chain_id: { type: 'integer', minimum: 1, maximum: 4503599627370476, default: 1337 },
        base_fee_per_gas: { type: 'string', pattern: WEI, default: '0' },
        accounts: {
          type: 'array',
          maxItems: 10000,
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['address', 'balance'],
            properties: { address: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' }, balance: { type: 'string', pattern: WEI } },
          },
        },
      },
      default: {},
    },
    signatures: {
      type: 'object',
      additionalProperties: false,
      properties: {
        interval_tx: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000 },
        interval_ms: { type: 'integer', minimum: 1, maximum: 60000, default: 20 },
      },
      default: {},
    },
    curve: { enum: ['p384', 'p256'], default: 'p384' },
    log: {
      type: 'object',
      additionalProperties: false,
      properties: { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], default: 'info' } },
      default: {},
    },
  },
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const validate = new Ajv2020({ allErrors: true, useDefaults: true, strict: true }).compile(nodeConfigSchema);

/** Checks a parsed configuration; throws ConfigError listing every bad field. */
export function parseNodeConfig(value: unknown, configDirectory: string): NodeConfig {
  const copy: unknown = structuredClone(value);
  if (!validate(copy)) {
    const problems = (validate.errors ?? []).map((error) => {
      const where = `config${error.instancePath.replaceAll('/', '.')}`;
      const detail = error.keyword === 'additionalProperties'
        ? `has unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`
        : error.keyword === 'enum'
          ? `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
          : error.message ?? 'is invalid';
      return `${where} ${detail}`;
    });
    throw new ConfigError(`invalid node configuration:\n  ${problems.join('\n  ')}`);
  }
  const config = copy as Omit<NodeConfig, 'configDirectory'>;
  for (const address of [config.network.rpc_address, config.network.node_to_node_address]) {
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    if (port > 65535) throw new ConfigError(`invalid node configuration:\n  address ${address} has a port above 65535`);
  }
  if (config.consensus.election_timeout_ms < 3 * config.consensus.heartbeat_ms) {
    throw new ConfigError('invalid node configuration:\n  config.consensus.election_timeout_ms must be at least 3 times heartbeat_ms, or backups start elections against a live primary');
  }
  return { ...config, configDirectory };
}

/** Reads and checks a configuration file. */
export function loadNodeConfig(path: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`configuration ${path} is not JSON: ${(error as Error).message}`);
  }
  return parseNodeConfig(value, dirname(resolve(path)));
}

/** A path from the configuration, resolved against the configuration file's directory. */
export function configPath(config: NodeConfig, path: string): string {
  return resolve(config.configDirectory, path);
}
