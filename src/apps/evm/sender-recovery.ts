// Recovering a signer's public key from an ECDSA signature, the costliest step of taking
// in a transaction. ethereumjs does it in pure JavaScript (@noble/curves), about 2 ms
// here; libsecp256k1 through the `secp256k1` package (the native binding ethereumjs
// itself used before v8, shipped with prebuilt binaries) does it in about 70 us. Where
// no prebuilt binary loads, the pure-JavaScript path is used, with a warning.
import { createRequire } from 'node:module';
import { calculateSigRecovery, ecrecover as nobleEcrecover, setLengthLeft } from '@ethereumjs/util';

interface NativeSecp256k1 {
  ecdsaRecover(signature: Uint8Array, recoveryId: number, message: Uint8Array, compressed: boolean): Uint8Array;
}

/** The ethereumjs `customCrypto.ecrecover` signature: the 64-byte uncompressed public key, without its 0x04 prefix. */
export type Ecrecover = (messageHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint) => Uint8Array;

function loadNative(): NativeSecp256k1 | undefined {
  try {
    // The binding alone: the package's main entry falls back to `elliptic` silently.
    return createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp256k1;
  } catch (error) {
    process.emitWarning(`native secp256k1 unavailable (${(error as Error).message}); recovering transaction senders in JavaScript, about 30 times slower`);
    return undefined;
  }
}

const native = loadNative();

/** Which implementation recovers senders, for the benchmark's report. */
export const senderRecoveryImplementation: 'libsecp256k1' | 'noble' = native === undefined ? 'noble' : 'libsecp256k1';

function nativeEcrecover(secp256k1: NativeSecp256k1): Ecrecover {
  return (messageHash, v, r, s, chainId) => {
    const recovery = calculateSigRecovery(v, chainId);
    if (recovery !== 0n && recovery !== 1n) throw new Error('Invalid signature v value');
    const signature = new Uint8Array(64);
    signature.set(setLengthLeft(r, 32), 0);
    signature.set(setLengthLeft(s, 32), 32);
    // Throws on a signature that recovers no point (r or s out of range, r not on the curve).
    return secp256k1.ecdsaRecover(signature, Number(recovery), messageHash, false).subarray(1);
  };
}

export const ecrecover: Ecrecover = native === undefined ? nobleEcrecover : nativeEcrecover(native);
