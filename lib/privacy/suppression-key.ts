import { createHash } from 'node:crypto';

/**
 * The key a suppression is kept under: a SHA-256 digest of channel and address, so an opt-out or bounce is honoured
 * whenever the address comes back (after an erasure too) while the list does not read as a list of addresses.
 * Phone numbers are few enough to be guessed from a digest: this is pseudonymisation, kept because forgetting an
 * opt-out would be worse.
 */
export function suppressionDigest(channel: string, address: string): string {
  return `sha256:${createHash('sha256').update(`${channel}:${address.trim().toLowerCase()}`).digest('hex')}`;
}
