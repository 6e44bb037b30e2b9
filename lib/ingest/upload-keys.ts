import { quarantineKey, REASON_SUFFIX, rejectReportKey } from './file-meta.ts';
import { partKey, partQuarantineKey, partReportKey, planKey } from './part-meta.ts';

/** S3's own limit on an object key: 1024 bytes of UTF-8. */
export const S3_KEY_MAX_BYTES = 1024;
/**
 * The local stack's S3 stand-in (s3rver) keeps an object as files named after the key's last segment plus a
 * suffix of its own, the longest `._S3rver_metadata.json`; a file name has at most 255 bytes (ext4, APFS, NTFS),
 * and every folder segment of a key is a folder name, at most 255 bytes too.
 */
export const FILE_NAME_MAX_BYTES = 255;
export const S3RVER_LONGEST_SUFFIX = '._S3rver_metadata.json';

/** The longest S3 ETag (a multipart upload's: 32 hex digits, `-`, the part count) and the highest part number. */
const WORST_ETAG = `${'f'.repeat(32)}-10000`;
const WORST_PART = 99_999;

/**
 * Every key the ingest may write for an upload, at their longest: the upload itself, its reject report, its
 * quarantine copy and reason, and, should it be split, its parts, plan, part reports and a part's quarantine copy
 * and reason. Each holds the file name once, so each byte of the name lengthens each of them by one.
 */
export function keysOfUpload(key: string): string[] {
  const q = partQuarantineKey(key, WORST_PART);
  return [
    key,
    rejectReportKey(key),
    quarantineKey(key),
    quarantineKey(key) + REASON_SUFFIX,
    partKey(key, WORST_ETAG, WORST_PART),
    partReportKey(key, WORST_ETAG, WORST_PART),
    planKey(key, WORST_ETAG),
    q,
    q + REASON_SUFFIX,
  ];
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** By how many bytes `key` is too long for the target (0 or less: it fits). */
function overflow(key: string, target: 'local' | 'aws'): number {
  let over = bytes(key) - S3_KEY_MAX_BYTES;
  if (target === 'local') {
    const segments = key.split('/');
    segments.forEach((s, i) => {
      const file = i === segments.length - 1 ? s + S3RVER_LONGEST_SUFFIX : s;
      over = Math.max(over, bytes(file) - FILE_NAME_MAX_BYTES);
    });
  }
  return over;
}

/**
 * Why an upload of `name` under `key` cannot be stored whole on the target, before any work (undefined: it can).
 * On AWS the keys are held to S3's 1024 bytes; on the local stack also to s3rver's file-name limit, which is lower.
 */
export function uploadNameProblem(name: string, key: string, target: 'local' | 'aws'): string | undefined {
  const over = Math.max(...keysOfUpload(key).map((k) => overflow(k, target)));
  if (over <= 0) return undefined;
  const n = bytes(name);
  const limit =
    target === 'local'
      ? `the local stack takes file names of at most ${n - over} bytes (its S3 stand-in, s3rver, keeps each object as a file, and a file name has at most ${FILE_NAME_MAX_BYTES} bytes with the suffixes the ingest and s3rver add; S3 itself allows keys of ${S3_KEY_MAX_BYTES} bytes)`
      : `S3 keys are at most ${S3_KEY_MAX_BYTES} bytes, which leaves ${n - over} bytes for the file name in the keys the ingest writes for it`;
  return `${name}: the file name is ${n} bytes (UTF-8); ${limit}: rename the file`;
}
