import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moments } from '../support/cli.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome('moments-concurrent-');
afterAll(() => t.cleanup());

describe('two CLI processes on one MOMENTS_HOME', () => {
  it('started at the same instant: one runs, the other says the home is locked (exit 1, no stack trace)', async () => {
    const home = join(t.home, 'state');
    const file = join(t.home, 'orders-2026-03-05.csv');
    writeFileSync(file, 'order_id,customer_id,ordered_at,amount\nA1,00042,2026-03-05,100.00\n');
    // Before the lock, the second died on dynalite's "Database is closed", a stack trace and all.
    const both = await Promise.all([moments(['ingest', file], home), moments(['ingest', file], home)]);
    const codes = both.map((r) => r.code).sort();
    expect(codes, both.map((r) => r.err).join('\n')).toEqual([0, 1]);
    const locked = both.find((r) => r.code === 1)!;
    expect(locked.err).toMatch(new RegExp(`^error: MOMENTS_HOME ${home} is locked: another moments process \\(pid \\d+, since [^)]+\\) is using it`));
    expect(locked.err.trim().split('\n')).toHaveLength(1);
    for (const r of both) expect(r.err).not.toMatch(/Database is closed|^\s+at /m);
    expect(both.find((r) => r.code === 0)!.out).toContain('orders-2026-03-05.csv: 1 rows, 1 applied');
  });
});
