import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keysOfUpload, S3_KEY_MAX_BYTES, S3RVER_LONGEST_SUFFIX, uploadNameProblem } from '../../lib/ingest/upload-keys.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome('moments-keys-');
afterAll(() => t.cleanup());

/** A name of exactly `n` UTF-8 bytes, with `char` (1 or 3 bytes) repeated in the middle. */
function nameOf(n: number, char = 'a'): string {
  const fixed = 'orders-2026-03-05-';
  const room = n - fixed.length - '.csv'.length;
  const w = Buffer.byteLength(char);
  return fixed + char.repeat(Math.floor(room / w)) + 'x'.repeat(room % w) + '.csv';
}

/**
 * Whether the local stand-in could store every key the ingest writes for the upload: each key made as s3rver
 * makes it on this machine's filesystem (folders for the segments, the last one a file with s3rver's longest
 * suffix). The filesystem is the oracle, not the arithmetic under test.
 */
function storable(key: string, root: string): boolean {
  try {
    for (const k of keysOfUpload(key)) {
      const file = join(root, k + S3RVER_LONGEST_SUFFIX);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, '');
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return false;
    throw e;
  }
}

describe('file names the ingest can store', () => {
  it.each([
    ['ASCII', 'a'],
    ['Chinese (3 bytes a character)', '订'],
  ])('local stack, %s: the longest name accepted is storable, one byte more is refused up front', (_, char) => {
    let root = 0;
    let max = 0;
    for (let n = 150; n <= 255; n++) {
      const name = nameOf(n, char);
      const ok = uploadNameProblem(name, `incoming/orders/${name}`, 'local') === undefined;
      // What the check accepts, the filesystem stores; what it refuses at the limit, the filesystem refuses.
      expect(ok, `${n} bytes`).toBe(storable(`incoming/orders/${name}`, join(t.home, String(root++))));
      if (ok) max = n;
    }
    expect(max).toBe(207);
    expect(uploadNameProblem(nameOf(208, char), `incoming/orders/${nameOf(208, char)}`, 'local')).toMatch(
      /the file name is 208 bytes \(UTF-8\); the local stack takes file names of at most 207 bytes .*255 bytes.*S3 itself allows keys of 1024 bytes/,
    );
  });

  it('AWS: every key the ingest writes stays within 1024 bytes; a longer name is refused naming the room left', () => {
    let max = 0;
    for (let n = 900; n <= 1024; n++) {
      const name = nameOf(n);
      const key = `incoming/members/${name}`;
      const fits = keysOfUpload(key).every((k) => Buffer.byteLength(k) <= S3_KEY_MAX_BYTES);
      expect(uploadNameProblem(name, key, 'aws') === undefined, `${n} bytes`).toBe(fits);
      if (fits) max = n;
    }
    expect(max).toBeGreaterThan(900);
    expect(uploadNameProblem(nameOf(max + 1), `incoming/members/${nameOf(max + 1)}`, 'aws')).toContain(
      `S3 keys are at most 1024 bytes, which leaves ${max} bytes for the file name`,
    );
  });

  it('the keys include the longest the ingest writes: a split part quarantined, with its reason', () => {
    const keys = keysOfUpload('incoming/orders/o.csv');
    expect(keys).toContain('quarantine/o.csv.part-99999.csv.reason.txt');
    expect(keys).toContain('rejected/o.csv.errors.csv');
  });
});
