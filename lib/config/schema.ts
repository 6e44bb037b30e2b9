import { z } from 'zod';
import { IANAZone } from 'luxon';
import { MEMBER_COLUMNS, ORDER_COLUMNS } from '../csv/headers.ts';
import { DEFAULT_READ_LIMITS } from '../csv/limits.ts';
import { isKnownCurrency } from '../money.ts';
import { campaignSchema, contactPolicySchema } from './campaigns-schema.ts';
import { boundedRecord, safeKey } from './limits.ts';

const ianaZone = z
  .string()
  .refine((tz) => IANAZone.isValidZone(tz), { message: 'expected an IANA time zone such as "Asia/Shanghai"' });

// Known to the runtime, not only three capitals: "RMB" would pass a pattern and then reject every order row without
// a currency column (they are read in the brand currency).
const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'expected an ISO 4217 currency code such as "CNY"', abort: true })
  .refine(isKnownCurrency, { message: 'expected an ISO 4217 currency code known to the runtime, such as "CNY" (the yuan is "CNY", not "RMB")' });

export const storeSchema = z.strictObject({
  id: z.string().min(1).max(100).describe('Store id as it appears in the order export (store_id / 门店编号).'),
  name: z.string().max(200).optional(),
  region: z.string().max(100).optional().describe('Region used when an order row has none.'),
  timeZone: ianaZone.optional().describe('Time zone for order times without an offset at this store.'),
});

export const pointsSchema = z.strictObject({
  pointsPerUnit: z.number().nonnegative().max(10_000).default(1).describe('Points per one major currency unit of net spend (1 = one point per yuan).'),
  lotExpiryMonths: z
    .number()
    .int()
    .min(1)
    .max(120)
    .default(12)
    .describe("Each calendar month's points form a lot that expires at the end of the month this many months later."),
});

export const brandSchema = z.strictObject({
  name: z.string().min(1).max(200).default('Demo Brand'),
  timeZone: ianaZone.default('Asia/Shanghai').describe('IANA time zone of the brand: calendar days, windows and the nightly run.'),
  currency: currencyCode.default('CNY').describe('Currency of spend, tiers and points; other currencies are kept apart.'),
  phoneRegion: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .default('CN')
    .describe('ISO 3166 region used to read phone numbers written without a country code.'),
  anonymousCustomerIds: z
    .array(z.string().trim().min(1).max(100))
    .max(100)
    .default([])
    .describe(
      'Customer ids a POS books walk-in sales under (散客, "walk-in"): their order rows count as anonymous sales in the file summary, never as a customer; member rows under them are rejected.',
    ),
});

export const columnMappingSchema = z.strictObject({
  orders: boundedRecord(safeKey(200), z.enum(ORDER_COLUMNS), 200).default({}),
  members: boundedRecord(safeKey(200), z.enum(MEMBER_COLUMNS), 200).default({}),
});

const money = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => /^\d{1,12}(\.\d{1,6})?$/.test(v), { message: 'expected an amount such as "3000.00" (at most 12 digits before the point)' });

const threshold = z.number().min(-1e12).max(1e12).optional();
const metricCondition = z.strictObject({ gt: threshold, gte: threshold, lt: threshold, lte: threshold, eq: threshold });

export const METRICS = [
  'orderCount',
  'purchaseDays',
  'daysSinceLastOrder',
  'daysSinceFirstOrder',
  'purchaseDaysLast90',
  'purchaseDaysLast180',
  'purchaseDaysLast365',
  'netSpendLast365',
  'typicalIntervalDays',
  'recencyRatio',
  'lastGapDays',
  'pAlive',
] as const;
export type MetricName = (typeof METRICS)[number];

export const stageRuleSchema = z.strictObject({
  id: z.string().min(1).max(100).optional().describe('Name shown as the reason a customer is in a stage; defaults to the stage and position.'),
  stage: z.string().min(1).max(50),
  when: z
    .partialRecord(z.enum(METRICS), metricCondition)
    .default({})
    .describe('All conditions must hold; a metric a customer does not have yet (e.g. pAlive before a model fit) fails.'),
});

