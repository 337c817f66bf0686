// The joining node's side: the attestation it sends with its join request. On `virtual`
// the node states its own measurement (measureCode); on a hardware platform the
// measurement comes from the hardware instead, and only the key binding is asked for.
import type { KeyObject } from 'node:crypto';
import type { Attestation, AttestationPlatform } from './attestation.js';
import { produceVirtualAttestation } from './virtual-platform.js';

/** An attestation binding `publicKey` to `measurement` (lowercase hex) on `platform`. */
export function produceAttestation(platform: AttestationPlatform, publicKey: KeyObject, measurement: string): Attestation {
  switch (platform) {
    case 'virtual':
      return produceVirtualAttestation(publicKey, measurement);
  }
}
