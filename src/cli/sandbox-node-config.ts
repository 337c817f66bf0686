// The configuration the sandbox writes for each of its nodes. Paths are relative to the
// node's own directory (the node resolves them so), so a workspace can be moved whole.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNodeConfig, type EvmConfig } from '../node/node-config.js';
import { MEMBER_NAMES, USER_NAMES } from './sandbox-workspace.js';

export const NODE_CONFIG_FILE = 'config.json';
export const NODE_LOG_FILE = 'node.log';
/** Where the node writes the address it listens on: the real port when asked for port 0. */
export const RPC_ADDRESS_FILE = 'rpc_address.json';
export const NODE_SERVICE_CERTIFICATE_FILE = 'service_cert.pem';

/** Each node takes two ports from the base: RPC, then node-to-node. */
const PORTS_PER_NODE = 2;
const HOST = '127.0.0.1';

export interface SandboxNodeFiles {
  readonly name: string;
  /** `coco node start` for the first node, `coco node join` for the others. */
  readonly command: 'start' | 'join';
  readonly directory: string;
  readonly config: string;
  readonly log: string;
  readonly rpcAddressFile: string;
  readonly serviceCertificate: string;
}

export function sandboxNodeFiles(workspace: string, index: number): SandboxNodeFiles {
  const name = `node${index}`;
  const directory = join(workspace, name);
  return {
    name,
    command: index === 0 ? 'start' : 'join',
    directory,
    config: join(directory, NODE_CONFIG_FILE),
    log: join(directory, NODE_LOG_FILE),
    rpcAddressFile: join(directory, RPC_ADDRESS_FILE),
    serviceCertificate: join(directory, NODE_SERVICE_CERTIFICATE_FILE),
  };
}

/** Port 0 stays 0 for every node: each then picks free ports and reports them. */
export function sandboxNodeAddresses(basePort: number, index: number): { rpc: string; nodeToNode: string } {
  const port = (offset: number): number => (basePort === 0 ? 0 : basePort + index * PORTS_PER_NODE + offset);
  return { rpc: `${HOST}:${port(0)}`, nodeToNode: `${HOST}:${port(1)}` };
}

/** The highest base port that leaves room for `nodes` nodes. */
export function maxBasePort(nodes: number): number {
  return 65535 - nodes * PORTS_PER_NODE + 1;
}

/**
 * Writes node `index`'s directory and config. Node 0 starts the service; later nodes
 * join it through its RPC address, trusting the service certificate it wrote.
 */
export function writeSandboxNodeConfig(options: {
  workspace: string;
  index: number;
  basePort: number;
  app: 'logging' | 'evm' | 'none';
  /** The EVM app's chain and genesis accounts, for app 'evm'. */
  evm?: EvmConfig;
  join?: { readonly targetRpcAddress: string; readonly serviceCertificate: string };
}): SandboxNodeFiles {
  const files = sandboxNodeFiles(options.workspace, options.index);
  const addresses = sandboxNodeAddresses(options.basePort, options.index);
  const command = options.join === undefined
    ? {
        type: 'start',
        members: MEMBER_NAMES.map((name) => ({ certificate: `../${name}_cert.pem`, encryption_public_key: `../${name}_enc_pubk.pem` })),
        users: USER_NAMES.map((name) => ({ certificate: `../${name}_cert.pem` })),
      }
    : { type: 'join', target_rpc_address: options.join.targetRpcAddress };
  const config = {
    network: { rpc_address: addresses.rpc, node_to_node_address: addresses.nodeToNode },
    ledger: { directory: 'ledger' },
    snapshots: { directory: 'snapshots' },
    service_certificate_file: NODE_SERVICE_CERTIFICATE_FILE,
    rpc_address_file: RPC_ADDRESS_FILE,
    command,
    // Fast elections for a development network on one machine.
    consensus: { election_timeout_ms: 1000, heartbeat_ms: 100 },
    app: options.app,
    ...(options.evm === undefined ? {} : { evm: options.evm }),
  };
  // A config the node would reject is a sandbox bug: fail here, naming the field, rather
  // than in a child process's log.
  parseNodeConfig(config, files.directory);
  mkdirSync(files.directory, { recursive: true });
  if (options.join !== undefined) copyFileSync(options.join.serviceCertificate, files.serviceCertificate);
  writeFileSync(files.config, `${JSON.stringify(config, null, 2)}\n`);
  return files;
}
