import type { FileSummary } from '../ingest/ports.ts';

/** An object in the data bucket, as a HEAD or a listing describes it. */
export interface StoredFile {
  key: string;
  etag: string;
  size: number;
  lastModified: Date;
  contentType?: string;
  /** User metadata (S3 lower-cases the names). */
  metadata: Record<string, string>;
}

/** What the runbook does to files in the bucket (S3 on AWS, s3rver locally). */
export interface BucketFiles {
  head(key: string): Promise<StoredFile | undefined>;
  list(prefix: string): AsyncIterable<StoredFile>;
  /** The object's text, at most `maxBytes` of it. */
  readText(key: string, maxBytes: number): Promise<string>;
  /**
   * Copies `from` to `to` (which may be `from` itself: a copy onto itself is a new upload of the same bytes, and
   * fires the bucket trigger again) with the given metadata; resolves to the new object's ETag.
   */
  copy(from: string, to: string, opts: { metadata: Record<string, string>; contentType?: string }): Promise<{ etag: string }>;
  remove(key: string): Promise<void>;
}

/** The ingest ledger seen from the runbook: every entry of one object key, whatever its ETag. */
export interface LedgerEntries {
  entries(key: string): Promise<FileSummary[]>;
  /** Removes every entry of the key; resolves to how many there were. */
  forget(key: string): Promise<number>;
}

/** One activation of a configuration, as the table keeps it. */
export interface ConfigActivation {
  version: string;
  activatedAt: string;
  /** The document as activated (parsed JSON; not re-validated: the schema may have moved on since). */
  document: unknown;
}

export interface ConfigHistory {
  /** Newest first. */
  history(limit?: number): Promise<ConfigActivation[]>;
  active(): Promise<{ version: string; activatedAt?: string }>;
}
