/**
 * `npm run bench -- cost-model [--touches-per-customer N] [--sms-share S] [--sms-parts P] [--sms-price USD]
 * [--orders-per-file N]`: the monthly AWS cost per million orders ingested and per million customers, from the
 * figures measured in BENCHMARKS.md, list prices, and the assumptions named below. Nothing is run against a stack:
 * this is arithmetic, printed as a table on stderr and as ONE JSON line on stdout. README "Cost model" shows it.
 */
import type { Benchmark } from './run.ts';

/** List prices, us-east-1 unless said, USD, as found on 2026-11-28 (sources in README "Cost model"). */
export const PRICES = {
  dynamoWriteUnit: 0.625 / 1e6, // on-demand, per write request unit (since the 2024-11 price cut)
  dynamoReadUnit: 0.125 / 1e6, // on-demand, per read request unit
  dynamoStorageGbMonth: 0.25, // standard table class (not re-checked: marked as an assumption in the README)
  s3Put: 0.005 / 1000, // PUT, COPY, POST, LIST
  s3Get: 0.0004 / 1000, // GET, HEAD
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6, // standard queue, per 64 KB request
  stepFunctionsTransition: 0.025 / 1000, // standard workflow; the same in ap-northeast-1
  sesEmail: 0.1 / 1000,
  logsIngestGb: 0.5,
  customMetricMonth: 0.3,
  alarmMetricMonth: 0.1,
  dashboardMonth: 3,
  /** SMS price per message part to Japan (ap-northeast-1 sender, 2026-05 quote of the AWS price list), for comparison. */
  smsJapanPart: 0.07451,
};

/** What the benchmarks measured (BENCHMARKS.md), so every derived figure can be traced. */
export const MEASURED = {
  /**
   * store-cost (2026-11-28 00:37 UTC, after the derivation moved to the nightly): one orders file of 3 months, 3,000
   * customers, through dynalite: 7,389 items written (4,417 orders, 2,971 states, 1 ledger entry), 7,513 write units.
   */
  storeCost: { orders: 4417, customers: 3000, itemsWritten: 7389, writeUnits: 7513, readUnits: 3001, orderItemWriteUnits: 1 },
  /** store-cost before that move: state items carrying the derivation averaged 1,227 B, 2 write units each. */
  derivedStateItemWriteUnits: 2,
  /** cdnow-local (2026-11-28 04:35 UTC): 546 daily files through the local stack's S3 trigger (request counts at the servers). */
  cdnowLocal: { orders: 69659, files: 546, customers: 23570, statePuts: 67591, queries: 67591, getItems: 1638, seconds: 119.2 },
  /** ingest-cpu (2026-11-28 04:22 UTC): parse, validate, exact state in memory, 1M rows (no I/O). */
  ingestCpuRowsPerSecond: 258111,
  /** nightly-cost: one ordinary night of a 100,000-customer base. */
  nightlyCost: { customers: 100000, due: 1254, itemsRead: 1287, readUnits: 286.5, seconds: 2.2 },
};

/** Configured sizes (infra): ingest and nightly segment 1024 MB, send 256 MB. */
const MEMORY_GB = { ingest: 1, segment: 1, send: 0.25 };

export interface CostOptions {
  touchesPerCustomerMonth: number;
  smsShare: number;
  smsParts: number;
  /** Per message part to mainland China: an ASSUMPTION (the AWS price for +86 was not found in our sources). */
  smsPrice: number;
  ordersPerFile: number;
}

export const DEFAULTS: CostOptions = { touchesPerCustomerMonth: 1, smsShare: 0.5, smsParts: 1, smsPrice: 0.04, ordersPerFile: 5000 };

export interface Line {
  item: string;
  quantity: number;
  unit: string;
  usd: number;
  basis: 'measured' | 'assumption' | 'measured+assumption';
}

const line = (item: string, quantity: number, unit: string, price: number, basis: Line['basis']): Line => ({ item, quantity, unit, usd: quantity * price, basis });
const round = (n: number, d = 4) => Math.round(n * 10 ** d) / 10 ** d;

