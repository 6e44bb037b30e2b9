import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MomentsConfig } from '../config/schema.ts';
import { exportDateFromName } from '../ingest/file-meta.ts';
import { runNightly } from '../nightly/run-nightly.ts';
import { addDays, endOfLocalDay } from '../time.ts';
import { nightRunTime } from '../touches/timing.ts';
import { ingestFiles } from './ingest-files.ts';
import type { LocalRuntime } from './local-runtime.ts';
import { localTouches } from './local-touches.ts';

export interface DayReport {
  date: string;
  files: number;
  rows: number;
  due: number;
  sent: number;
  other: Record<string, number>;
}

/** Order files of a folder by the export date in their names. */
export function filesByDate(dir: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const f of readdirSync(dir).sort()) {
    if (!/\.csv(\.gz)?$/i.test(f)) continue;
    const d = exportDateFromName(f);
    if (!d) continue;
    m.set(d, [...(m.get(d) ?? []), join(dir, f)]);
  }
  return m;
}

/**
 * Replays daily exports day by day on the local stack: that day's files are ingested (the stack's clock set to
 * the day), the night is closed (tiers, stages, snapshot, touches planned), and the touches due before the next
 * night are delivered to the local SES and SMS endpoints at their planned times.
 */
export async function simulate(
  rt: LocalRuntime,
  opts: { ordersDir: string; membersFile?: string; from: string; to: string; config: MomentsConfig; configVersion: string },
  onDay?: (r: DayReport) => void,
): Promise<DayReport[]> {
  const byDate = filesByDate(opts.ordersDir);
  const local = localTouches(rt);
  const out: DayReport[] = [];
  try {
    const model = await rt.adapters.nightly.getModel();
    let first = true;
    for (let d = opts.from; d <= opts.to; d = addDays(d, 1)) {
      // The ingest handler dates state by its own clock: set it to the simulated day.
      rt.setAsOf(d);
      const files = [...(first && opts.membersFile ? [opts.membersFile] : []), ...(byDate.get(d) ?? [])];
      first = false;
      const summaries = files.length ? await ingestFiles(rt, files) : [];
      const cutoffs = (await rt.adapters.nightly.getSnapshot())?.cutoffs;
      const [snap] = await runNightly(d, {
        customers: rt.adapters.customers,
        ledger: rt.adapters.nightly,
        config: opts.config,
        ...(model ? { model } : {}),
        touches: { ...local.planning(opts.configVersion, (night) => nightRunTime(night, opts.config)), cutoffs },
      });
      const until = endOfLocalDay(addDays(d, 1), opts.config.brand.timeZone);
      const r = await local.deliver(Math.min(until, nightRunTime(addDays(d, 1), opts.config).getTime() - 1), opts.config);
      const report = { date: d, files: files.length, rows: summaries.reduce((n, s) => n + s.rows, 0), due: snap?.customersProcessed ?? 0, sent: r.sent, other: r.other };
      onDay?.(report);
      out.push(report);
    }
  } finally {
    local.save();
    local.close();
  }
  return out;
}
