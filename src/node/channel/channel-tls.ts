// TLS for the node-to-node channel: TLS 1.3 only, both ends present their node
// certificate, and the service certificate is the only CA either end trusts, so a
// certificate from another service, or a self-signed one, fails the handshake. A peer
// is known by its node id: the SHA-256 of its certificate's public key. Hostnames are
// not checked (node certificates name the RPC host, not the node-to-node address); the
// dialler checks instead that it reached the node id it meant to.
import { X509Certificate } from 'node:crypto';
import tls, { type PeerCertificate, type SecureContext, type TLSSocket, type TlsOptions } from 'node:tls';
import { publicKeyFingerprint } from '../../crypto/keys.js';

export interface ChannelIdentity {
  /** PEM (pkcs8) node key. */
  readonly privateKey: string;
  /** PEM node certificate, issued by the service key. */
  readonly certificate: string;
  /** PEM service certificate: the only CA trusted for peers. */
  readonly serviceCertificate: string;
}

const TLS_VERSION = 'TLSv1.3';

/** A node's id from its certificate (PEM or DER): the hex SHA-256 of its public key's SPKI DER. */
export function nodeIdOfCertificate(certificate: string | Buffer): string {
  return publicKeyFingerprint(new X509Certificate(certificate).publicKey);
}

/** The node id a connected peer proved, or undefined if it presented no certificate. */
export function peerNodeId(socket: TLSSocket): string | undefined {
  const certificate = socket.getPeerX509Certificate();
  return certificate === undefined ? undefined : publicKeyFingerprint(certificate.publicKey);
}

/** Options of the accepting side: node refuses a client certificate the service did not issue. */
export function serverTlsOptions(identity: ChannelIdentity, handshakeTimeoutMs: number): TlsOptions {
  return {
    key: identity.privateKey,
    cert: identity.certificate,
    ca: [identity.serviceCertificate],
    minVersion: TLS_VERSION,
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout: handshakeTimeoutMs,
  };
}

/** One context for every dial, so keys and certificates are parsed once. */
export function dialSecureContext(identity: ChannelIdentity): SecureContext {
  return tls.createSecureContext({
    key: identity.privateKey,
    cert: identity.certificate,
    ca: [identity.serviceCertificate],
    minVersion: TLS_VERSION,
  });
}

/**
 * The dialler's `checkServerIdentity`: node has already checked that the service issued
 * the server's certificate; this checks that it is the node we meant to reach and that
 * we trust it now. An Error refuses the connection.
 */
export function dialledNodeCheck(expectedNodeId: string, isTrustedPeer: (nodeId: string) => boolean): (host: string, certificate: PeerCertificate) => Error | undefined {
  return (_host, certificate) => {
    let nodeId: string;
    try {
      nodeId = nodeIdOfCertificate(certificate.raw);
    } catch (error) {
      return new Error(`unreadable server certificate: ${(error as Error).message}`);
    }
    if (nodeId !== expectedNodeId) return new Error(`reached node ${nodeId}, not node ${expectedNodeId}`);
    if (!isTrustedPeer(nodeId)) return new Error(`node ${nodeId} is not a trusted node of this service`);
    return undefined;
  };
}
