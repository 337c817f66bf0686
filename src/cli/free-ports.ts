// A configured port 0 means "any free port". A node's addresses are recorded in the
// nodes map before it listens (at genesis, or in its join request), so the node picks
// its ports up front: bind port 0, read the port, release it. Another process could
// take the port in between; the node then fails to listen and says so.
import { createServer } from 'node:net';
import type { NodeConfig } from '../node/node-config.js';

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`could not find a free port on ${host}`);
  return address.port;
}

async function resolveAddress(address: string): Promise<string> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return address.slice(colon + 1) === '0' ? `${host}:${await freePort(host)}` : address;
}

/** The configuration with each port 0 replaced by a port that was free a moment ago. */
export async function withFreePorts(config: NodeConfig): Promise<NodeConfig> {
  return {
    ...config,
    network: {
      rpc_address: await resolveAddress(config.network.rpc_address),
      node_to_node_address: await resolveAddress(config.network.node_to_node_address),
    },
  };
}
