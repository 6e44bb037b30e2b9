import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatMinor } from '../../money.ts';
import { eraseCustomer, type ErasureResult } from '../../privacy/erase-customer.ts';
import { exportCustomer } from '../../privacy/export-customer.ts';
import type { AuditEntry } from '../../privacy/ports.ts';
import { outPath, withRuntime } from '../cli-support.ts';
import { defaultOperator, eraseDeps, exportDeps } from '../privacy-deps.ts';

export function registerCustomer(program: Command): void {
  const customer = program
    .command('customer')
    .description('one customer: state, profile and the orders behind it; personal-data requests (erase, export, audit)')
    .argument('<id>', 'customer id (leading zeros matter)')
    .action(async (id: string) => {
      await withRuntime(program, async (rt) => {
        const { state, orders } = await rt.adapters.customers.loadCustomer(id);
        const { profile, erased } = await rt.adapters.customers.loadProfile(id);
        if (!state && !profile && !erased) {
          console.error(`no customer ${id}`);
          process.exitCode = 1;
          return;
        }
        const shown = orders
          .sort((a, b) => a.orderedAt - b.orderedAt)
          .map((o) => ({
            orderId: o.orderId,
            kind: o.kind,
            status: o.status,
            orderedAt: new Date(o.orderedAt).toISOString(),
            localDate: o.localDate,
            amount: formatMinor(o.amountMinor, o.currency),
            currency: o.currency,
            storeId: o.storeId ?? null,
            region: o.region ?? null,
            ...(o.originalOrderId ? { originalOrderId: o.originalOrderId } : {}),
            ...(o.pointsRedeemed ? { pointsRedeemed: o.pointsRedeemed } : {}),
          }));
        console.log(JSON.stringify({ state: state ?? null, profile: profile ?? null, ...(erased ? { erased } : {}), orders: shown }, null, 2));
      });
    });

  customer
    .command('erase')
    .description('erase the personal data of a customer (PIPL/GDPR): profile and contact points go, anonymous aggregates stay, no touch is ever sent again; audited')
    .argument('<id>', 'customer id')
    .option('--reason <text>', 'why (e.g. the ticket of the request); kept in the audit without the erased data')
    .option('--by <operator>', 'who asks for it (default: your login name)')
    .option('--json', 'the outcome as one JSON object')
    .action(async (id: string, o: { reason?: string; by?: string; json?: boolean }) => {
      await withRuntime(program, async (rt) => {
        const r = await eraseCustomer({ customerId: id, operator: o.by ?? defaultOperator(), reason: o.reason }, await eraseDeps(rt));
        if (o.json) console.log(JSON.stringify({ customerId: id, ...r }));
        else printErasure(id, r);
        if (r.outcome === 'not-found') process.exitCode = 1;
      });
    });

  customer
    .command('export')
    .description('everything held about a customer as one JSON document (profile and consent, state, tier/stage history, orders, touches, suppressions, audit); audited')
    .argument('<id>', 'customer id')
    .option('-o, --out <file>', 'write to a file (readable by you only) instead of stdout')
    .option('--reason <text>', 'why (e.g. the ticket of the request); kept in the audit')
    .option('--by <operator>', 'who asks for it (default: your login name)')
    .action(async (id: string, o: { out?: string; reason?: string; by?: string }) => {
      if (o.out) outPath(o.out);
      await withRuntime(program, async (rt) => {
        const r = await exportCustomer({ customerId: id, operator: o.by ?? defaultOperator(), reason: o.reason }, exportDeps(rt));
        if (!r.found) {
          console.error(`no customer ${id}: nothing is held under this id (the request is audited)`);
          process.exitCode = 1;
          return;
        }
        const text = JSON.stringify(r.document, null, 2) + '\n';
        if (!o.out) {
          process.stdout.write(text);
          return;
        }
        writeFileSync(o.out, text, { mode: 0o600 });
        const d = r.document;
        console.error(
          `${o.out}: everything held about ${id}: ${d.profile ? `${Object.keys(d.profile).length} profile fields` : d.erasure ? 'profile erased' : 'no profile'}, ` +
            `${d.orders.length} orders, ${d.touches.length} touches, ${d.suppressions.length} suppressions, ${d.audit.length} audit entries`,
        );
      });
    });

  customer
    .command('audit')
    .description("the personal-data requests (erase, export) recorded for a customer")
    .argument('<id>', 'customer id')
    .option('--json', 'one JSON object per entry')
    .action(async (id: string, o: { json?: boolean }) => {
      await withRuntime(program, async (rt) => {
        const entries = await rt.adapters.audit.list(id);
        if (o.json) for (const e of entries) console.log(JSON.stringify(e));
        else if (!entries.length) console.log(`no personal-data requests recorded for ${id}`);
        else for (const e of entries) console.log(auditLine(e));
      });
    });
}

function auditLine(e: AuditEntry): string {
  const counts = Object.entries(e.summary)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') || '-' : typeof v === 'object' && v ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${e.at} ${e.action} by ${e.operator}: ${e.outcome}${e.reason ? ` (${e.reason})` : ''}; ${counts} [${e.id}]`;
}

function printErasure(id: string, r: ErasureResult): void {
  const s = r.summary;
  if (r.outcome === 'not-found') {
    console.error(`no customer ${id}: nothing is held under this id, nothing erased (the request is audited)`);
    return;
  }
  const stopped = s.touchesStopped ? `, ${s.touchesStopped} waiting touches stopped` : '';
  if (r.outcome === 'already-erased') {
    console.log(`customer ${id}: personal data already erased on ${r.erasedAt?.slice(0, 10)}; nothing more to remove${stopped}`);
  } else {
    console.log(`customer ${id}: personal data erased`);
    console.log(`  removed: ${s.fieldsRemoved.length ? s.fieldsRemoved.join(', ') : 'no profile held'}${s.contactPointsRemoved.length ? `; contact points: ${s.contactPointsRemoved.join(', ')}` : ''}`);
    console.log(
      `  scrubbed: ${s.touchesScrubbed} touches${stopped}; ${s.suppressionsHashed} suppressions kept as a digest only` +
        (s.derivedRecomputed ? '; derived state recomputed without the profile' : ''),
    );
    console.log(`  kept (no personal data): ${s.kept.orders} orders${s.kept.state ? ', state, tier and stage' : ''}, ${s.kept.touches} touch decisions`);
    console.log('  no touch will be sent to this customer again; later member rows for this id are rejected');
  }
  console.log(`  audit: ${r.audit.action} ${r.audit.at} by ${r.audit.operator} [${r.audit.id}]`);
}
