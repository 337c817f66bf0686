// The host side of `coco.*` in the sandbox: the KV bridge (when the call has one) and
// pure certificate and hashing helpers the constitution needs to check and key its
// arguments (a member's id is the SHA-256 of its certificate). Nothing here reads a
// clock, the network or files, so governance code stays deterministic.
import { certificateFingerprint } from '../crypto/certificate.js';
import { sha256Utf8 } from '../crypto/hash.js';
import { publicKeyFromPem } from '../crypto/keys.js';
import { SandboxHostError, type SandboxHost } from './js-sandbox.js';
import type { SandboxKv } from './sandbox-kv.js';

const CERTIFICATE_LABEL = /-----BEGIN CERTIFICATE-----/g;
const PUBLIC_KEY_LABEL = /-----BEGIN PUBLIC KEY-----/g;

/** The host functions for one sandbox call; `kv` omitted, `coco.kv` refuses every call. */
export function governanceHost(kv: SandboxKv | undefined): SandboxHost {
  return {
    call(name: string, args: readonly unknown[]): unknown {
      if (name.startsWith('kv.')) {
        if (kv === undefined) throw new SandboxHostError(`coco.${name} is not available here`);
        return kvCall(kv, name, args);
      }
      switch (name) {
        case 'crypto.certificateId':
          return certificateId(args[0]);
        case 'crypto.isCertificate':
          return isCertificate(args[0]);
        case 'crypto.publicKeyKind':
          return publicKeyKind(args[0]);
        case 'crypto.sha256Hex':
          if (typeof args[0] !== 'string') throw new SandboxHostError('coco.crypto.sha256Hex takes a string');
          return sha256Utf8(args[0]).toString('hex');
        default:
          throw new SandboxHostError(`coco.${name} does not exist`);
      }
    },
  };
}

function kvCall(kv: SandboxKv, name: string, args: readonly unknown[]): unknown {
  switch (name) {
    case 'kv.get':
      return kv.get(args[0], args[1]);
    case 'kv.has':
      return kv.has(args[0], args[1]);
    case 'kv.set':
      return kv.set(args[0], args[1], args[2]);
    case 'kv.delete':
      return kv.delete(args[0], args[1]);
    case 'kv.keys':
      return kv.keys(args[0]);
    case 'kv.entries':
      return kv.entries(args[0]);
    default:
      throw new SandboxHostError(`coco.${name} does not exist`);
  }
}

/** Exactly one PEM certificate that parses: a bundle would make "the" certificate ambiguous. */
function isCertificate(pem: unknown): boolean {
  if (typeof pem !== 'string' || (pem.match(CERTIFICATE_LABEL) ?? []).length !== 1) return false;
  try {
    certificateFingerprint(pem);
    return true;
  } catch {
    return false;
  }
}

/** The id of a member or user: hex SHA-256 of its certificate's DER. */
function certificateId(pem: unknown): string {
  if (!isCertificate(pem)) throw new SandboxHostError('not a single PEM certificate');
  return certificateFingerprint(pem as string);
}

/** 'rsa', 'ec', ... for one PEM SubjectPublicKeyInfo ("PUBLIC KEY"); null for anything else. */
function publicKeyKind(pem: unknown): string | null {
  if (typeof pem !== 'string' || (pem.match(PUBLIC_KEY_LABEL) ?? []).length !== 1 || pem.includes('-----BEGIN CERTIFICATE-----')) return null;
  try {
    return publicKeyFromPem(pem).asymmetricKeyType ?? null;
  } catch {
    return null;
  }
}
