// A node that asks to join as `coco node join` does (fresh key, CSR, `virtual`
// attestation of the code the nodes run), but whose answers the test reads.
import { fileURLToPath } from 'node:url';
import { CocoClient, type CocoResponse } from '../../src/client/index.js';
import { generateKeyPair, privateKeyToPem, publicKeyFingerprint } from '../../src/crypto/keys.js';
import { createCertificateSigningRequest, createSelfSignedCertificate } from '../../src/crypto/x509.js';
import { measureCode } from '../../src/node/attestation/measure-code.js';
import { produceAttestation } from '../../src/node/attestation/produce-attestation.js';

/** The code the nodes run, as `coco node` measures it for its attestation. */
const CODE_ROOT = fileURLToPath(new URL('../../src/', import.meta.url));

export class TestJoiner {
  private constructor(
    readonly nodeId: string,
    /** PEM of the joiner's key, e.g. to dial a node-to-node port as this node. */
    readonly privateKey: string,
    readonly client: CocoClient,
    readonly body: unknown,
  ) {}

  static async connect(rpc: string, serviceCertificate: string): Promise<TestJoiner> {
    const keyPair = generateKeyPair('p384');
    const nodeId = publicKeyFingerprint(keyPair.publicKey);
    const now = Date.now();
    const subjectName = `node ${nodeId.slice(0, 16)}`;
    const certificate = await createSelfSignedCertificate({ subjectName, keyPair, validity: { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 3_600_000) } });
    const body = {
      certificate_signing_request: await createCertificateSigningRequest({ subjectName, keyPair }),
      rpc_address: '127.0.0.1:1',
      node_to_node_address: '127.0.0.1:2',
      attestation: produceAttestation('virtual', keyPair.publicKey, measureCode(CODE_ROOT)),
    };
    const privateKey = privateKeyToPem(keyPair.privateKey);
    const client = CocoClient.connect({ url: `https://${rpc}`, serviceCertificate, certificate, privateKey, timeoutMs: 30_000 });
    return new TestJoiner(nodeId, privateKey, client, body);
  }

  ask(): Promise<CocoResponse> {
    return this.client.post('/node/join', this.body);
  }
}
