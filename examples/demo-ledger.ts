// Writes a real ledger directory the way a primary does (store, entries, Merkle tree,
// signature transactions, chunk files), for the quick start, the CLI tests and the
// benchmarks. Run: `npm run demo-ledger -- DIR [--transactions N] [--value-bytes B]`.
// DIR gets ledger/, ledger_secret, service_cert.pem and receipt.json.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateKeyPair, publicKeyFingerprint, type Curve } from '../src/crypto/keys.js';
import { createCertificateSigningRequest, createSelfSignedCertificate, issueCertificate, verifyCertificateSigningRequest } from '../src/crypto/x509.js';
import { Store } from '../src/kv/store.js';
import { ChunkedLedger } from '../src/ledger/chunked-ledger.js';
import { LedgerSecret } from '../src/ledger/ledger-secret.js';
import { LedgerWriter } from '../src/ledger/ledger-writer.js';
import { SERVICE_INFO_MAP } from '../src/ledger/ledger-verifier.js';
import type { Receipt } from '../src/ledger/receipt.js';
import type { NodeSigner, SignatureRecord } from '../src/ledger/signature.js';
import { TxHistory } from '../src/ledger/tx-history.js';
import { DirectoryLedgerFiles } from '../src/node/directory-ledger-files.js';

export interface DemoLedgerOptions {
  readonly dir: string;
  readonly transactions: number;
  /** Bytes of each private value (a JSON string of this length). */
  readonly valueBytes?: number;
  readonly signatureIntervalTx?: number;
  readonly chunkBytesTarget?: number;
  /** Curve of the service and node keys (default P-384). */
  readonly curve?: Curve;
  /** Leave this many transactions after the last signature. */
  readonly unsignedTail?: number;
}

export interface DemoLedger {
  readonly ledgerDir: string;
  readonly secret: LedgerSecret;
  readonly serviceCertificate: string;
  readonly signer: NodeSigner;
  readonly lastSignature: SignatureRecord;
  readonly receipt: Receipt;
  readonly lastSeqno: number;
}

export async function identities(curve: Curve = 'p384'): Promise<{ serviceCertificate: string; signer: NodeSigner }> {
  const now = new Date();
  const validity = { notBefore: now, notAfter: new Date(now.getTime() + 365 * 24 * 3600 * 1000) };
  const serviceKeys = generateKeyPair(curve);
  const serviceCertificate = await createSelfSignedCertificate({ subjectName: 'Coco demo service', keyPair: serviceKeys, validity });
  const nodeKeys = generateKeyPair(curve);
  const csr = verifyCertificateSigningRequest(await createCertificateSigningRequest({ subjectName: 'node0', keyPair: nodeKeys }));
  const nodeCertificate = await issueCertificate({
    subjectName: csr.subjectName,
    subjectPublicKey: csr.publicKey,
    issuerCertificate: serviceCertificate,
    issuerPrivateKey: serviceKeys.privateKey,
    validity,
    subjectAltNames: { ip: ['127.0.0.1'] },
  });
  return {
    serviceCertificate,
    signer: { nodeId: publicKeyFingerprint(nodeKeys.publicKey), privateKey: nodeKeys.privateKey, certificate: nodeCertificate },
  };
}

export async function writeDemoLedger(options: DemoLedgerOptions): Promise<DemoLedger> {
  const { dir, transactions } = options;
  const valueBytes = options.valueBytes ?? 100;
  const ledgerDir = join(dir, 'ledger');
  if (existsSync(ledgerDir) && readdirSync(ledgerDir).length > 0) {
    throw new Error(`${ledgerDir} is not empty: the demo writes a new ledger`);
  }
  mkdirSync(ledgerDir, { recursive: true });
  const { serviceCertificate, signer } = await identities(options.curve);
  const secret = new LedgerSecret(randomBytes(32));
  const store = new Store();
  const history = new TxHistory(secret);
  const files = new DirectoryLedgerFiles(ledgerDir);
  const { ledger } = ChunkedLedger.open(files, options.chunkBytesTarget === undefined ? {} : { chunkBytesTarget: options.chunkBytesTarget });
  const writer = new LedgerWriter({ store, history, ledger, signer, signatureIntervalTx: options.signatureIntervalTx ?? 100 });
  const view = 2;

  const genesis = store.begin({ privileged: true });
  genesis.map(SERVICE_INFO_MAP).set('service', { cert: serviceCertificate, status: 'Opening' });
  const first = genesis.commit();
  if (first.status !== 'committed') throw new Error('genesis did not commit');
  writer.append(view, first.writeSet);

  const message = 'x'.repeat(Math.max(0, valueBytes - 2));
  const unsignedTail = options.unsignedTail ?? 0;
  for (let i = 1; i < transactions; i++) {
    if (i === transactions - unsignedTail) writer.sign(view);
    const tx = store.begin();
    tx.map('private:records').set(i, `${message}`);
    if (i % 10 === 0) tx.map('public:records').set(i, { note: `public record ${i}` });
    const result = tx.commit();
    if (result.status !== 'committed') throw new Error(`transaction ${i} did not commit`);
    writer.append(view, result.writeSet);
  }
  if (unsignedTail === 0) writer.sign(view);
  const lastSignature = writer.lastSignature;
  if (lastSignature === undefined) throw new Error('no signature written');
  ledger.flush();
  ledger.sync();
  ledger.commit(lastSignature.seqno);
  store.compact(lastSignature.seqno);

  const provenSeqno = Math.min(2, lastSignature.tree_size);
  const proven = ledger.read(provenSeqno);
  if (proven === undefined) throw new Error(`seqno ${provenSeqno} not readable back`);
  const receipt = history.receipt(proven.entry, lastSignature);
  ledger.close();

  writeFileSync(join(dir, 'ledger_secret'), `${secret.bytes.toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'service_cert.pem'), serviceCertificate);
  writeFileSync(join(dir, 'receipt.json'), `${JSON.stringify(receipt, null, 2)}\n`);
  return { ledgerDir, secret, serviceCertificate, signer, lastSignature, receipt, lastSeqno: history.lastSeqno };
}

function flag(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} takes a positive whole number`);
  return value;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const args = process.argv.slice(2);
  const dir = args[0];
  if (dir === undefined || dir.startsWith('--')) {
    console.error('usage: npm run demo-ledger -- DIR [--transactions N] [--value-bytes B]');
    process.exit(2);
  }
  let demo: DemoLedger;
  try {
    demo = await writeDemoLedger({
      dir,
      transactions: flag(args, '--transactions', 1000),
      valueBytes: flag(args, '--value-bytes', 100),
    });
  } catch (error) {
    console.error(`demo-ledger: ${(error as Error).message}`);
    process.exit(2);
  }
  console.log(`wrote ${demo.lastSeqno} transactions, signature transactions included, to ${demo.ledgerDir}`);
  console.log(`ledger secret: ${join(dir, 'ledger_secret')}, service certificate: ${join(dir, 'service_cert.pem')}, receipt of 2: ${join(dir, 'receipt.json')}`);
}
