// The primary's side of a join (docs/operations.md): a node asks with a certificate
// signing request and an attestation over the TLS connection its own key authenticated.
// The primary checks that the connection's key is the CSR's, that the attestation binds
// that key to a measurement and platform the code and TEE manifests allow, endorses the
// key with the service key, and records the node. While the service is opening the node
// is trusted at once and receives the service key and ledger secret in the answer, over
// that same TLS connection; once the service is open, governance decides: the node is
// recorded Pending, with the measurement and platform it attested, is answered Pending
// (no secrets), and asks again until a transition_node_to_trusted proposal is accepted.
// The answer waits until the join can no longer be rolled back (join-commit.ts), so a node
// whose answer timed out asks again with the same key: it is then answered from its
// record, the same answer, rather than refused as a second join.
import { X509Certificate } from 'node:crypto';
import { publicKeyFingerprint } from '../crypto/keys.js';
import { verifyCertificateSigningRequest } from '../crypto/x509.js';
import { NODES_MAP, SERVICE_INFO_KEY, SERVICE_INFO_MAP, type NodeInfo, type ServiceInfo } from '../gov/service-maps.js';
import type { Transaction } from '../kv/transaction.js';
import type { LedgerSecret } from '../ledger/ledger-secret.js';
import { checkJoinAttestation } from './attestation/check-join-attestation.js';
import { endorseNode, type ServiceIdentity } from './service-identity.js';

export interface JoinRequest {
  readonly certificate_signing_request: string;
  readonly rpc_address: string;
  readonly node_to_node_address: string;
  /** Untrusted JSON: checkJoinAttestation checks its shape. */
  readonly attestation: unknown;
}

export interface JoinPeer {
  readonly node_id: string;
  readonly node_to_node_address: string;
}

export type JoinResponse =
  | {
      readonly status: 'Trusted';
      readonly node_id: string;
      readonly node_certificate: string;
      readonly service_certificate: string;
      /** PEM (PKCS #8) of the service key: any node may have to endorse the next joiner. */
      readonly service_key: string;
      /** Base64 of the 32-byte ledger secret. */
      readonly ledger_secret: string;
      readonly peers: readonly JoinPeer[];
    }
  | { readonly status: 'Pending'; readonly node_id: string };

/** Why a join was refused; the endpoint answers it as 403 or 409. */
export class JoinRefused extends Error {
  constructor(readonly code: 'Forbidden' | 'Conflict', message: string) {
    super(message);
    this.name = 'JoinRefused';
  }
}

export interface AdmissionContext {
  readonly service: ServiceIdentity;
  readonly now: Date;
}

/** A node as recorded, by this transaction or by an earlier attempt with the same key. */
export interface Admission {
  readonly nodeId: string;
  readonly info: NodeInfo;
  /** True when this transaction recorded it; false when it was recorded already. */
  readonly recordedNow: boolean;
  /** The Trusted nodes other than this one: its peers, and the voting nodes its join adds to. */
  readonly others: readonly JoinPeer[];
}

/**
 * Admits a node in `tx` (read-write, privileged), or finds it admitted already with the
 * same key and addresses (then writes nothing). Throws JoinRefused for a refused request.
 */
export async function admitNode(tx: Transaction, request: JoinRequest, callerCertificate: Buffer | undefined, context: AdmissionContext): Promise<Admission> {
  let csr: ReturnType<typeof verifyCertificateSigningRequest>;
  try {
    csr = verifyCertificateSigningRequest(request.certificate_signing_request);
  } catch (error) {
    throw new JoinRefused('Forbidden', `the certificate signing request does not verify: ${(error as Error).message}`);
  }
  if (callerCertificate === undefined || !new X509Certificate(callerCertificate).publicKey.equals(csr.publicKey)) {
    throw new JoinRefused('Forbidden', 'the TLS client certificate must carry the key of the certificate signing request');
  }
  const nodeId = publicKeyFingerprint(csr.publicKey);
  const attested = checkJoinAttestation(tx, request.attestation, csr.publicKey);
  if (!attested.ok) throw new JoinRefused('Forbidden', `attestation refused: ${attested.reason}`);

  const nodes = tx.map<string, NodeInfo>(NODES_MAP);
  const others: JoinPeer[] = [];
  nodes.forEach((info, id) => {
    if (info.status === 'Trusted' && id !== nodeId) others.push({ node_id: id, node_to_node_address: info.node_to_node_address });
  });
  const recorded = nodes.get(nodeId);
  if (recorded !== undefined) return { nodeId, info: sameNode(nodeId, recorded, request), recordedNow: false, others };

  const opening = tx.map<number, ServiceInfo>(SERVICE_INFO_MAP).get(SERVICE_INFO_KEY)?.status === 'Opening';
  const rpcHost = request.rpc_address.slice(0, request.rpc_address.lastIndexOf(':'));
  const info: NodeInfo = {
    status: opening ? 'Trusted' : 'Pending',
    cert: await endorseNode(context.service, request.certificate_signing_request, rpcHost, context.now),
    rpc_address: request.rpc_address,
    node_to_node_address: request.node_to_node_address,
    // What transition_node_to_trusted checks against the manifests when members vote.
    measurement: attested.measurement,
    platform: attested.platform,
  };
  nodes.set(nodeId, info);
  return { nodeId, info, recordedNow: true, others };
}

/**
 * The record of a node asking again (the same key, so the same node id): the same join,
 * unless it says otherwise. A node joins once; it cannot come back with the same key.
 */
function sameNode(nodeId: string, recorded: NodeInfo, request: JoinRequest): NodeInfo {
  if (recorded.status === 'Retired') throw new JoinRefused('Conflict', `node ${nodeId} was retired; a node joins once, with a new key`);
  if (recorded.rpc_address !== request.rpc_address || recorded.node_to_node_address !== request.node_to_node_address) {
    throw new JoinRefused('Conflict',
      `node ${nodeId} is recorded with RPC address ${recorded.rpc_address} and node-to-node address ${recorded.node_to_node_address}; ` +
        'a node joins once, with a new key');
  }
  return recorded;
}

/** The answer to an admitted node, once its join can no longer be rolled back (join-commit.ts). */
export function joinResponse(admission: Admission, secrets: { readonly service: ServiceIdentity; readonly ledgerSecret: LedgerSecret }): JoinResponse {
  const { nodeId, info } = admission;
  if (info.status !== 'Trusted') return { status: 'Pending', node_id: nodeId };
  return {
    status: 'Trusted',
    node_id: nodeId,
    node_certificate: info.cert,
    service_certificate: secrets.service.certificate,
    service_key: secrets.service.keyPair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    ledger_secret: secrets.ledgerSecret.bytes.toString('base64'),
    peers: admission.others,
  };
}
