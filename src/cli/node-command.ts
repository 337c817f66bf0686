// `coco node start --config FILE` runs a node that creates a new service; `coco node
// join --config FILE` one that joins a running service. Either serves its RPC interface
// until SIGTERM or SIGINT, then shuts down cleanly: stop accepting, finish requests in
// flight, sign and flush the ledger. This is the composition root where the node, the
// node-to-node channel, the RPC server and the app meet.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { evmApp } from '../apps/evm/evm-app.js';
import { loggingApp } from '../apps/logging/logging-app.js';
import { JsSandbox } from '../gov/index.js';
import { measureCode } from '../node/attestation/measure-code.js';
import { ChannelError } from '../node/channel/channel-error.js';
import { CocoNode, NodeStartError } from '../node/coco-node.js';
import { ConfigError, configPath, loadNodeConfig, type NodeConfig } from '../node/node-config.js';
import type { Endpoint } from '../rpc/endpoint.js';
import { forwardTimeoutMs, NotForwardedError } from '../rpc/forwarding.js';
import { governanceEndpoints } from '../rpc/gov-endpoints.js';
import { createRpcMetrics } from '../rpc/metrics.js';
import { nodeEndpoints } from '../rpc/node-endpoints.js';
import { RpcServer } from '../rpc/rpc-server.js';
import { CliError } from './cli-error.js';
import { withFreePorts } from './free-ports.js';
import { requestJoin } from './node-join.js';

/** The compiled code this node runs (dist/src): what its `virtual` measurement covers. */
const CODE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run a Coco node');
  for (const type of ['start', 'join'] as const) {
    node
      .command(type)
      .requiredOption('--config <file>', 'node configuration (JSON); see docs/operations.md')
      .description(type === 'start'
        ? 'start a node that creates a new service, and serve it until SIGTERM/SIGINT'
        : 'start a node that joins a running service through command.target_rpc_address, and serve it until SIGTERM/SIGINT')
      .action(async (options: { config: string }) => {
        let config: NodeConfig;
        try {
          config = loadNodeConfig(options.config);
        } catch (error) {
          if (error instanceof ConfigError) throw new CliError(error.message, 2);
          throw error;
        }
        if (config.command.type !== type) {
          throw new CliError(`coco node ${type} needs command.type "${type}" in ${options.config}; it has "${config.command.type}" (use coco node ${config.command.type})`, 2);
        }
        await runNode(config, pino({ level: config.log.level, base: { pid: process.pid } }));
      });
  }
}

async function createNode(config: NodeConfig, logger: Logger): Promise<CocoNode> {
  const measurement = measureCode(CODE_ROOT);
  try {
    if (config.command.type === 'start') return await CocoNode.startNewService(config, logger, new Date(), { platform: 'virtual', measurement });
    return CocoNode.joinService(config, logger, await requestJoin(config, measurement, logger, new Date()));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof NodeStartError) throw new CliError(error.message, 2);
    throw error;
  }
}

async function runNode(configured: NodeConfig, logger: Logger): Promise<void> {
  const config = await withFreePorts(configured);
  // The constitution's sandbox (WebAssembly) loads once, before the node serves; every
  // governance call after that runs synchronously inside its transaction.
  const sandbox = await JsSandbox.load();
  const node = await createNode(config, logger);
  await node.run();
  const metrics = createRpcMetrics();
  metrics.addGauge('coco_commit_seqno', 'Seqno of the last committed transaction', () => node.commitSeqno);
  metrics.addGauge('coco_last_seqno', 'Seqno of the last transaction written', () => node.lastSeqno);
  metrics.addGauge('coco_ledger_bytes', 'Bytes in the ledger chunk files', () => node.ledgerBytes);
  const endpoints: Endpoint[] = [];
  endpoints.push(...nodeEndpoints({ node, metrics: metrics.registry, allEndpoints: () => endpoints }));
  endpoints.push(...governanceEndpoints({ sandbox, host: node }));
  if (config.app === 'logging') endpoints.push(...loggingApp());
  if (config.app === 'evm') endpoints.push(...evmApp(config.evm));

  const server = new RpcServer({
    host: node,
    tls: { key: node.tlsKey, cert: node.tlsCertificateChain },
    endpoints,
    logger,
    onRequestDone: metrics.onRequestDone,
    // Writes received while a backup go to the primary over the node-to-node channel; a
    // retired node forwards nothing, and refuses writes itself (writesRefused).
    forwarder: {
      primaryId: () => (node.role === 'primary' || node.retired ? undefined : node.primaryId),
      send: (to, payload, signal) => node.forward(to, payload, forwardTimeoutMs, signal).catch((error: unknown) => {
        throw error instanceof ChannelError && !error.sent ? new NotForwardedError(error.message) : error;
      }),
      watchPrimary: (listener) => node.onPrimaryChange(listener),
    },
  });
  node.requestHandler = (_from, payload) => server.serveForwarded(payload);
  const [host, port] = splitAddress(config.network.rpc_address);
  const listening = await server.listen(host, port);
  const rpcAddress = `${listening.host}:${listening.port}`;
  if (config.rpc_address_file !== undefined) {
    writeFileSync(configPath(config, config.rpc_address_file), `${JSON.stringify({ rpc_address: rpcAddress })}\n`);
  }
  logger.info({ rpcAddress, nodeId: node.nodeId }, 'node is serving');

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await server.close();
  await node.stop();
  logger.info('stopped');
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
