import type { Command } from 'commander';
import { touchExportRows } from '../../touches/touch.ts';
import { lineWriter, outPath, targetCheck, targetOf, withLocal, withRuntime } from '../cli-support.ts';
import { customerExportRow } from '../export-fields.ts';
import { localTouches } from '../local-touches.ts';

export function registerExport(program: Command): void {
  const exp = program.command('export').description('export derived data as JSON Lines');
  exp
    .command('customers')
    .description('one customer per line')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { out?: string }) => {
      if (o.out) outPath(o.out);
      let n = 0;
      await withRuntime(program, async (rt) => {
        const out = lineWriter(o.out);
        try {
          const snapshot = await rt.adapters.nightly.getSnapshot();
          const ctx = { model: await rt.adapters.nightly.getModel(), cutoffs: snapshot?.cutoffs, asOf: await rt.adapters.nightly.getCursor() };
          for await (const rec of rt.adapters.customers.scanCustomers()) {
            if (!rec.state) continue;
            await out.write(JSON.stringify(customerExportRow(rec, ctx)));
            n++;
          }
        } finally {
          await out.close();
        }
      });
      if (o.out) console.error(`${n} customers written to ${o.out}`);
    });

  exp
    .command('touches')
    .description('every touch decision, one per line: customerId, campaignId, moment, channel, status, reason, periodKey, plannedFor, sentAt, messageId')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { out?: string }) => {
      targetCheck(targetOf(program));
      if (o.out) outPath(o.out);
      await withLocal(async (rt) => {
        const local = localTouches(rt);
        const out = lineWriter(o.out);
        try {
          for await (const t of local.store.scan()) for (const row of touchExportRows(t)) await out.write(JSON.stringify(row));
        } finally {
          await out.close();
          local.close();
        }
      });
    });

  exp
    .command('snapshots')
    .description('brand health per closed night: rolling-year active customers and returning ratio, by store and region')
    .action(async () => {
      await withRuntime(program, async (rt) => {
        for (const s of await rt.adapters.nightly.listSnapshots()) console.log(JSON.stringify(s));
      });
    });
}
