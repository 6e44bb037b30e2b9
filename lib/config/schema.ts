import { z } from 'zod';
import { IANAZone } from 'luxon';
import { MEMBER_COLUMNS, ORDER_COLUMNS } from '../csv/headers.ts';

const ianaZone = z
  .string()
  .refine((tz) => IANAZone.isValidZone(tz), { message: 'expected an IANA time zone such as "Asia/Shanghai"' });

const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'expected an ISO 4217 currency code such as "CNY"' });

export const storeSchema = z.strictObject({
  id: z.string().min(1).describe('Store id as it appears in the order export (store_id / 门店编号).'),
  name: z.string().optional(),
  region: z.string().optional().describe('Region used when an order row has none.'),
  timeZone: ianaZone.optional().describe('Time zone for order times without an offset at this store.'),
});

export const pointsSchema = z.strictObject({
  pointsPerUnit: z.number().nonnegative().default(1).describe('Points per one major currency unit of net spend (1 = one point per yuan).'),
  lotExpiryMonths: z
    .number()
    .int()
    .min(1)
    .max(120)
    .default(12)
    .describe("Each calendar month's points form a lot that expires at the end of the month this many months later."),
});

export const brandSchema = z.strictObject({
  name: z.string().min(1).default('Demo Brand'),
  timeZone: ianaZone.default('Asia/Shanghai').describe('IANA time zone of the brand: calendar days, windows and the nightly run.'),
  currency: currencyCode.default('CNY').describe('Currency of spend, tiers and points; other currencies are kept apart.'),
  phoneRegion: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .default('CN')
    .describe('ISO 3166 region used to read phone numbers written without a country code.'),
});

export const columnMappingSchema = z.strictObject({
  orders: z.record(z.string(), z.enum(ORDER_COLUMNS)).default({}),
  members: z.record(z.string(), z.enum(MEMBER_COLUMNS)).default({}),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  brand: brandSchema.default(brandSchema.parse({})),
  stores: z.array(storeSchema).default([]),
  points: pointsSchema.default(pointsSchema.parse({})),
  columns: columnMappingSchema
    .default(columnMappingSchema.parse({}))
    .describe('Extra header spellings mapped to canonical columns, e.g. {"orders": {"Beleg-Nr": "order_id"}}.'),
});

export type MomentsConfig = z.infer<typeof configSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;

export const defaultConfig: MomentsConfig = configSchema.parse({});

export function parseConfig(input: unknown): MomentsConfig {
  return configSchema.parse(input);
}
