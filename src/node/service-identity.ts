// The identities a new service is born with, made inside the first node: the service
// key and its self-signed certificate (what clients and receipts trust), and the node's
// own key with a certificate the service key endorses (from a CSR, as a joining node
// will send one). Private keys never leave the process.
import { isIP } from 'node:net';
import { publicKeyFingerprint, generateKeyPair, type Curve, type KeyPair } from '../crypto/keys.js';
import { createCertificateSigningRequest, createSelfSignedCertificate, issueCertificate, verifyCertificateSigningRequest, type Validity } from '../crypto/x509.js';
import type { NodeSigner } from '../ledger/signature.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start a day early so a peer whose clock is a little behind accepts them. */
const CLOCK_SKEW_MS = DAY_MS;
const SERVICE_CERTIFICATE_DAYS = 365;
const NODE_CERTIFICATE_DAYS = 365;

export interface ServiceIdentity {
  readonly keyPair: KeyPair;
  readonly certificate: string;
}

export interface NodeIdentity extends NodeSigner {
  readonly keyPair: KeyPair;
}

function validity(now: Date, days: number): Validity {
  return { notBefore: new Date(now.getTime() - CLOCK_SKEW_MS), notAfter: new Date(now.getTime() + days * DAY_MS) };
}

export async function createServiceIdentity(curve: Curve, now: Date): Promise<ServiceIdentity> {
  const keyPair = generateKeyPair(curve);
  const certificate = await createSelfSignedCertificate({ subjectName: 'Coco service', keyPair, validity: validity(now, SERVICE_CERTIFICATE_DAYS) });
  return { keyPair, certificate };
}

/** A node key and its service-endorsed certificate, valid for TLS on `rpcHost` and localhost. */
export async function createNodeIdentity(service: ServiceIdentity, curve: Curve, rpcHost: string, now: Date): Promise<NodeIdentity> {
  const keyPair = generateKeyPair(curve);
  const nodeId = publicKeyFingerprint(keyPair.publicKey);
  const request = await createCertificateSigningRequest({ subjectName: `node ${nodeId.slice(0, 16)}`, keyPair });
  const certificate = await endorseNode(service, request, rpcHost, now);
  return { keyPair, nodeId, privateKey: keyPair.privateKey, certificate };
}

/**
 * The service key endorses a node's certificate signing request: the node certificate
 * signatures and TLS between nodes are checked against. Throws on a CSR whose
 * self-signature does not verify.
 */
export async function endorseNode(service: ServiceIdentity, csrPem: string, rpcHost: string, now: Date): Promise<string> {
  const request = verifyCertificateSigningRequest(csrPem);
  const ip = new Set(['127.0.0.1']);
  const dns = new Set(['localhost']);
  (isIP(rpcHost) === 0 ? dns : ip).add(rpcHost);
  return issueCertificate({
    subjectName: request.subjectName,
    subjectPublicKey: request.publicKey,
    issuerCertificate: service.certificate,
    issuerPrivateKey: service.keyPair.privateKey,
    validity: validity(now, NODE_CERTIFICATE_DAYS),
    subjectAltNames: { ip: [...ip], dns: [...dns] },
  });
}
