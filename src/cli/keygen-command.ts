// `coco keygen NAME`: makes an identity for a member, user or test service — an EC
// private key and a self-signed certificate, and with --encryption the RSA key pair a
// member's recovery share is encrypted to. Never overwrites: losing a key is final.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import {
  DEFAULT_CURVE,
  generateEncryptionKeyPair,
  generateKeyPair,
  isCurve,
  privateKeyToPem,
  publicKeyToPem,
  type Curve,
} from '../crypto/keys.js';
import { CliError } from './cli-error.js';

const CERTIFICATE_VALIDITY_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;
const PRIVATE_FILE_MODE = 0o600;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface KeygenOptions {
  readonly name: string;
  readonly dir: string;
  readonly curve: Curve;
  readonly encryption: boolean;
  /** Start of the certificate's validity. */
  readonly now: Date;
}

export interface KeygenFiles {
  readonly privateKey: string;
  readonly certificate: string;
  readonly encryptionPrivateKey?: string;
  readonly encryptionPublicKey?: string;
}

/** Writes the files and returns their paths; throws CliError (exit 2) if any exists. */
export async function keygen(options: KeygenOptions): Promise<KeygenFiles> {
  if (!NAME_PATTERN.test(options.name)) {
    throw new CliError(`name ${JSON.stringify(options.name)} must be letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (!isCurve(options.curve)) throw new CliError(`unknown curve ${JSON.stringify(options.curve)}: use p384 or p256`);
  const files: KeygenFiles = {
    privateKey: join(options.dir, `${options.name}_privk.pem`),
    certificate: join(options.dir, `${options.name}_cert.pem`),
    ...(options.encryption
      ? {
          encryptionPrivateKey: join(options.dir, `${options.name}_enc_privk.pem`),
          encryptionPublicKey: join(options.dir, `${options.name}_enc_pubk.pem`),
        }
      : {}),
  };
  const existing = Object.values(files).filter((path) => existsSync(path));
  if (existing.length > 0) throw new CliError(`refusing to overwrite ${existing.join(', ')}`);
  if (!existsSync(options.dir)) throw new CliError(`directory ${options.dir} does not exist`);

  const keyPair = generateKeyPair(options.curve);
  // Loaded here, not at start-up: the other commands never issue certificates.
  const { createSelfSignedCertificate } = await import('../crypto/x509.js');
  const certificate = await createSelfSignedCertificate({
    subjectName: options.name,
    keyPair,
    validity: { notBefore: options.now, notAfter: new Date(options.now.getTime() + CERTIFICATE_VALIDITY_DAYS * DAY_MS) },
  });
  // 'wx' fails if the file appeared since the check above, so nothing is ever overwritten.
  await writeNew(files.privateKey, privateKeyToPem(keyPair.privateKey), PRIVATE_FILE_MODE);
  await writeNew(files.certificate, certificate);
  if (files.encryptionPrivateKey !== undefined && files.encryptionPublicKey !== undefined) {
    const encryption = generateEncryptionKeyPair();
    await writeNew(files.encryptionPrivateKey, privateKeyToPem(encryption.privateKey), PRIVATE_FILE_MODE);
    await writeNew(files.encryptionPublicKey, publicKeyToPem(encryption.publicKey));
  }
  return files;
}

async function writeNew(path: string, text: string, mode?: number): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx', ...(mode === undefined ? {} : { mode }) });
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

export function registerKeygenCommand(program: Command): void {
  program
    .command('keygen')
    .argument('<name>', 'the identity name: the certificate CN and the file name prefix')
    .option('--dir <dir>', 'directory to write the files to', '.')
    .addOption(new Option('--curve <curve>', 'EC curve of the signing key').choices(['p384', 'p256']).default(DEFAULT_CURVE))
    .option('--encryption', 'also write an RSA-OAEP key pair for recovery shares (NAME_enc_privk.pem, NAME_enc_pubk.pem)')
    .description('write NAME_privk.pem (mode 0600) and a self-signed NAME_cert.pem valid for one year')
    .action(async (name: string, options: { dir: string; curve: Curve; encryption?: boolean }) => {
      const files = await keygen({ name, dir: options.dir, curve: options.curve, encryption: options.encryption === true, now: new Date() });
      for (const path of Object.values(files)) console.log(path);
    });
}
