// A real RPC server over loopback TLS for the rpc tests: a service CA, a node
// certificate it issues for 127.0.0.1, a registered user and member, a stranger nobody
// registered, a real Store, and a host that numbers every commit in view 1.
import http2 from 'node:http2';
import { certificateFingerprint } from '../../src/crypto/certificate.js';
import { generateKeyPair, privateKeyToPem, type KeyPair } from '../../src/crypto/keys.js';
import { createSelfSignedCertificate, issueCertificate, type Validity } from '../../src/crypto/x509.js';
import { MEMBER_CERTS_MAP, USER_CERTS_MAP } from '../../src/gov/service-maps.js';
import { runTransactionSync, Store, type WriteSet } from '../../src/kv/index.js';
import type { Endpoint, TransactionHost, TxId } from '../../src/rpc/endpoint.js';
import { RpcServer, type RpcServerOptions } from '../../src/rpc/rpc-server.js';

const now = Date.now();
const validity: Validity = { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 86_400_000) };

export interface Identity {
  readonly keyPair: KeyPair;
  readonly certificate: string;
  readonly key: string;
  readonly id: string;
}

function identity(keyPair: KeyPair, certificate: string): Identity {
  return { keyPair, certificate, key: privateKeyToPem(keyPair.privateKey), id: certificateFingerprint(certificate) };
}

async function selfSigned(subjectName: string): Promise<Identity> {
  const keyPair = generateKeyPair('p256');
  return identity(keyPair, await createSelfSignedCertificate({ subjectName, keyPair, validity }));
}

async function issued(subjectName: string, issuer: Identity, ip?: string): Promise<Identity> {
  const keyPair = generateKeyPair('p256');
  const certificate = await issueCertificate({
    subjectName,
    subjectPublicKey: keyPair.publicKey,
    issuerCertificate: issuer.certificate,
    issuerPrivateKey: issuer.keyPair.privateKey,
    validity,
    ...(ip === undefined ? {} : { subjectAltNames: { ip: [ip] } }),
  });
  return identity(keyPair, certificate);
}

export interface Identities {
  readonly service: Identity;
  readonly node: Identity;
  readonly user: Identity;
  readonly member: Identity;
  readonly stranger: Identity;
}

export async function createIdentities(): Promise<Identities> {
  const service = await selfSigned('service');
  return {
    service,
    node: await issued('node0', service, '127.0.0.1'),
    user: await issued('user0', service),
    member: await issued('member0', service),
    stranger: await selfSigned('stranger'),
  };
}

/** A TransactionHost over a Store: every commit gets `1.<version>`. */
export class TestHost implements TransactionHost {
  readonly store = new Store();
  readonly committedWriteSets: WriteSet[] = [];
  refusal: string | undefined;

  constructor(identities: Identities) {
    runTransactionSync(this.store, (tx) => {
      tx.map<string, string>(USER_CERTS_MAP).set(identities.user.id, identities.user.certificate);
      tx.map<string, string>(MEMBER_CERTS_MAP).set(identities.member.id, identities.member.certificate);
    }, { privileged: true });
  }

  committed(writeSet: WriteSet): TxId {
    this.committedWriteSets.push(writeSet);
    return { view: 1, seqno: writeSet.version };
  }

  txIdAt(version: number): TxId {
    return { view: 1, seqno: version };
  }

  writesRefused(): string | undefined {
    return this.refusal;
  }
}

export interface Running {
  readonly server: RpcServer;
  readonly host: TestHost;
  readonly port: number;
}

export async function startServer(identities: Identities, endpoints: Endpoint[], options: Partial<RpcServerOptions> = {}): Promise<Running> {
  const host = new TestHost(identities);
  const server = new RpcServer({
    host,
    tls: { key: identities.node.key, cert: `${identities.node.certificate.trim()}\n${identities.service.certificate.trim()}\n` },
    endpoints,
    ...options,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { server, host, port };
}

export interface Answer {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Ask {
  readonly method?: string;
  readonly path: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** The client certificate to present; none when absent. */
  readonly as?: Identity;
}

/** One HTTP/2 request on a fresh connection that trusts only the service certificate. */
export function ask(port: number, identities: Identities, request: Ask): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      ca: identities.service.certificate,
      ...(request.as === undefined ? {} : { cert: request.as.certificate, key: request.as.key }),
    });
    session.on('error', reject);
    const headers: http2.OutgoingHttpHeaders = { ':method': request.method ?? 'GET', ':path': request.path, ...request.headers };
    if (request.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    let responseHeaders: http2.IncomingHttpHeaders = {};
    stream.on('response', (received) => (responseHeaders = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      // A stream the server reset while its body was still going out (413) never
      // finishes writing: let it go, or the session would wait on it forever.
      stream.destroy();
      session.close();
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: Buffer.concat(chunks) });
    });
    stream.on('error', (error) => {
      session.close();
      reject(error);
    });
    stream.end(request.body);
  });
}

export function json(answer: Answer): unknown {
  return JSON.parse(answer.body.toString('utf8'));
}

/** The error an answer carries, `{code, message}`. */
export function errorOf(answer: Answer): { code: string; message: string } {
  return (json(answer) as { error: { code: string; message: string } }).error;
}