export const DEFAULT_STAGE_RULES: z.input<typeof stageRuleSchema>[] = [
  { id: 'no-orders', stage: 'prospect', when: { orderCount: { lte: 0 } } },
  { id: 'gone-a-year', stage: 'lapsed', when: { daysSinceLastOrder: { gte: 365 } } },
  { id: 'back-after-a-year', stage: 'reactivated', when: { lastGapDays: { gte: 365 }, daysSinceLastOrder: { lt: 90 } } },
  { id: 'overdue', stage: 'declining', when: { recencyRatio: { gte: 2.5 }, daysSinceLastOrder: { gte: 60 } } },
  { id: 'likely-gone', stage: 'declining', when: { pAlive: { lt: 0.3 } } },
  { id: 'single-purchase', stage: 'exploration', when: { purchaseDays: { lte: 1 } } },
  { id: 'growing', stage: 'formation', when: { purchaseDaysLast365: { lt: 4 } } },
  { id: 'regular', stage: 'stable', when: {} },
];

export const tiersSchema = z.strictObject({
  qualification: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('rolling'), months: z.number().int().min(1).max(60) }),
      z.strictObject({ type: z.literal('calendarYear') }),
    ])
    .default({ type: 'rolling', months: 12 })
    .describe('Net spend window a tier is earned over.'),
  ladder: z
    .array(z.strictObject({ name: z.string().min(1).max(50), minSpend: money }))
    .min(1)
    .max(20)
    .default([
      { name: 'member', minSpend: '0' },
      { name: 'silver', minSpend: '3000' },
      { name: 'gold', minSpend: '8000' },
      { name: 'black', minSpend: '20000' },
    ])
    .describe('Tiers from lowest to highest with the net spend (brand currency) that earns each.'),
  review: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('anniversary') }),
      z.strictObject({ type: z.literal('fixed'), monthDay: z.string().regex(/^\d{2}-\d{2}$/, { message: 'expected MM-DD' }) }),
    ])
    .default({ type: 'anniversary' })
    .describe('When a tier is reviewed: a year after it was reached, or a fixed day each year.'),
  graceDays: z.number().int().min(0).max(366).default(30).describe('Days after a failed review before the downgrade.'),
});

export const nightlySchema = z.strictObject({
  localTime: z.string().regex(/^\d{2}:\d{2}$/, { message: 'expected HH:MM' }).default('02:30').describe('Brand-local time the nightly runs.'),
  expiringSoonDays: z.number().int().min(1).max(365).default(30).describe('Points expiring within this many days count as expiring soon.'),
});

/** When the nightly fits the BG/NBD model behind pAlive by itself (lib/model/keep-model.ts). */
export const modelSchema = z.strictObject({
  autoFit: z.boolean().default(true).describe('Fit and refit BG/NBD in the nightly without anyone; false leaves it to `moments model fit --activate`.'),
  minRepeatCustomers: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(500)
    .describe('Fit only when the fitted customers include at least this many with a repeat purchase (as Klaviyo asks 500 buyers).'),
  minHistoryDays: z.number().int().min(1).max(3_650).default(180).describe('Fit only when the earliest first purchase is at least this many days before the night.'),
  refitDays: z.number().int().min(1).max(3_650).default(30).describe('Refit when the active model is this many days old (monthly by default).'),
  retryDays: z
    .number()
    .int()
    .min(1)
    .max(3_650)
    .default(7)
    .describe('After an attempt that activated no model (none yet, or a refit that failed), try again this many days later (each attempt reads the sample).'),
  sampleCustomers: z
    .number()
    .int()
    .min(1_000)
    .max(10_000_000)
    .default(50_000)
    .describe('Fit on a hash-partitioned random sample of about this many customers (parallel-scan segments); smaller bases are fitted whole.'),
  holdoutWeeks: z.number().int().min(1).max(156).default(13).describe('Calibration check: refit up to this many weeks before the night and compare predicted with actual repeat purchases since.'),
});

