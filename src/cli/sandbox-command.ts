// `coco sandbox`: a development network in one command. It makes the consortium's
// identities, writes each node's configuration, starts the nodes as child processes,
// waits until they answer over TLS, has the members open the service by proposal and
// ballots (sandbox-opening.ts), prints how to reach it, and on Ctrl-C (or
// SIGTERM) stops them all before exiting. A node that dies is reported; the others run
// on while they are a majority, as the service does (so a developer can watch a
// failover), and the sandbox stops them only once fewer remain. Everything lives in one
// workspace directory.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { EvmConfig } from '../node/node-config.js';
import { CliError } from './cli-error.js';
import { curlCommand, shellQuote } from './sandbox-curl.js';
import { EVM_ACCOUNTS_FILE, printEvmHowTo, writeEvmAccounts } from './sandbox-evm.js';
import { maxBasePort, writeSandboxNodeConfig } from './sandbox-node-config.js';
import { SandboxNodeProcess, type ReadyNode } from './sandbox-node-process.js';
import { openService } from './sandbox-opening.js';
import { MEMBER_NAMES, prepareWorkspace, USER_NAMES, writeIdentities } from './sandbox-workspace.js';

/** Generous: a first start generates keys and writes genesis before it listens. */
const NODE_READY_TIMEOUT_MS = 30_000;
const NODE_STOP_TIMEOUT_MS = 10_000;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** The compiled CLI next to this file: what each node process runs. */
const MAIN_SCRIPT = fileURLToPath(new URL('./main.js', import.meta.url));

export interface SandboxOptions {
  readonly nodes: number;
  readonly workspace: string;
  readonly port: number;
  readonly app: 'logging' | 'evm' | 'none';
}

export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('run a local development network until Ctrl-C: identities, nodes and a curl command to try it')
    .addOption(new Option('--nodes <n>', 'number of nodes: the first starts the service, the others join it').argParser(parseCount).default(1))
    .option('--workspace <dir>', 'directory for keys, configs, ledgers and logs: must be empty, missing, or an earlier sandbox\'s (which is cleared)', 'workspace/sandbox')
    .addOption(
      new Option('--port <port>', 'first port: node i uses PORT+2i for RPC and PORT+2i+1 node-to-node; 0 picks free ports')
        .argParser(parsePort)
        .default(8000),
    )
    .addOption(new Option('--app <app>', 'the application the nodes run').choices(['logging', 'evm', 'none']).default('logging'))
    .action(async (options: SandboxOptions) => {
      await runSandbox(options);
    });
}

/** Runs until a stop signal; throws CliError on a bad request (2) or a failed node (1). */
export async function runSandbox(options: SandboxOptions): Promise<void> {
  if (options.port > maxBasePort(options.nodes)) {
    throw new CliError(`--port ${options.port}: ${options.nodes} node(s) need ports up to ${options.port + 2 * options.nodes - 1}, above 65535`);
  }
  const workspace = resolve(options.workspace);
  const shown = displayPath(workspace);
  const workspaceState = prepareWorkspace(workspace, shown);
  if (workspaceState === 'cleared') console.log(`Cleared ${shown}: an earlier sandbox's workspace.`);
  await writeIdentities(workspace, new Date());
  console.log(`Made identities in ${shown}: ${MEMBER_NAMES.join(', ')} (with recovery-share keys), ${USER_NAMES.join(', ')}.`);

  const nodes: SandboxNodeProcess[] = [];
  const stop = stopOnSignal(() => {
    console.log('Killing the nodes now.');
    for (const node of nodes) node.kill();
  });
  try {
    const evm = options.app === 'evm' ? writeEvmAccounts(workspace) : undefined;
    const ready = await startNodes(options, workspace, nodes, stop.requested, evm);
    if (ready === 'stopped') return;
    await openService({
      workspace,
      url: `https://${(ready[0] as ReadyNode).rpcAddress}`,
      serviceCertificate: readFileSync((nodes[0] as SandboxNodeProcess).files.serviceCertificate, 'utf8'),
      log: (line) => console.log(line),
    });
    console.log('The service is Open.');
    // Written once the service is open: tools that wait for network.json find it ready.
    writeNetworkFiles(workspace, nodes, ready);
    printReady(workspace, options.app, ready);
    await watchNodes(nodes, stop.requested);
  } finally {
    await stopNodes(nodes);
    stop.dispose();
  }
}

/** Starts the nodes one after another: the first starts the service, the others join it. */
async function startNodes(
  options: SandboxOptions,
  workspace: string,
  nodes: SandboxNodeProcess[],
  stopRequested: Promise<void>,
  evm: EvmConfig | undefined,
): Promise<ReadyNode[] | 'stopped'> {
  const user = { cert: readFileSync(join(workspace, 'user0_cert.pem'), 'utf8'), key: readFileSync(join(workspace, 'user0_privk.pem'), 'utf8') };
  const ready: ReadyNode[] = [];
  for (let index = 0; index < options.nodes; index++) {
    const first = nodes[0];
    const join = first === undefined || ready[0] === undefined
      ? undefined
      : { targetRpcAddress: ready[0].rpcAddress, serviceCertificate: first.files.serviceCertificate };
    const files = writeSandboxNodeConfig({ workspace, index, basePort: options.port, app: options.app, ...(evm === undefined ? {} : { evm }), ...(join === undefined ? {} : { join }) });
    console.log(`Starting ${files.name} (log: ${displayPath(files.log)}).`);
    const node = SandboxNodeProcess.start(files, MAIN_SCRIPT, displayPath);
    nodes.push(node);
    const answer = await node.waitUntilReady(user, NODE_READY_TIMEOUT_MS, stopRequested);
    if (answer === 'stopped') return 'stopped';
    console.log(`${files.name} is up at ${answer.rpcAddress}: node ${answer.nodeId}, state ${answer.state}, pid ${String(node.pid)}.`);
    ready.push(answer);
  }
  return ready;
}

