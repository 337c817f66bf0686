// `coco node start --config FILE`: runs a node that creates a new service, serves its
// RPC interface until SIGTERM or SIGINT, then shuts down cleanly: stop accepting,
// finish requests in flight, sign and flush the ledger. This is the composition root
// where the node, the RPC server and the app meet.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { loggingApp } from '../apps/logging/logging-app.js';
import { CocoNode, NodeStartError } from '../node/coco-node.js';
import { ConfigError, configPath, loadNodeConfig, type NodeConfig } from '../node/node-config.js';
import type { Endpoint } from '../rpc/endpoint.js';
import { createRpcMetrics } from '../rpc/metrics.js';
import { nodeEndpoints } from '../rpc/node-endpoints.js';
import { RpcServer } from '../rpc/rpc-server.js';
import { CliError } from './cli-error.js';

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run a Coco node');
  node
    .command('start')
    .requiredOption('--config <file>', 'node configuration (JSON); see docs/operations.md')
    .description('start a node that creates a new service, and serve it until SIGTERM/SIGINT')
    .action(async (options: { config: string }) => {
      let config: NodeConfig;
      try {
        config = loadNodeConfig(options.config);
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, 2);
        throw error;
      }
      await runNode(config, pino({ level: config.log.level, base: { pid: process.pid } }));
    });
}

async function runNode(config: NodeConfig, logger: Logger): Promise<void> {
  let node: CocoNode;
  try {
    node = await CocoNode.startNewService(config, logger, new Date());
  } catch (error) {
    if (error instanceof ConfigError || error instanceof NodeStartError) throw new CliError(error.message, 2);
    throw error;
  }
  const metrics = createRpcMetrics();
  metrics.addGauge('coco_commit_seqno', 'Seqno of the last committed transaction', () => node.commitSeqno);
  metrics.addGauge('coco_last_seqno', 'Seqno of the last transaction written', () => node.lastSeqno);
  metrics.addGauge('coco_ledger_bytes', 'Bytes in the ledger chunk files', () => node.ledgerBytes);
  const endpoints: Endpoint[] = [];
  endpoints.push(...nodeEndpoints({ node, metrics: metrics.registry, allEndpoints: () => endpoints }));
  if (config.app === 'logging') endpoints.push(...loggingApp());

  const server = new RpcServer({
    host: node,
    tls: { key: node.tlsKey, cert: node.tlsCertificateChain },
    endpoints,
    logger,
    onRequestDone: metrics.onRequestDone,
  });
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
  node.stop();
  logger.info('stopped');
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
