// A governed service for the governance tests: a real in-memory Store seeded with the
// governance maps (as genesis will), real member keys and certificates, the real
// sandbox, and helpers to sign requests and run them in privileged transactions.
import { strict as assert } from 'node:assert';
import type { KeyObject } from 'node:crypto';
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { generateEncryptionKeyPair, generateKeyPair, publicKeyToPem } from '../../src/crypto/keys.js';
import { createSelfSignedCertificate } from '../../src/crypto/x509.js';
import {
  CODE_IDS_MAP,
  CONSTITUTION_KEY,
  CONSTITUTION_MAP,
  DEFAULT_CONSTITUTION,
  JsSandbox,
  MEMBER_CERTS_MAP,
  MEMBER_ENCRYPTION_KEYS_MAP,
  MEMBER_INFO_MAP,
  NODES_MAP,
  SERVICE_INFO_KEY,
  SERVICE_INFO_MAP,
  TEE_PLATFORMS_MAP,
  signGovernanceRequest,
  type GovernanceMessageType,
  type MemberInfo,
  type NodeInfo,
} from '../../src/gov/index.js';
import { Store, runTransactionSync, type Transaction } from '../../src/kv/index.js';

export interface Identity {
  readonly id: string;
  readonly certificate: string;
  readonly privateKey: KeyObject;
}

/** A fixed clock for signing and checking: 2030-01-01T00:00:00Z. */
export const NOW = new Date('2030-01-01T00:00:00Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
export const MEASUREMENT = 'ab'.repeat(32);
export const FIRST_NODE_ID = '01'.repeat(32);

const validity = { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2040-01-01T00:00:00Z') };

let sandbox: Promise<JsSandbox> | undefined;
export function loadSandbox(): Promise<JsSandbox> {
  sandbox ??= JsSandbox.load();
  return sandbox;
}

export async function makeIdentity(name: string): Promise<Identity> {
  const keyPair = generateKeyPair('p256');
  const certificate = await createSelfSignedCertificate({ subjectName: name, keyPair, validity });
  return { id: certificateFingerprint(certificate), certificate, privateKey: keyPair.privateKey };
}

const identities = new Map<string, Promise<Identity>>();
/** The same identity for the same name, across tests (key generation is slow). */
export function identity(name: string): Promise<Identity> {
  let made = identities.get(name);
  if (made === undefined) {
    made = makeIdentity(name);
    identities.set(name, made);
  }
  return made;
}

let encryptionKey: string | undefined;
/** One RSA public key for every member (3072-bit generation is slow; tests do not decrypt). */
export function encryptionPublicKey(): string {
  encryptionKey ??= publicKeyToPem(generateEncryptionKeyPair().publicKey);
  return encryptionKey;
}

export async function members(count: number): Promise<Identity[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => identity(`member${index}`)));
}

export interface ServiceOptions {
  readonly members: readonly Identity[];
  /** Members that start Active (the rest start Accepted); default all. */
  readonly active?: readonly Identity[];
  readonly constitution?: string;
}

/** A store holding a service as genesis leaves it, with members Active as asked. */
export function governedStore(options: ServiceOptions): Store {
  const store = new Store();
  const active = new Set((options.active ?? options.members).map((member) => member.id));
  privileged(store, (tx) => {
    tx.map(SERVICE_INFO_MAP).set(SERVICE_INFO_KEY, { cert: 'service certificate PEM', status: 'Opening' });
    for (const member of options.members) {
      tx.map(MEMBER_CERTS_MAP).set(member.id, member.certificate);
      tx.map(MEMBER_ENCRYPTION_KEYS_MAP).set(member.id, encryptionPublicKey());
      tx.map<string, MemberInfo>(MEMBER_INFO_MAP).set(member.id, { status: active.has(member.id) ? 'Active' : 'Accepted' });
    }
    tx.map<string, NodeInfo>(NODES_MAP).set(FIRST_NODE_ID, node('Trusted'));
    tx.map(TEE_PLATFORMS_MAP).set('virtual', { status: 'Allowed' });
    tx.map(CODE_IDS_MAP).set(MEASUREMENT, { status: 'AllowedToJoin', platform: 'virtual' });
    tx.map(CONSTITUTION_MAP).set(CONSTITUTION_KEY, options.constitution ?? DEFAULT_CONSTITUTION);
  });
  return store;
}

export function node(status: NodeInfo['status'], measurement = MEASUREMENT): NodeInfo {
  return { status, cert: 'node certificate PEM', rpc_address: '127.0.0.1:8000', node_to_node_address: '127.0.0.1:8001', measurement, platform: 'virtual' };
}

/** Runs `body` in a privileged transaction and commits it; a throw aborts it. */
export function privileged<T>(store: Store, body: (tx: Transaction) => T): T {
  return runTransactionSync(store, body, { privileged: true }).result;
}

/** Reads in a transaction that is then aborted. */
export function read<T>(store: Store, body: (tx: Transaction) => T): T {
  const tx = store.begin();
  try {
    return body(tx);
  } finally {
    tx.abort();
  }
}

let createdAtCounter = 0;
/** Signs a request; each call gets a distinct created_at near NOW unless one is given. */
export function sign(signer: Identity, type: GovernanceMessageType, payload: string, options: { proposalId?: string; createdAtSeconds?: number } = {}): Buffer {
  createdAtCounter = (createdAtCounter + 1) % 50;
  return signGovernanceRequest({
    privateKey: signer.privateKey,
    memberId: signer.id,
    type,
    createdAtSeconds: options.createdAtSeconds ?? NOW_SECONDS - createdAtCounter,
    ...(options.proposalId === undefined ? {} : { proposalId: options.proposalId }),
    payload,
  });
}

export function proposal(...actions: Array<{ name: string; args?: unknown }>): string {
  return JSON.stringify({ actions });
}

export const BALLOT_YES = 'export function vote(proposal, proposerId) { return true; }';
export const BALLOT_NO = 'export function vote(proposal, proposerId) { return false; }';

export function ballotBody(source: string): string {
  return JSON.stringify({ ballot: source });
}

/** Every governance-map entry, for "nothing changed" checks. */
export function dump(store: Store): string {
  return JSON.stringify(store.dumpState().maps);
}

export function assertDefined<T>(value: T | undefined, what: string): T {
  assert.notEqual(value, undefined, `${what} is missing`);
  return value as T;
}
