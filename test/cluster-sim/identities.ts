// The service and node identities every cluster simulation shares: made once per process
// (certificates are slow to make) on P-256 (fast to sign and verify).
//
// They are the same in every process, byte length for byte length, so that `--seed S`
// replays a run exactly: node ids order the configurations and so the order of messages,
// and the certificates' lengths fix the sizes of entries and so where ledger chunks end.
// Node keys come from fixed scalars; certificates have a fixed serial and validity, and
// are reissued until their ECDSA signature has its longest DER form (ECDSA itself is
// randomised, so only the length can be fixed).
import { createECDH, createPrivateKey, createPublicKey } from 'node:crypto';
import { sha256 } from '../../src/crypto/hash.js';
import { generateKeyPair, publicKeyFingerprint, type KeyPair } from '../../src/crypto/keys.js';
import { createSelfSignedCertificate, issueCertificate } from '../../src/crypto/x509.js';
import type { NodeSigner } from '../../src/ledger/signature.js';

/** Most nodes a simulated cluster has. */
export const clusterNodesMax = 5;

export interface ClusterIdentities {
  readonly serviceCertificate: string;
  /** clusterNodesMax node signers, in a fixed order. */
  readonly nodes: readonly NodeSigner[];
}

const validity = { notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2049-01-01T00:00:00Z') };
/** DER of an ECDSA-P256 signature whose r and s both need a leading zero byte: 30 46 02 21 .. 02 21 ... */
const longestSignatureBytes = 72;

let cached: Promise<ClusterIdentities> | undefined;

export function clusterIdentities(): Promise<ClusterIdentities> {
  cached ??= makeIdentities();
  return cached;
}

async function makeIdentities(): Promise<ClusterIdentities> {
  const serviceKeys = generateKeyPair('p256');
  const serviceCertificate = await createSelfSignedCertificate({ subjectName: 'Coco simulated service', keyPair: serviceKeys, validity });
  const nodes: NodeSigner[] = [];
  for (let index = 0; index < clusterNodesMax; index++) {
    const keyPair = fixedKeyPair(`coco cluster simulation node ${index}`);
    const nodeId = publicKeyFingerprint(keyPair.publicKey);
    let certificate: string;
    do {
      certificate = await issueCertificate({
        subjectName: `node ${index}`,
        subjectPublicKey: keyPair.publicKey,
        issuerCertificate: serviceCertificate,
        issuerPrivateKey: serviceKeys.privateKey,
        validity,
        serialNumber: (0x40 + index).toString(16).padStart(2, '0').repeat(16),
        subjectAltNames: { ip: ['127.0.0.1'], dns: ['localhost'] },
      });
    } while (!hasLongestSignature(certificate));
    nodes.push({ nodeId, privateKey: keyPair.privateKey, certificate });
  }
  return { serviceCertificate, nodes };
}

/** A P-256 key pair whose private scalar is the SHA-256 of `label` (below the group order for these labels). */
function fixedKeyPair(label: string): KeyPair {
  const scalar = sha256(Buffer.from(label));
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(scalar);
  const point = ecdh.getPublicKey();
  const privateKey = createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: scalar.toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
  });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Whether the certificate ends in a BIT STRING (03 49 00) holding a 72-byte ECDSA signature (30 46). */
function hasLongestSignature(pem: string): boolean {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const at = der.length - longestSignatureBytes;
  return der[at - 3] === 0x03 && der[at - 2] === longestSignatureBytes + 1 && der[at - 1] === 0x00
    && der[at] === 0x30 && der[at + 1] === longestSignatureBytes - 2;
}