/** Per million orders ingested, as daily files (the cdnow-local shape: about one state write per order). */
export function perMillionOrders(o: CostOptions = DEFAULTS): Line[] {
  const c = MEASURED.cdnowLocal;
  const s = MEASURED.storeCost;
  const n = 1e6;
  const statesPerOrder = c.statePuts / c.orders;
  const files = n / o.ordersPerFile;
  const states = s.itemsWritten - s.orders - 1;
  const unitsPerState = (s.writeUnits - s.orders * s.orderItemWriteUnits - 1) / states;
  // Writes: each order item (1 unit), each customer's state once per file it is in (about 1 unit), a ledger entry a file.
  const writeUnits = n * s.orderItemWriteUnits + n * statesPerOrder * unitsPerState + files;
  // Reads: one consistent Query per customer per file (one unit while the partition is under 4 KB) and 2 GetItems
  // per file (the active configuration and the ledger; cdnow-local's 4 per file also counted the CLI's ledger read and
  // the model read the ingest no longer does).
  const readUnits = n * (c.queries / c.orders) + files * 2;
  const pessimisticSeconds = n / (c.orders / c.seconds);
  // The night after, each customer whose orders changed is derived again from its orders: one Query, and the state
  // item with the derivation (2 units as measured when the ingest still wrote it).
  const changed = n * statesPerOrder;
  return [
    line('DynamoDB ingest writes', writeUnits, 'WRU', PRICES.dynamoWriteUnit, 'measured'),
    line('DynamoDB ingest reads', readUnits, 'RRU', PRICES.dynamoReadUnit, 'measured'),
    line('DynamoDB nightly re-derivation writes (changed customers)', changed * MEASURED.derivedStateItemWriteUnits, 'WRU', PRICES.dynamoWriteUnit, 'measured+assumption'),
    line('DynamoDB nightly re-derivation reads', changed, 'RRU', PRICES.dynamoReadUnit, 'measured+assumption'),
    line('S3 PUT (upload, reject report)', files * 2, 'requests', PRICES.s3Put, 'measured+assumption'),
    line('S3 GET (ingest reads the file)', files, 'requests', PRICES.s3Get, 'measured+assumption'),
    // Upper bound: the local stack's rate, where the emulators shared the 2 cores with the ingest.
    line('Lambda ingest (1 GB) at the local rate', pessimisticSeconds * MEMORY_GB.ingest, 'GB-s', PRICES.lambdaArmGbSecond, 'measured'),
    line('Lambda ingest invocations', files, 'requests', PRICES.lambdaRequest, 'measured+assumption'),
    line('CloudWatch Logs (about 3 KB a file)', (files * 3) / 1024 / 1024, 'GB', PRICES.logsIngestGb, 'assumption'),
  ];
}

/** Per million customers per month: the nightly, the touches it plans and sends, and storage. */
export function perMillionCustomersMonth(o: CostOptions = DEFAULTS): Line[] {
  const m = MEASURED.nightlyCost;
  const scale = 1e6 / m.customers;
  const nights = 30.4;
  const due = m.due * scale * nights;
  const touches = 1e6 * o.touchesPerCustomerMonth;
  // Not measured: per touch, the planned touch item (2 units), the sending and sent updates (2 + 2), reads of the
  // touch, the profile and the suppression entry (1 each); SQS send, receive, delete in batches of ten.
  return [
    line('DynamoDB nightly reads', m.readUnits * scale * nights, 'RRU', PRICES.dynamoReadUnit, 'measured'),
    line('DynamoDB nightly state writes (due customers, 2 units)', due * 2, 'WRU', PRICES.dynamoWriteUnit, 'measured+assumption'),
    line('Lambda nightly segments (1 GB) at the local rate', m.seconds * scale * nights * MEMORY_GB.segment, 'GB-s', PRICES.lambdaArmGbSecond, 'measured'),
    line('Step Functions (about 70 transitions a night)', 70 * nights, 'transitions', PRICES.stepFunctionsTransition, 'assumption'),
    line('DynamoDB touch writes (6 units a touch)', touches * 6, 'WRU', PRICES.dynamoWriteUnit, 'assumption'),
    line('DynamoDB touch reads (3 units a touch)', touches * 3, 'RRU', PRICES.dynamoReadUnit, 'assumption'),
    line('SQS (send, receive, delete in tens)', touches * 0.3, 'requests', PRICES.sqsRequest, 'assumption'),
    line('Lambda send (0.25 GB, 0.1 s a touch)', touches * 0.1 * MEMORY_GB.send, 'GB-s', PRICES.lambdaArmGbSecond, 'assumption'),
    line('CloudWatch Logs (about 1 KB a touch)', touches / 1024 / 1024, 'GB', PRICES.logsIngestGb, 'assumption'),
    // Stored per customer: state 1.2 KB (measured), five orders of 357 B (measured size), profile 0.5 KB, 12 touches of 1 KB.
    line('DynamoDB storage', (1e6 * (1.2 + 5 * 0.357 + 0.5 + 12 * 1)) / 1024 / 1024, 'GB-month', PRICES.dynamoStorageGbMonth, 'measured+assumption'),
  ];
}

