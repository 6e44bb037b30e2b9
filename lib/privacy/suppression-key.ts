import { createHash } from 'node:crypto';

/**
 * The key a suppression is kept under once the address itself must go (erasure): a SHA-256 digest of channel and
 * address, so the opt-out or bounce is still honoured if the address comes back, while the list no longer reads
 * as a list of addresses. Phone numbers are few enough to be guessed from a digest: this is pseudonymisation,
 * kept because forgetting an opt-out would be worse.
 */
export function suppressionDigest(channel: string, address: string): string {
  return `sha256:${createHash('sha256').update(`${channel}:${address.trim().toLowerCase()}`).digest('hex')}`;
}