/** Bounds on one upload (lib/csv/limits.ts says why the defaults): past one the file is quarantined while it is read. */
export const ingestSchema = z.strictObject({
  maxDecompressedBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 ** 3)
    .default(DEFAULT_READ_LIMITS.maxDecompressedBytes)
    .describe('Bytes an upload may hold after gunzip (its size when not compressed); default 2 GiB, some 30 times a 1M-row export.'),
  maxFieldChars: z.number().int().min(100).max(64 * 1024 ** 2).default(DEFAULT_READ_LIMITS.maxFieldChars).describe('Characters one field may hold; default 1 Mi (a longer value than its column allows, lib/field-limits.ts, is only a rejected row).'),
  maxLineChars: z
    .number()
    .int()
    .min(100)
    .max(256 * 1024 ** 2)
    .default(DEFAULT_READ_LIMITS.maxLineChars)
    .describe('Characters one row may hold (a quoted field with line breaks makes one row of several lines); default 4 Mi.'),
});

export const valueSegmentsSchema = z.strictObject({
  diamond: z.number().min(0).max(1).default(0.02),
  core: z.number().min(0).max(1).default(0.18),
  potential: z.number().min(0).max(1).default(0.3),
});

export const configSchema = z.strictObject({
  $schema: z.string().max(2_000).optional(),
  brand: brandSchema.default(brandSchema.parse({})),
  stores: z.array(storeSchema).max(10_000).default([]),
  points: pointsSchema.default(pointsSchema.parse({})),
  tiers: tiersSchema.default(tiersSchema.parse({})),
  lifecycle: z
    .strictObject({ rules: z.array(stageRuleSchema).min(1).max(100).default(DEFAULT_STAGE_RULES.map((r) => stageRuleSchema.parse(r))) })
    .default({ rules: DEFAULT_STAGE_RULES.map((r) => stageRuleSchema.parse(r)) })
    .describe('Ordered rules; the first whose conditions all hold gives the stage.'),
  valueSegments: valueSegmentsSchema
    .default(valueSegmentsSchema.parse({}))
    .describe('Value pyramid shares by rank of trailing 365-day net spend; the rest is "base".'),
  nightly: nightlySchema.default(nightlySchema.parse({})),
  model: modelSchema.default(modelSchema.parse({})),
  contactPolicy: contactPolicySchema.default(contactPolicySchema.parse({})),
  results: z
    .strictObject({
      conversionDays: z.number().int().min(1).max(180).default(14).describe('A purchase within this many days after a touch counts as its conversion.'),
      pricePerSms: z.number().min(0).max(1_000).default(0.05).describe('Cost of one SMS, brand currency.'),
      pricePerEmail: z.number().min(0).max(1_000).default(0.001).describe('Cost of one email, brand currency.'),
    })
    .default({ conversionDays: 14, pricePerSms: 0.05, pricePerEmail: 0.001 })
    .describe('How campaign results are measured against the control group.'),
  campaigns: z
    .array(campaignSchema)
    .max(200)
    .default([])
    .refine((cs) => new Set(cs.map((c) => c.id)).size === cs.length, { message: 'campaign ids must be unique' })
    .describe('The moments to send; each one a campaign with its audience, channels, hold-out and templates.'),
  ingest: ingestSchema.default(ingestSchema.parse({})).describe('Bounds on one upload; past one it is quarantined (compression and field bombs).'),
  columns: columnMappingSchema
    .default(columnMappingSchema.parse({}))
    .describe('Extra header spellings mapped to canonical columns, e.g. {"orders": {"Beleg-Nr": "order_id"}}.'),
});

export type MomentsConfig = z.infer<typeof configSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;

export type ModelConfig = z.infer<typeof modelSchema>;
export const defaultConfig: MomentsConfig = configSchema.parse({});

export function parseConfig(input: unknown): MomentsConfig {
  return configSchema.parse(input);
}
