import type { Command } from 'commander';
import { formatMinor } from '../../money.ts';
import { withRuntime } from '../cli-support.ts';

export function registerCustomer(program: Command): void {
  program
    .command('customer')
    .description('one customer: state, profile and the orders behind it')
    .argument('<id>', 'customer id (leading zeros matter)')
    .action(async (id: string) => {
      await withRuntime(program, async (rt) => {
        const { state, orders } = await rt.adapters.customers.loadCustomer(id);
        const { profile } = await rt.adapters.customers.loadProfile(id);
        if (!state && !profile) {
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
        console.log(JSON.stringify({ state: state ?? null, profile: profile ?? null, orders: shown }, null, 2));
      });
    });
}
