/** S3 event keys are URL-encoded with '+' for spaces (form encoding). */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
