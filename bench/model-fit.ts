/**
 * model-fit: the nightly's own BG/NBD fit (lib/model/keep-model.ts), its time and reads, and what fitting on a
 * sample instead of the whole base costs in accuracy.
 *
 *  - CDNOW master (23,570 customers, ../shared/data/cdnow; skipped without it), night 1998-06-30: the full fit
 *    (every one of the 64 parallel-scan segments) against sampled fits of about SAMPLES customers: parameters,
 *    the full base's log-likelihood at the sample's parameters vs at its own optimum, and pAlive / 90-day
 *    expected purchases of every customer under either model. Each sampled fit's segments are a hash partition
 *    of the ids (lib/nightly/shard.ts scanSegmentOf, as DynamoDB hashes the partition key).
 *  - the 1,000,000-customer load base (lib/testing/nightly-load.ts over lib/testing/nightly-memory-store.ts, as in
 *    load-nightly), its night 2026-06-30 with the default model config: state items read, seconds reading,
 *    seconds fitting (the fit and the holdout check's calibration fit). FULL=1 also fits the whole million.
 *
 * Reads are state items handed out by the segment scan; on DynamoDB a segment scan also passes the customer's
 * order items (same partition key), which costs capacity but returns nothing (nightly-cost measures item sizes).
 *
 *   npm run bench -- model-fit [SAMPLES=2000,5000,10000] [CUSTOMERS=1000000] [FULL=0]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, modelSchema } from '../lib/config/schema.ts';
import type { CustomerRecord } from '../lib/ingest/ports.ts';
import { expectedPurchases, fitBgNbd, logLikelihood, pAlive, rfmFromPurchaseDates, type BgNbdParams, type RfmObservation } from '../lib/model/bgnbd.ts';
import { keepModel, UNIT_DAYS, type ModelBase } from '../lib/model/keep-model.ts';
import { scanSegmentOf } from '../lib/nightly/shard.ts';
import type { CustomerState } from '../lib/state/customer-state.ts';
import { MemoryNightlyLedger } from '../lib/testing/memory-ports.ts';
import { LeanNightlyStore } from '../lib/testing/nightly-memory-store.ts';
import { NIGHT, seedNightlyBase } from '../lib/testing/nightly-load.ts';
import { log, round } from './support.ts';

const CDNOW_MASTER = join(import.meta.dirname, '../../shared/data/cdnow/CDNOW_master.txt');
const CDNOW_NIGHT = '1998-06-30';

function arg(args: string[], name: string, dflt: string): string {
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? dflt;
}

/** CDNOW master as records with purchase days only: what the fit reads of a state item. */
function cdnowBase(): { recs: CustomerRecord[]; base: ModelBase & { read: number } } {
  const days = new Map<string, Set<string>>();
  for (const line of readFileSync(CDNOW_MASTER, 'utf8').split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d{8}$/.test(f[1]!)) continue; // the header line
    const d = `${f[1]!.slice(0, 4)}-${f[1]!.slice(4, 6)}-${f[1]!.slice(6, 8)}`;
    let s = days.get(f[0]!);
    if (!s) days.set(f[0]!, (s = new Set()));
    s.add(d);
  }
  const recs: CustomerRecord[] = [...days].map(([id, s]) => ({ customerId: id, rev: 1, state: { customerId: id, purchaseDates: [...s].sort() } as unknown as CustomerState }));
  const bySegment = new Map<string, CustomerRecord[]>();
  const base = {
    read: 0,
    async *scanSegment(k: number, n: number) {
      const key = `${k}/${n}`;
      let list = bySegment.get(key);
      if (!list) bySegment.set(key, (list = recs.filter((r) => scanSegmentOf(r.customerId, n) === k)));
      for (const r of list) {
        this.read++;
        yield r;
      }
    },
  };
  return { recs, base };
}

