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
