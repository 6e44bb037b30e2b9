import { z } from 'zod';
import { IANAZone } from 'luxon';
import { MEMBER_COLUMNS, ORDER_COLUMNS } from '../csv/headers.ts';

const ianaZone = z
  .string()
  .refine((tz) => IANAZone.isValidZone(tz), { message: 'expected an IANA time zone such as "Asia/Shanghai"' });

const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'expected an ISO 4217 currency code such as "CNY"' });

export const storeSchema = z.object({
  id: z.string().min(1).describe('Store id as it appears in the order export (store_id / 门店编号).'),
  name: z.string().optional(),
  region: z.string().optional().describe('Region used when an order row has none.'),
  timeZone: ianaZone.optional().describe('Time zone for order times without an offset at this store.'),
});

export const pointsSchema = z.object({
  /** Points per one major currency unit of net spend (1 = one point per yuan). */
  pointsPerUnit: z.number().nonnegative().default(1),
  /** Each calendar month's points form a lot; it expires at the end of the month this many months later. */
  lotExpiryMonths: z.number().int().min(1).max(120).default(12),
});

export const brandSchema = z.object({
  name: z.string().min(1).default('Demo Brand'),
  timeZone: ianaZone.default('Asia/Shanghai'),
  currency: currencyCode.default('CNY'),
  /** Region used to read phone numbers without a country code (ISO 3166 alpha-2). */
  phoneRegion: z.string().regex(/^[A-Z]{2}$/).default('CN'),
});

export const columnMappingSchema = z.object({
  orders: z.record(z.string(), z.enum(ORDER_COLUMNS)).default({}),
  members: z.record(z.string(), z.enum(MEMBER_COLUMNS)).default({}),
});

export const configSchema = z.object({
  $schema: z.string().optional(),
  brand: brandSchema.default(brandSchema.parse({})),
  stores: z.array(storeSchema).default([]),
  points: pointsSchema.default(pointsSchema.parse({})),
  /** Extra header spellings, e.g. {"orders": {"Bestellnummer": "order_id"}}. */
  columns: columnMappingSchema.default(columnMappingSchema.parse({})),
}).passthrough();

export type MomentsConfig = z.infer<typeof configSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;

export const defaultConfig: MomentsConfig = configSchema.parse({});

export function parseConfig(input: unknown): MomentsConfig {
  return configSchema.parse(input);
}
