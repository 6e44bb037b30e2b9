/**
 * A replayed or reprocessed file reaches the trigger as a copy, made now. Rows without `updated_at` in a file
 * without a date in its name are versioned by the time the file arrived (lib/ingest/file-meta.ts), so the copy
 * carries the original arrival time in this metadata and the ingest dates the rows by it: a replay cannot overtake
 * a later export of the same orders. (The time is the object's Last-Modified, whole seconds: at most a second
 * before the first run's event time, so the replayed versions lose to the stored ones and change nothing.)
 */
export const RECEIVED_AT_META = 'moments-received-at';

/** The arrival time a copy should carry: the one it already carries (a replay of a replay), else its upload time. */
export function receivedAtOf(file: { lastModified: Date; metadata: Record<string, string> }): string {
  const kept = file.metadata[RECEIVED_AT_META];
  return kept !== undefined && Number.isFinite(Date.parse(kept)) ? kept : file.lastModified.toISOString();
}

/** The time the ingest versions undated rows by: the carried arrival time when there is one, else the event's. */
export function arrivalMs(eventTime: string, metadata: Record<string, string> | undefined): number {
  const kept = metadata?.[RECEIVED_AT_META];
  const ms = kept === undefined ? NaN : Date.parse(kept);
  return Number.isFinite(ms) ? ms : Date.parse(eventTime);
}
