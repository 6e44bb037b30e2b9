import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { checkWholeNumber } from '../context.ts';

/** How long the data bucket keeps what it holds, in days (CDK context keys in moments-stack.ts). */
export interface DataRetention {
  /**
   * Days after upload a raw export under `incoming/` moves to S3 Standard-IA; 0 keeps it in
   * Standard. S3 allows the move from day 30 on, and bills at least 30 days of IA storage.
   */
  readonly incomingInfrequentAccessDays: number;
  /**
   * Days after upload a raw export under `incoming/` is deleted. The table is the source of truth
   * once a file is applied; the export is kept for audit and for re-ingesting by hand.
   */
  readonly incomingRetentionDays: number;
  /** Days reject reports and quarantined files (`rejected/`, `quarantine/`, `config/rejected/`) are kept. */
  readonly rejectedRetentionDays: number;
  /** Days nightly reports under `reports/` are kept. */
  readonly reportRetentionDays: number;
  /** Days an overwritten or deleted object's previous version is kept (the bucket is versioned). */
  readonly noncurrentVersionRetentionDays: number;
}

export const DATA_RETENTION_DEFAULTS: DataRetention = {
  incomingInfrequentAccessDays: 30,
  incomingRetentionDays: 365,
  rejectedRetentionDays: 90,
  reportRetentionDays: 365,
  noncurrentVersionRetentionDays: 90,
};

/** S3's earliest transition to Standard-IA, in days after creation. */
export const MIN_INFREQUENT_ACCESS_DAYS = 30;

/** Validates a retention setting; every error names the field and what is allowed. */
export function checkDataRetention(r: DataRetention): DataRetention {
  checkWholeNumber('incomingRetentionDays', r.incomingRetentionDays, 1);
  checkWholeNumber('rejectedRetentionDays', r.rejectedRetentionDays, 1);
  checkWholeNumber('reportRetentionDays', r.reportRetentionDays, 1);
  checkWholeNumber('noncurrentVersionRetentionDays', r.noncurrentVersionRetentionDays, 1);
  const ia = checkWholeNumber('incomingInfrequentAccessDays', r.incomingInfrequentAccessDays, 0);
  if (ia !== 0 && ia < MIN_INFREQUENT_ACCESS_DAYS) {
    throw new Error(`incomingInfrequentAccessDays must be 0 (no transition) or at least ${MIN_INFREQUENT_ACCESS_DAYS} (S3's minimum), got ${ia}`);
  }
  if (ia !== 0 && r.incomingRetentionDays <= ia) {
    throw new Error(
      `incomingRetentionDays (${r.incomingRetentionDays}) must be later than incomingInfrequentAccessDays (${ia}); set the latter to 0 for no transition`,
    );
  }
  return r;
}

/** The key prefixes each rule applies to. */
export interface DataPrefixes {
  /** Raw exports (`incoming/`). */
  readonly incoming: string;
  /** Reject reports and quarantined files. */
  readonly rejectReports: readonly string[];
  /** Nightly reports (`reports/`). */
  readonly reports: string;
}

/**
 * The data bucket's lifecycle rules. Objects under other prefixes (the active `config/campaigns.json`)
 * never expire; only their previous versions do. An expiration on a versioned bucket leaves a delete
 * marker and a noncurrent version: the noncurrent rule deletes the data, then the marker goes too.
 */
export function dataBucketLifecycleRules(retention: DataRetention, prefixes: DataPrefixes): s3.LifecycleRule[] {
  const r = checkDataRetention(retention);
  const days = (n: number) => Duration.days(n);
  return [
    {
      id: 'incoming-raw-exports',
      prefix: prefixes.incoming,
      ...(r.incomingInfrequentAccessDays > 0
        ? { transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: days(r.incomingInfrequentAccessDays) }] }
        : {}),
      expiration: days(r.incomingRetentionDays),
    },
    ...prefixes.rejectReports.map((prefix) => ({
      id: `expire-${prefix.replace(/\/$/, '').replace(/\//g, '-')}`,
      prefix,
      expiration: days(r.rejectedRetentionDays),
    })),
    { id: 'expire-reports', prefix: prefixes.reports, expiration: days(r.reportRetentionDays) },
    {
      id: 'expire-noncurrent-versions',
      noncurrentVersionExpiration: days(r.noncurrentVersionRetentionDays),
      expiredObjectDeleteMarker: true,
    },
    { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: days(7) },
  ];
}
