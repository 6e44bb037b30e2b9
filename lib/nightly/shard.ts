/** Fixed number of due-index shards: nightly segments, and no hot partition. Changing it needs a re-index. */
export const SHARDS = 16;

/** FNV-1a: a stable spread of customer ids over shards. */
export function shardOf(customerId: string, shards = SHARDS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    h ^= customerId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/**
 * The parallel-scan segment a customer falls in, for the in-memory stand-ins of a DynamoDB segment scan (which
 * hashes the partition key itself). A multiplicative remix of FNV so that segments are not aligned with shards.
 */
export function scanSegmentOf(customerId: string, totalSegments: number): number {
  const h = Math.imul(shardOf(customerId, 2 ** 32) ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  return Math.floor((h / 2 ** 32) * totalSegments);
}
