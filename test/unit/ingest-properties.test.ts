import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../lib/config/schema.ts';
import { ingestObject, type IngestDeps } from '../../lib/ingest/ingest-file.ts';
import { MemoryCustomerStore, MemoryLedger, MemoryObjectStore } from '../../lib/testing/memory-ports.ts';
import { randomFiles, type TestFile } from '../support/random-files.ts';

const AS_OF = '2026-03-01';

function world() {
  const objects = new MemoryObjectStore();
  const customers = new MemoryCustomerStore();
  const ledger = new MemoryLedger();
  const deps: IngestDeps = { objects, customers, ledger, config: defaultConfig, asOf: AS_OF, concurrency: 4 };
  const run = async (f: TestFile) => {
    // Re-upload puts the body back (quarantine would have moved it; these files are all readable).
    await objects.put(f.key, f.body);
    return ingestObject({ key: f.key, etag: f.etag, lastModifiedMs: 0 }, deps);
  };
  const snapshot = () => ({
    states: Object.fromEntries([...customers.states].map(([id, s]) => [id, s.state]).sort()),
    orders: Object.fromEntries(
      [...customers.orders].map(([id, m]) => [id, Object.fromEntries([...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)))]).sort(),
    ),
  });
  return { objects, customers, ledger, deps, run, snapshot };
}

async function clean(files: TestFile[]) {
  const w = world();
  for (const f of files) await w.run(f);
  return w.snapshot();
}

describe('ingest is idempotent, order-independent and concurrency-safe (principle 2)', () => {
  it('random upload order with duplicated files and events gives the in-order state', async () => {
    await fc.assert(
      fc.asyncProperty(
        randomFiles.chain((files) =>
          fc.tuple(fc.constant(files), fc.shuffledSubarray([...files, ...files, ...files], { minLength: files.length })),
        ),
        async ([files, deliveries]) => {
          const expected = await clean(files);
          const w = world();
          w.customers.jitter = true;
          // Every file arrives at least once, in any order, some of them again.
          const order = [...fc.sample(fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }), 1)[0]!, ...deliveries];
          for (const f of order) await w.run(f);
          expect(w.snapshot()).toEqual(expected);
          // Order ids are brand-wide: no order id is stored under two customers.
          const holders = new Map<string, string[]>();
          for (const [c, m] of w.customers.orders) for (const o of m.values()) if (o.kind === 'order') holders.set(o.orderId, [...(holders.get(o.orderId) ?? []), c]);
          for (const [id, cs] of holders) expect(cs, id).toHaveLength(1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a crash at a random operation, then a retry, gives the clean state', async () => {
    await fc.assert(
      fc.asyncProperty(randomFiles, fc.integer({ min: 1, max: 80 }), fc.nat(), async (files, crashAt, which) => {
        const expected = await clean(files);
        const w = world();
        const victim = files[which % files.length]!;
        let ops = 0;
        let crashed = false;
        for (const f of files) {
          if (f === victim) {
            w.customers.beforeOp = () => {
              if (++ops === crashAt) {
                crashed = true;
                throw new Error('injected crash');
              }
            };
            await w.run(f).catch(() => undefined);
            w.customers.beforeOp = () => {};
            // Let in-flight writes of the dead invocation settle, as a real retry comes later.
            await new Promise((r) => setTimeout(r, 1));
            if (crashed) await w.run(f);
          } else await w.run(f);
        }
        expect(w.snapshot()).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('overlapping files processed at the same time give the clean state', async () => {
    await fc.assert(
      fc.asyncProperty(randomFiles, async (files) => {
        const expected = await clean(files);
        const w = world();
        w.customers.jitter = true;
        await Promise.all(files.map((f) => w.run(f)));
        expect(w.snapshot()).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('a duplicated event for a finished file does no work', async () => {
    const w = world();
    const [f] = fc.sample(randomFiles, { numRuns: 1, seed: 7 })[0]!;
    await w.run(f!);
    const writes = w.customers.writes;
    const again = await w.run(f!);
    expect(w.customers.writes).toBe(writes);
    expect(again.rows).toBeGreaterThan(0);
  });
});
