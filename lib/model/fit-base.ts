import type { CustomerRecord } from '../ingest/ports.ts';
import { fitBgNbd, rfmFromPurchaseDates, type BgNbdFit, type RfmObservation } from './bgnbd.ts';

/**
 * Fits BG/NBD on the customer base as it stood at `until`: each customer's distinct purchase days up to that
 * date (same-day orders are one purchase, as in the paper's data), time in weeks.
 */
export async function fitOnBase(customers: AsyncIterable<CustomerRecord>, until: string, unitDays = 7): Promise<BgNbdFit & { repeatCustomers: number }> {
  const data: RfmObservation[] = [];
  for await (const c of customers) {
    const obs = c.state && rfmFromPurchaseDates(c.state.purchaseDates, until, unitDays);
    if (obs) data.push(obs);
  }
  if (data.length === 0) throw new Error(`no customer has a purchase on or before ${until}`);
  return { ...fitBgNbd(data), repeatCustomers: data.filter((o) => o.x > 0).length };
}
