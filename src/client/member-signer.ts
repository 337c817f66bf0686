// A member's signing identity: it turns a governance request into the COSE Sign1 body
// the /gov endpoints take (docs/governance.md has the format; src/gov's
// signGovernanceRequest is the server's twin, and test/client/governance.test.ts
// checks that the server verifies what this signs). The SDK knows nothing of server
// internals, so the format's few constants are repeated here rather than imported.
//
// A service refuses a request it has seen, and "seen" means the same protected header
// and payload: two identical requests signed in the same second (two acks, the same
// proposal sent twice) would collide. The signer dates such a repeat one second later
// instead, within the service's allowed clock skew.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { certificateFingerprint, certificatePublicKey } from '../crypto/certificate.js';
import { coseSign1Sign, type CoseHeaderLabel } from '../crypto/cose-sign1.js';
import { sha256Hex } from '../crypto/hash.js';
import { keyCurve, privateKeyFromPem } from '../crypto/keys.js';

export type GovernanceMessageType = 'proposal' | 'ballot' | 'withdrawal' | 'ack' | 'state_digest';

export const HEADER_MESSAGE_TYPE = 'coco.gov.msg.type';
export const HEADER_CREATED_AT = 'coco.gov.msg.created_at';
export const HEADER_PROPOSAL_ID = 'coco.gov.msg.proposal_id';

/** How far ahead of the clock a repeated request may be dated (the service allows 60 s of skew). */
const REPEAT_SECONDS_AHEAD_MAX = 30;

export interface SignOptions {
  readonly type: GovernanceMessageType;
  /** The request body: proposal JSON, {"ballot": ...}, {"state_digest": ...}, or empty. */
  readonly payload: Uint8Array | string;
  /** For ballots and withdrawals: the proposal addressed. */
  readonly proposalId?: string;
}

export class MemberSigner {
  /** Seconds already used, per content digest, so a repeat is dated later (see above). */
  readonly #used = new Map<string, number>();

  private constructor(
    /** The member's id: hex SHA-256 of its certificate's DER (the kid of every request). */
    readonly memberId: string,
    /** The member's certificate, PEM. */
    readonly certificate: string,
    private readonly privateKey: KeyObject,
    private readonly now: () => Date,
  ) {}

  /**
   * Checks that the key is the certificate's (a mismatch would be refused by the service
   * as a bad signature, a confusing first error) and returns a signer.
   * Throws a TypeError naming what is wrong.
   */
  static fromPem(certificate: string, privateKey: string | KeyObject, options: { readonly now?: () => Date } = {}): MemberSigner {
    let memberId: string;
    try {
      memberId = certificateFingerprint(certificate);
    } catch (error) {
      throw new TypeError(`the member certificate is not a PEM certificate: ${(error as Error).message}`);
    }
    let key: KeyObject;
    try {
      key = typeof privateKey === 'string' ? privateKeyFromPem(privateKey) : privateKey;
    } catch (error) {
      throw new TypeError(`the member private key is not a PEM private key: ${(error as Error).message}`);
    }
    if (key.type !== 'private') throw new TypeError('the member private key is a public key');
    try {
      keyCurve(key);
    } catch (error) {
      throw new TypeError(`the member private key cannot sign governance requests: ${(error as Error).message}`);
    }
    if (!keyMatchesCertificate(key, certificate)) {
      throw new TypeError(`the member private key does not belong to the member certificate (member ${memberId})`);
    }
    return new MemberSigner(memberId, certificate, key, options.now ?? (() => new Date()));
  }

  /** The tagged COSE_Sign1 bytes of one governance request, dated now. */
  sign(options: SignOptions): Buffer {
    const payload = typeof options.payload === 'string' ? Buffer.from(options.payload, 'utf8') : Buffer.from(options.payload);
    const createdAtSeconds = this.#createdAt(options, payload);
    const headers = new Map<CoseHeaderLabel, unknown>([
      [HEADER_MESSAGE_TYPE, options.type],
      [HEADER_CREATED_AT, createdAtSeconds],
    ]);
    if (options.proposalId !== undefined) headers.set(HEADER_PROPOSAL_ID, options.proposalId);
    return coseSign1Sign({ privateKey: this.privateKey, kid: Buffer.from(this.memberId, 'ascii'), protectedHeaders: headers, payload });
  }

  #createdAt(options: SignOptions, payload: Buffer): number {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    if (!Number.isSafeInteger(nowSeconds) || nowSeconds < 0) throw new TypeError('the signer\'s clock gave an invalid time');
    for (const [key, seconds] of this.#used) if (seconds < nowSeconds) this.#used.delete(key);
    const content = sha256Hex(Buffer.from(`${options.type}\n${options.proposalId ?? ''}\n`), payload);
    const last = this.#used.get(content);
    const createdAt = last === undefined ? nowSeconds : last + 1;
    if (createdAt - nowSeconds > REPEAT_SECONDS_AHEAD_MAX) {
      throw new Error(`the same ${options.type} request was signed more than ${REPEAT_SECONDS_AHEAD_MAX} times in ${REPEAT_SECONDS_AHEAD_MAX} s; the service would refuse the repeats as replays`);
    }
    this.#used.set(content, createdAt);
    return createdAt;
  }
}

function keyMatchesCertificate(privateKey: KeyObject, certificate: string): boolean {
  const spki = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' });
  return spki(createPublicKey(privateKey)).equals(spki(certificatePublicKey(certificate)));
}
