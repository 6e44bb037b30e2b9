/**
 * The layering rules of the design card, checked over the source: only lib/adapters imports the AWS SDK, and
 * adapters never read process.env (one factory turns validated env into adapters).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT_SDK = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]@aws-sdk\/|import\(\s*['"]@aws-sdk\//;

describe('layering', () => {
  it('only lib/adapters imports @aws-sdk/* (functions and the rest of lib go through adapters)', () => {
    const offenders = [...tsFiles(join(ROOT, 'lib')), ...tsFiles(join(ROOT, 'functions'))]
      .map((f) => relative(ROOT, f))
      .filter((f) => !f.startsWith('lib/adapters/') && IMPORT_SDK.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
    // The check itself sees an import when there is one.
    expect(IMPORT_SDK.test("import { S3Client } from '@aws-sdk/client-s3';")).toBe(true);
  });

  it('adapters never read process.env', () => {
    const offenders = tsFiles(join(ROOT, 'lib/adapters'))
      .filter((f) => !f.endsWith('factory.ts') && /process\.env/.test(readFileSync(f, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });
});
