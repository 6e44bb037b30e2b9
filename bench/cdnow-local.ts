/**
 * cdnow-local: the CDNOW master file (../shared/data/cdnow) as one orders CSV per day, through the local stack
 * exactly as `moments ingest` does it: openLocal (embedded dynalite + s3rver, the real ingest handler on the
 * bucket trigger), config activated with USD / UTC, then ingestFiles uploads each file and waits for the trigger.
 *
 * Requests: every HTTP request reaching dynalite or s3rver while the files are ingested, counted at the servers
 * through Node's built-in `http.server.request.start` diagnostics channel (no proxy, nothing patched). This covers
 * the handler's own clients (which the benchmark cannot reach) as well as ingestFiles' upload and ledger read.
 *
 * Skipped (still one JSON line, "skipped": true) when the data set is absent.
 * Output: {"orders","files","customers","seconds","requests", ...}
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestFiles } from '../lib/cli/ingest-files.ts';
import { openLocal, type LocalRuntime } from '../lib/cli/local-runtime.ts';
import { parseConfig } from '../lib/config/schema.ts';
import { CDNOW_DIR, hasCdnow, writeCdnowDailyFiles } from '../test/support/cdnow.ts';
import { countServerRequests, log, round } from './support.ts';

export async function run(): Promise<Record<string, unknown>> {
  if (!hasCdnow || !existsSync(CDNOW_DIR)) {
    log(`cdnow-local skipped: ${CDNOW_DIR}/CDNOW_master.txt is absent`);
    return { skipped: true, reason: `${CDNOW_DIR}/CDNOW_master.txt is absent` };
  }
  const tmp = mkdtempSync(join(tmpdir(), 'moments-bench-cdnow-'));
  const savedHome = process.env['MOMENTS_HOME'];
  let rt: LocalRuntime | undefined;
  try {
    const { files, rows } = writeCdnowDailyFiles(join(tmp, 'files'));
    log(`${rows} orders in ${files.length} daily files under ${tmp}/files`);
    process.env['MOMENTS_HOME'] = join(tmp, 'state');
    rt = await openLocal({ asOf: '1998-06-30' });
    await rt.adapters.config.activate(parseConfig({ brand: { name: 'CDNOW', timeZone: 'UTC', currency: 'USD', phoneRegion: 'US' } }), 'bench');

    const http = countServerRequests({ dynamodb: rt.stack.endpoints.dynamodb, s3: rt.stack.endpoints.s3 });
    const t0 = performance.now();
    let applied = 0;
    let rejected = 0;
    let done = 0;
    let customerTouches = 0;
    for (const f of files) {
      const [s] = await ingestFiles(rt, [f], { kind: 'orders' });
      if (!s || s.status !== 'processed') throw new Error(`${f}: ${s?.status} ${s?.reason ?? ''}`);
      applied += s.applied;
      rejected += s.rejected;
      customerTouches += s.customers;
      if (++done % 50 === 0) log(`  ${done}/${files.length} files, ${applied} orders, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const seconds = (performance.now() - t0) / 1000;
    http.stop();
    if (applied !== rows || rejected !== 0) throw new Error(`applied ${applied} of ${rows} rows, ${rejected} rejected`);

    let customers = 0;
    for await (const _ of rt.adapters.customers.scanStates()) customers++;
    const requests = (http.total['dynamodb'] ?? 0) + (http.total['s3'] ?? 0);
    log(`${applied} orders, ${customers} customers, ${files.length} files in ${seconds.toFixed(1)} s; ${requests} requests ${JSON.stringify(http.byOperation)}`);
    return {
      orders: applied,
      files: files.length,
      customers,
      seconds: round(seconds, 1),
      requests,
      ordersPerSec: Math.round(applied / seconds),
      dynamodbRequests: http.total['dynamodb'] ?? 0,
      s3Requests: http.total['s3'] ?? 0,
      byOperation: http.byOperation,
      customerRefreshes: customerTouches,
    };
  } finally {
    await rt?.close();
    if (savedHome === undefined) delete process.env['MOMENTS_HOME'];
    else process.env['MOMENTS_HOME'] = savedHome;
    rmSync(tmp, { recursive: true, force: true });
  }
}