async function cdnow(samples: number[]) {
  const { recs, base } = cdnowBase();
  const obs: RfmObservation[] = recs.map((r) => rfmFromPurchaseDates(r.state!.purchaseDates, CDNOW_NIGHT, UNIT_DAYS)!);
  const runs: Record<string, unknown>[] = [];
  let full: { params: BgNbdParams; ll: number } | undefined;
  // The full fit first: sampleCustomers above the base size reads every segment.
  for (const target of [Number.MAX_SAFE_INTEGER, ...samples]) {
    const ledger = new MemoryNightlyLedger();
    base.read = 0;
    const config = modelSchema.parse({ sampleCustomers: Math.min(target, 10_000_000) });
    const t0 = performance.now();
    const { model, record } = await keepModel(CDNOW_NIGHT, { base, ledger, config });
    const seconds = (performance.now() - t0) / 1000;
    if (!model || !record) throw new Error(`CDNOW: no model (${record?.reason ?? 'not due'})`);
    const p = model.params;
    const llOnFull = logLikelihood(p, obs);
    let maxDp = 0;
    let sumDp = 0;
    let sumDe = 0;
    let sumE = 0;
    let sumEFull = 0;
    if (full) {
      for (const o of obs) {
        const dp = Math.abs(pAlive(p, o) - pAlive(full.params, o));
        maxDp = Math.max(maxDp, dp);
        sumDp += dp;
        const e = expectedPurchases(p, o, 90 / UNIT_DAYS);
        const ef = expectedPurchases(full.params, o, 90 / UNIT_DAYS);
        sumDe += Math.abs(e - ef);
        sumE += e;
        sumEFull += ef;
      }
    } else full = { params: p, ll: llOnFull };
    const h = record.holdout;
    const run = {
      sampleCustomers: target === Number.MAX_SAFE_INTEGER ? 'all' : target,
      segments: record.sample.segments,
      customers: record.customers,
      itemsRead: base.read,
      readMs: record.readMs,
      fitMs: record.fitMs,
      seconds: round(seconds, 2),
      params: { r: round(p.r, 4), alpha: round(p.alpha, 4), a: round(p.a, 4), b: round(p.b, 4) },
      fullLogLikelihoodAtParams: round(llOnFull, 1),
      ...(runs.length
        ? {
            logLikelihoodLoss: round(full.ll - llOnFull, 2),
            pAliveMaxAbsDiff: round(maxDp, 4),
            pAliveMeanAbsDiff: round(sumDp / obs.length, 5),
            expected90dMeanAbsDiff: round(sumDe / obs.length, 5),
            expected90dTotalRatio: round(sumE / sumEFull, 4),
          }
        : {}),
      holdout: h ? { predicted: round(h.predicted, 1), actual: h.actual, customers: h.customers } : record.holdoutSkipped,
    };
    log(`CDNOW ${JSON.stringify(run)}`);
    runs.push(run);
  }
  return { customers: recs.length, night: CDNOW_NIGHT, runs };
}

async function loadBase(customers: number, fullFit: boolean) {
  const store = new LeanNightlyStore();
  const ledger = new MemoryNightlyLedger();
  log(`seeding ${customers} customers`);
  await seedNightlyBase(customers, defaultConfig, (s, extras) => store.saveState(s, 0, extras), ledger, { onProgress: (n) => log(`  ${n}`) });
  const before = store.itemsRead;
  const t0 = performance.now();
  const { model, record } = await keepModel(NIGHT, { base: store, ledger, config: defaultConfig.model });
  const seconds = (performance.now() - t0) / 1000;
  if (!record) throw new Error('load base: no fit attempt');
  const out: Record<string, unknown> = {
    customers,
    night: NIGHT,
    status: record.status,
    ...(record.reason ? { reason: record.reason } : {}),
    segments: record.sample.segments,
    sampled: record.customers,
    repeat: record.repeatCustomers,
    itemsRead: store.itemsRead - before,
    readMs: record.readMs,
    fitMs: record.fitMs,
    seconds: round(seconds, 2),
    ...(model ? { params: { r: round(model.params.r, 4), alpha: round(model.params.alpha, 4), a: round(model.params.a, 4), b: round(model.params.b, 4) } } : {}),
    ...(record.holdout ? { holdout: { predicted: round(record.holdout.predicted, 1), actual: record.holdout.actual } } : {}),
  };
  log(`load base ${JSON.stringify(out)}`);
  if (fullFit && model) {
    const all: RfmObservation[] = [];
    for (let k = 0; k < 64; k++) for await (const r of store.scanSegment(k, 64)) all.push(rfmFromPurchaseDates(r.state!.purchaseDates, NIGHT, UNIT_DAYS)!);
    const t1 = performance.now();
    const f = fitBgNbd(all);
    const fullSeconds = (performance.now() - t1) / 1000;
    out['fullFit'] = {
      seconds: round(fullSeconds, 1),
      params: { r: round(f.r, 4), alpha: round(f.alpha, 4), a: round(f.a, 4), b: round(f.b, 4) },
      logLikelihoodLoss: round(f.logLikelihood - logLikelihood(model.params, all), 2),
    };
    log(`full fit ${JSON.stringify(out['fullFit'])}`);
  }
  return out;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const samples = arg(args, 'SAMPLES', '2000,5000,10000').split(',').map(Number);
  const customers = Number(arg(args, 'CUSTOMERS', '1000000'));
  const fullFit = arg(args, 'FULL', '0') === '1';
  const out: Record<string, unknown> = { node: process.version };
  if (existsSync(CDNOW_MASTER)) out['cdnowMaster'] = await cdnow(samples);
  else log('CDNOW master not found: skipped');
  if (customers > 0) out['loadBase'] = await loadBase(customers, fullFit);
  return out;
}