/** The providers' message fees for those touches: they dwarf everything else, so they are shown apart. */
export function messagesPerMillionCustomersMonth(o: CostOptions = DEFAULTS): Line[] {
  const touches = 1e6 * o.touchesPerCustomerMonth;
  const sms = touches * o.smsShare;
  return [
    line('SES email', touches - sms, 'emails', PRICES.sesEmail, 'assumption'),
    line(`SMS to mainland China (${o.smsParts} part each, price assumed)`, sms * o.smsParts, 'parts', o.smsPrice, 'assumption'),
  ];
}

/** What the stack costs whatever the volume: custom metrics, alarms, the dashboard, the send function's idle polling. */
export function fixedMonthly(): Line[] {
  return [
    line('custom metrics (31 EMF metrics)', 31, 'metric-months', PRICES.customMetricMonth, 'measured'),
    line('alarms (14; the ratio and state machine alarms read 2 or 3 metrics)', 18, 'alarm metrics', PRICES.alarmMetricMonth, 'measured'),
    line('dashboard', 1, 'dashboards', PRICES.dashboardMonth, 'measured'),
    // Lambda's SQS pollers long-poll the touch queue while it is empty: about 5 pollers × 3 requests a minute.
    line('SQS empty receives', 5 * 3 * 60 * 24 * 30.4, 'requests', PRICES.sqsRequest, 'assumption'),
  ];
}

const total = (lines: Line[]) => lines.reduce((s, l) => s + l.usd, 0);

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} expects a number >= 0, got "${args[i + 1]}"`);
  return v;
}

function print(title: string, lines: Line[]) {
  process.stderr.write(`\n${title}\n`);
  for (const l of lines)
    process.stderr.write(`  ${l.item.padEnd(66)} ${Math.round(l.quantity).toLocaleString('en-US').padStart(13)} ${l.unit.padEnd(13)} $${l.usd.toFixed(4).padStart(10)}  ${l.basis}\n`);
  process.stderr.write(`  ${'total'.padEnd(94)} $${total(lines).toFixed(2).padStart(10)}\n`);
}

export const run: Benchmark = async (args) => {
  const o: CostOptions = {
    touchesPerCustomerMonth: option(args, 'touches-per-customer', DEFAULTS.touchesPerCustomerMonth),
    smsShare: Math.min(1, option(args, 'sms-share', DEFAULTS.smsShare)),
    smsParts: option(args, 'sms-parts', DEFAULTS.smsParts),
    smsPrice: option(args, 'sms-price', DEFAULTS.smsPrice),
    ordersPerFile: Math.max(1, option(args, 'orders-per-file', DEFAULTS.ordersPerFile)),
  };
  const orders = perMillionOrders(o);
  const customers = perMillionCustomersMonth(o);
  const messages = messagesPerMillionCustomersMonth(o);
  const fixed = fixedMonthly();
  print('per million orders ingested (us-east-1)', orders);
  print(`per million customers per month, without message fees (${o.touchesPerCustomerMonth} touch each)`, customers);
  print(`message fees per million customers per month (${o.smsShare * 100}% of touches by SMS at $${o.smsPrice} a part)`, messages);
  print('fixed per month, whatever the volume', fixed);
  const byItem = (lines: Line[]) => Object.fromEntries(lines.map((l) => [l.item, round(l.usd)]));
  return {
    pricesAsOf: '2026-11-28',
    region: 'us-east-1',
    options: o,
    perMillionOrdersUsd: round(total(orders), 2),
    perMillionCustomersMonthUsd: round(total(customers), 2),
    messageFeesPerMillionCustomersMonthUsd: round(total(messages), 2),
    fixedMonthlyUsd: round(total(fixed), 2),
    perMillionOrders: byItem(orders),
    perMillionCustomersMonth: byItem(customers),
    messageFees: byItem(messages),
  };
};
