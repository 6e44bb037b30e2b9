/** Bounded concurrency for I/O: `run` waits while `limit` tasks are in flight; the first failure is rethrown, after the rest settled. */
export class Pool {
  private inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private failed = false;

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    if (this.failed) return this.fail();
    while (this.inFlight.size >= this.limit) {
      await Promise.race(this.inFlight);
      if (this.failed) return this.fail();
    }
    const p: Promise<void> = task()
      .catch((e: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.failure = e;
        }
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async drain(): Promise<void> {
    await this.settle();
    if (this.failed) throw this.failure;
  }

  /** Waits for every task still running; never throws (a failure is kept for `drain`). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  /**
   * Rethrows the first failure only once the other tasks have settled: a caller that gives up must not leave
   * writes landing after it returned, where a retry started at once could miss them.
   */
  private async fail(): Promise<never> {
    await this.settle();
    throw this.failure;
  }
}

export async function mapPool<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const pool = new Pool(limit);
  for (const item of items) await pool.run(() => fn(item));
  await pool.drain();
}

/**
 * `fn` over every item in `lanes` sequential lanes (at most `lanes` in flight), results in item order: one
 * promise per item and none for scheduling, for batches of thousands of small writes.
 */
export async function mapLanes<T, R>(items: readonly T[], lanes: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  return out;
}