/**
 * Runs until a stop signal, reporting each node that exits. Consensus goes on while a
 * majority of the nodes runs; once fewer do, the service cannot commit or elect, so this
 * throws CliError (exit 1) and the caller stops the rest.
 */
async function watchNodes(nodes: readonly SandboxNodeProcess[], stopRequested: Promise<void>): Promise<void> {
  const majority = Math.floor(nodes.length / 2) + 1;
  let watched = nodes.filter((node) => node.running);
  while (watched.length > 0) {
    const ended = await Promise.race([stopRequested.then(() => undefined), ...watched.map((node) => node.exited.then(() => node))]);
    if (ended === undefined) return;
    watched = watched.filter((node) => node !== ended);
    const running = nodes.filter((node) => node.running).length;
    if (running < majority) {
      throw ended.exitError(`while the sandbox was running, leaving ${running} of ${nodes.length} node(s) running, fewer than the ${majority} the service needs: stopping the sandbox`);
    }
    console.log(
      `${ended.files.name} (pid ${String(ended.pid)}) ${ended.howItExited()} while the sandbox was running; ` +
        `${running} of ${nodes.length} nodes still run, a majority, so the service goes on (its log: ${ended.displayPath(ended.files.log)}).`,
    );
  }
}

function writeNetworkFiles(workspace: string, nodes: readonly SandboxNodeProcess[], ready: readonly ReadyNode[]): void {
  const first = nodes[0];
  if (first === undefined) throw new Error('a sandbox has at least one node');
  copyFileSync(first.files.serviceCertificate, join(workspace, 'service_cert.pem'));
  const network = { nodes: ready.map((node, index) => ({ id: node.nodeId, rpc: node.rpcAddress, pid: nodes[index]?.pid })) };
  writeFileSync(join(workspace, 'network.json'), `${JSON.stringify(network, null, 2)}\n`);
}

function printReady(workspace: string, app: SandboxOptions['app'], ready: readonly ReadyNode[]): void {
  const url = `https://${(ready[0] as ReadyNode).rpcAddress}`;
  const files = {
    serviceCertificate: displayPath(join(workspace, 'service_cert.pem')),
    certificate: displayPath(join(workspace, 'user0_cert.pem')),
    privateKey: displayPath(join(workspace, 'user0_privk.pem')),
  };
  console.log(`Ready: ${ready.length} node(s) at ${url}; service certificate ${files.serviceCertificate}, nodes in ${displayPath(join(workspace, 'network.json'))}.`);
  if (app === 'logging') {
    console.log('Write a message as user0, then read it back:');
    console.log(`  ${curlCommand(`${url}/app/log/private`, files, '{"id":1,"msg":"hello"}')}`);
    console.log(`  ${curlCommand(`${url}/app/log/private?id=1`, files)}`);
  } else if (app === 'evm') {
    printEvmHowTo(url, files, displayPath(join(workspace, EVM_ACCOUNTS_FILE)));
  } else {
    console.log('Ask the node how it is:');
    console.log(`  ${curlCommand(`${url}/node/state`, files)}`);
  }
  const member = ['--url', url, '--service-cert', files.serviceCertificate, '--signing-cert', displayPath(join(workspace, 'member0_cert.pem')), '--signing-key', displayPath(join(workspace, 'member0_privk.pem'))];
  console.log('Govern as member0 (member1 and member2 likewise), for example list the proposals:');
  console.log(`  npx coco member proposals ${member.map(shellQuote).join(' ')}`);
  console.log('Press Ctrl-C to stop.');
}

async function stopNodes(nodes: readonly SandboxNodeProcess[]): Promise<void> {
  // Newest first: the first node started the service, so it goes last.
  const running = nodes.filter((node) => node.running).reverse();
  for (const node of running) {
    console.log(`Stopping ${node.files.name} (pid ${String(node.pid)}).`);
    const status = await node.stop(NODE_STOP_TIMEOUT_MS);
    if (status.signal === 'SIGKILL') console.log(`${node.files.name} was killed before it stopped cleanly.`);
  }
  if (running.length > 0) console.log('Stopped.');
}

/**
 * Catches the stop signals so that the nodes are stopped, not orphaned. The first
 * signal settles `requested`; any later one calls `onImpatience`.
 */
function stopOnSignal(onImpatience: () => void): { requested: Promise<void>; dispose: () => void } {
  let signalled = false;
  let request = (): void => {};
  const requested = new Promise<void>((resolve) => (request = resolve));
  const listener = (): void => {
    if (signalled) onImpatience();
    signalled = true;
    request();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, listener);
  return {
    requested,
    dispose: () => {
      for (const signal of STOP_SIGNALS) process.off(signal, listener);
    },
  };
}

/** Paths as the user would type them: relative inside the current directory, else absolute. */
function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  if (fromHere === '') return '.';
  return fromHere === '..' || fromHere.startsWith(`..${sep}`) || isAbsolute(fromHere) ? path : fromHere;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1 || String(count) !== value) throw new InvalidArgumentError('must be a whole number, 1 or more');
  return count;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535 || String(port) !== value) throw new InvalidArgumentError('must be a port number, 0 to 65535');
  return port;
}
