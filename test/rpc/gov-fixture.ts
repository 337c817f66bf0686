// A governed service behind a real RPC server over loopback TLS, for the /gov endpoint
// tests: a store after a real genesis (three members, Accepted; the default
// constitution; one Trusted node), the real constitution sandbox, a host whose reachable
// peers a test sets, members' real keys to sign requests with, and a user endpoint to see
// who the users are.
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { generateEncryptionKeyPair, generateKeyPair, privateKeyToPem, publicKeyToPem } from '../../src/crypto/keys.js';
import { createSelfSignedCertificate } from '../../src/crypto/x509.js';
import { JsSandbox, signGovernanceRequest, type GovernanceMessageType } from '../../src/gov/index.js';
import { Store, type WriteSet } from '../../src/kv/index.js';
import { writeGenesis } from '../../src/node/genesis.js';
import { userCertAuth } from '../../src/rpc/auth-policies.js';
import type { Endpoint, TransactionHost, TxId } from '../../src/rpc/endpoint.js';
import { governanceEndpoints } from '../../src/rpc/gov-endpoints.js';
import { RpcServer } from '../../src/rpc/rpc-server.js';
import { ask, createIdentities, json, type Answer, type Identities, type Identity } from './rpc-fixture.js';

export const SELF_NODE_ID = 'a1'.repeat(32);
export const MEASUREMENT = 'ab'.repeat(32);

/** A member: rpc-fixture's identity (certificate and key), signing governance requests. */
export interface Member extends Identity {
  readonly name: string;
}

/** A TransactionHost over a Store, numbering commits in view 1, whose reachable peers a test sets. */
export class GovHost implements TransactionHost {
  readonly store = new Store();
  readonly committedWriteSets: WriteSet[] = [];
  readonly nodeId = SELF_NODE_ID;
  reachable = new Set<string>();

  committed(writeSet: WriteSet): TxId {
    this.committedWriteSets.push(writeSet);
    return { view: 1, seqno: writeSet.version };
  }

  txIdAt(version: number): TxId {
    return { view: 1, seqno: version };
  }

  writesRefused(): string | undefined {
    return undefined;
  }

  reachablePeers(): ReadonlySet<string> {
    return this.reachable;
  }
}

async function member(name: string): Promise<Member> {
  const keyPair = generateKeyPair('p256');
  const now = Date.now();
  const certificate = await createSelfSignedCertificate({ subjectName: name, keyPair, validity: { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 86_400_000) } });
  return { name, keyPair, certificate, key: privateKeyToPem(keyPair.privateKey), id: certificateFingerprint(certificate) };
}

export interface GovService {
  readonly identities: Identities;
  readonly members: readonly Member[];
  readonly host: GovHost;
  readonly server: RpcServer;
  readonly port: number;
}

let sandbox: Promise<JsSandbox> | undefined;

/** A new service: genesis with three members (Accepted) and rpc-fixture's user, served over TLS. */
export async function startGovService(): Promise<GovService> {
  sandbox ??= JsSandbox.load();
  const identities = await createIdentities();
  const members = await Promise.all(['member0', 'member1', 'member2'].map(member));
  const encryptionKey = publicKeyToPem(generateEncryptionKeyPair().publicKey);
  const host = new GovHost();
  const tx = host.store.begin({ privileged: true });
  writeGenesis(tx, {
    serviceCertificate: identities.service.certificate,
    members: members.map((one) => ({ certificate: one.certificate, encryptionPublicKey: encryptionKey })),
    users: [{ certificate: identities.user.certificate }],
    nodeId: SELF_NODE_ID,
    node: { status: 'Trusted', cert: identities.node.certificate, rpc_address: '127.0.0.1:8000', node_to_node_address: '127.0.0.1:8001' },
    platform: 'virtual',
    measurement: MEASUREMENT,
  });
  if (tx.commit().status !== 'committed') throw new Error('genesis did not commit');
  const endpoints: Endpoint[] = [
    ...governanceEndpoints({ sandbox: await sandbox, host }),
    { method: 'GET', path: '/app/whoami', mode: 'readonly', auth: [userCertAuth], summary: 'The calling user', handler: ({ caller }) => ({ body: { user_id: caller.id } }) },
  ];
  const server = new RpcServer({
    host,
    tls: { key: identities.node.key, cert: `${identities.node.certificate.trim()}\n${identities.service.certificate.trim()}\n` },
    endpoints,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { identities, members, host, server, port };
}

let createdAtOffset = 0;

/**
 * Signs a governance request as `signer`, dated now unless told otherwise. Successive
 * calls are dated a second apart going back (within the freshness window), so two
 * requests with the same content are two requests, not a replay.
 */
export function signed(signer: Pick<Member, 'keyPair' | 'id'>, type: GovernanceMessageType, payload: string, options: { proposalId?: string; createdAtSeconds?: number } = {}): Buffer {
  createdAtOffset = (createdAtOffset + 1) % 120;
  return signGovernanceRequest({
    privateKey: signer.keyPair.privateKey,
    memberId: signer.id,
    type,
    createdAtSeconds: options.createdAtSeconds ?? Math.floor(Date.now() / 1000) - createdAtOffset,
    ...(options.proposalId === undefined ? {} : { proposalId: options.proposalId }),
    payload,
  });
}

/** POSTs a signed request (application/cose) with no TLS client certificate unless `as` is given. */
export function post(service: GovService, path: string, body: Buffer, options: { contentType?: string; as?: Identity } = {}): Promise<Answer> {
  return ask(service.port, service.identities, {
    method: 'POST',
    path,
    body,
    headers: { 'content-type': options.contentType ?? 'application/cose' },
    ...(options.as === undefined ? {} : { as: options.as }),
  });
}

export function get(service: GovService, path: string, as?: Identity): Promise<Answer> {
  return ask(service.port, service.identities, { path, ...(as === undefined ? {} : { as }) });
}

export function proposal(...actions: Array<{ name: string; args?: unknown }>): string {
  return JSON.stringify({ actions });
}

export const ACCEPT = JSON.stringify({ ballot: 'export function vote (proposal, proposerId) { return true }' });
export const REJECT = JSON.stringify({ ballot: 'export function vote (proposal, proposerId) { return false }' });

export interface Outcome {
  readonly proposal_id: string;
  readonly proposer_id: string;
  readonly state: string;
  readonly ballot_count: number;
  readonly final_votes?: Record<string, boolean>;
  readonly failure?: { reason: string };
}

export function outcome(answer: Answer): Outcome {
  if (answer.status !== 200) throw new Error(`expected 200, got ${answer.status}: ${answer.body.toString('utf8')}`);
  return json(answer) as Outcome;
}

/** Every map of the store, for "nothing changed" checks. */
export function snapshot(host: GovHost): string {
  return JSON.stringify(host.store.dumpState());
}
