// The joining node's side of a join (docs/operations.md): make a node key, ask a node of
// the running service (trusted through the service certificate from the config) with a
// CSR and an attestation over TLS authenticated by that same key, and keep asking until
// the service admits it or the time is up. The service answers once the join has
// committed; a 5xx (no primary, or the join not committed in time) or a lost connection
// means ask again, with the same key, which the service answers from its record. A
// refusal (4xx) is final. Once the service is open, the answer is Pending (no secrets)
// until members trust the node with a transition_node_to_trusted proposal: the node keeps
// asking, saying so in its log, and the answer after the vote carries the secrets.
import { createPublicKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { CocoClient } from '../client/coco-client.js';
import { CocoTransportError } from '../client/coco-transport-error.js';
import { parseCertificate } from '../crypto/certificate.js';
import { generateKeyPair, privateKeyFromPem, privateKeyToPem, publicKeyFingerprint } from '../crypto/keys.js';
import { createCertificateSigningRequest, createSelfSignedCertificate } from '../crypto/x509.js';
import { LedgerSecret } from '../ledger/ledger-secret.js';
import { produceAttestation } from '../node/attestation/produce-attestation.js';
import type { JoinResponse } from '../node/join-admission.js';
import { readPem, type JoinedService } from '../node/coco-node.js';
import type { JoinCommand, NodeConfig } from '../node/node-config.js';
import { CliError } from './cli-error.js';

const RETRY_MS = 500;
/** While Pending, how often the log says the node still waits for members. */
const PENDING_LOG_INTERVAL_MS = 10_000;
const HOUR_MS = 60 * 60 * 1000;

export async function requestJoin(config: NodeConfig, measurement: string, logger: Logger, now: Date): Promise<JoinedService> {
  const command = config.command as JoinCommand;
  const serviceCertificate = readPem(config, config.service_certificate_file, 'service certificate');
  const keyPair = generateKeyPair(config.curve);
  const nodeId = publicKeyFingerprint(keyPair.publicKey);
  const subjectName = `node ${nodeId.slice(0, 16)}`;
  // Only proves possession of the key over TLS; the service endorses the key itself.
  const clientCertificate = await createSelfSignedCertificate({
    subjectName,
    keyPair,
    validity: { notBefore: new Date(now.getTime() - HOUR_MS), notAfter: new Date(now.getTime() + HOUR_MS) },
  });
  const body = {
    certificate_signing_request: await createCertificateSigningRequest({ subjectName, keyPair }),
    rpc_address: config.network.rpc_address,
    node_to_node_address: config.network.node_to_node_address,
    attestation: produceAttestation('virtual', keyPair.publicKey, measurement),
  };
  const client = CocoClient.connect({
    url: `https://${command.target_rpc_address}`,
    serviceCertificate,
    certificate: clientCertificate,
    privateKey: privateKeyToPem(keyPair.privateKey),
  });
  const deadline = performance.now() + command.timeout_ms;
  let pendingLoggedAt: number | undefined;
  try {
    for (;;) {
      let failure: string;
      try {
        // Each attempt within what is left of the join's time, so that a slow one cannot outlast it.
        const response = await client.post('/node/join', body, { timeoutMs: Math.max(1, Math.ceil(deadline - performance.now())) });
        if (response.status === 200) {
          const answer = response.body as JoinResponse;
          if (answer.status === 'Trusted') return joinedService(answer, keyPair, serviceCertificate);
          failure = pendingFailure(answer);
          if (pendingLoggedAt === undefined || performance.now() - pendingLoggedAt >= PENDING_LOG_INTERVAL_MS) {
            pendingLoggedAt = performance.now();
            logger.info({ target: command.target_rpc_address, nodeId: answer.node_id, leftMs: Math.max(0, Math.round(deadline - performance.now())) },
              'the service recorded this node as Pending: waiting for members to trust it (a transition_node_to_trusted proposal); still asking');
          }
        } else {
          const message = (response.body as { error?: { message?: string } } | undefined)?.error?.message ?? `status ${response.status}`;
          if (response.status < 500) throw new CliError(`joining through ${command.target_rpc_address} was refused: ${message}`, 1);
          failure = message;
          logger.info({ target: command.target_rpc_address, failure }, 'join not answered yet; retrying');
        }
      } catch (error) {
        if (!(error instanceof CocoTransportError)) throw error;
        failure = error.message;
        logger.info({ target: command.target_rpc_address, failure }, 'join not answered yet; retrying');
      }
      if (performance.now() + RETRY_MS > deadline) {
        throw new CliError(`could not join through ${command.target_rpc_address} within ${command.timeout_ms} ms: ${failure}`, 1);
      }
      await sleep(RETRY_MS);
    }
  } finally {
    await client.close();
  }
}

function pendingFailure(answer: JoinResponse): string {
  if (answer.status !== 'Pending') throw new CliError(`the service answered the join with status ${JSON.stringify((answer as { status?: unknown }).status)}, neither Trusted nor Pending`, 1);
  return `the service recorded node ${answer.node_id} as Pending, and members have not trusted it (a transition_node_to_trusted proposal with node_id ${answer.node_id} must be accepted)`;
}

function joinedService(response: Extract<JoinResponse, { status: 'Trusted' }>, keyPair: ReturnType<typeof generateKeyPair>, serviceCertificate: string): JoinedService {
  if (response.service_certificate.trim() !== serviceCertificate.trim()) {
    throw new CliError('the service answered with another service certificate than the one configured', 1);
  }
  const nodeCertificate = parseCertificate(response.node_certificate);
  if (!nodeCertificate.publicKey.equals(keyPair.publicKey)) throw new CliError('the service endorsed another key than this node\'s', 1);
  const servicePrivateKey = privateKeyFromPem(response.service_key);
  const servicePublicKey = createPublicKey(servicePrivateKey);
  if (!parseCertificate(serviceCertificate).publicKey.equals(servicePublicKey)) throw new CliError('the service key does not match the service certificate', 1);
  return {
    service: { certificate: serviceCertificate, keyPair: { privateKey: servicePrivateKey, publicKey: servicePublicKey } },
    identity: { keyPair, nodeId: response.node_id, privateKey: keyPair.privateKey, certificate: response.node_certificate },
    ledgerSecret: new LedgerSecret(Buffer.from(response.ledger_secret, 'base64')),
    peers: new Map(response.peers.map((peer) => [peer.node_id, peer.node_to_node_address])),
  };
}
