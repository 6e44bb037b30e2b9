import { z } from 'zod';
import { boundedRecord, safeKey } from './limits.ts';

/** Moment identifiers, as they appear in the touch log. */
export const MOMENTS = ['statement', 'points-expiry', 'win-back', 'second-purchase', 'tier-change', 'birthday', 'post-purchase'] as const;
export type Moment = (typeof MOMENTS)[number];

export const CHANNELS = ['sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected a local time HH:MM' });

export const messageTemplateSchema = z.strictObject({
  sms: z.string().min(1).max(5_000).optional().describe('Liquid template of the SMS text.'),
  email: z
    .strictObject({
      subject: z.string().min(1).max(1_000),
      html: z.string().min(1).max(200_000),
      text: z.string().min(1).max(100_000),
    })
    .optional()
    .describe('Liquid templates of the email; an unsubscribe footer is added unless {{ unsubscribe_url }} is used.'),
});

const audienceSchema = z
  .strictObject({
    stages: z.array(z.string().min(1).max(50)).max(50).optional().describe('Only customers in one of these lifecycle stages.'),
    tiers: z.array(z.string().min(1).max(50)).max(50).optional().describe('Only customers in one of these tiers.'),
    valueSegments: z.array(z.enum(['diamond', 'core', 'potential', 'base'])).max(4).optional(),
    regions: z.array(z.string().min(1).max(100)).max(1_000).optional(),
    minPointsBalance: z.number().int().min(0).max(1e12).optional(),
  })
  .default({})
  .describe('Who the campaign is for; all given filters must hold.');

const common = {
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'expected a lower-case id of letters, digits and dashes' })
    .describe('Stable id: part of every touch key (customer + campaign + period).'),
  name: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
  priority: z.number().int().min(0).max(100).default(50).describe('When touches collide under the frequency cap, the higher goes first.'),
  channels: z
    .array(z.enum(CHANNELS))
    .min(1)
    .max(CHANNELS.length)
    .default(['sms', 'email'])
    .describe('Channels in order of preference; the first the customer has consented to and can be reached on is used.'),
  holdOut: z.number().min(0).max(0.9).default(0.1).describe('Share of the audience held out as the control group.'),
  usefulDays: z
    .number()
    .int()
    .min(0)
    .max(60)
    .default(3)
    .describe('Days after the planned time a deferred touch is still worth sending; later it is logged as expired.'),
  audience: audienceSchema,
  maxSmsSegments: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(2)
    .describe(
      'Most segments (GSM-7 160/153 characters, UCS-2 such as Chinese 70/67) one SMS may take, checked as each message is rendered; a longer one (a very long name, say) is not sent and is logged failed with the reason.',
    ),
  templates: boundedRecord(safeKey(35, 2), messageTemplateSchema, 50)
    .refine((t) => 'zh-CN' in t, { message: 'a zh-CN template is required (the default locale)' })
    .describe('Templates per locale (zh-CN required; en and others optional, zh-CN is the fallback).'),
};

/** A change (order, stage entry, upgrade) found by the night closing day S can reach the customer on S+1 at the earliest (lib/touches/moment-day.ts). */
const afterChangeDelay = (what: string) =>
  z
    .number()
    .int()
    .min(1, { message: `at least 1: the day of the ${what} is known once its night closes, so the next day is the earliest it can be delivered` })
    .max(30)
    .default(1)
    .describe(`Delivered this many days after the day of the ${what}; at least 1: that day is known once its night closes.`);

export const campaignSchema = z.discriminatedUnion('moment', [
  z.strictObject({
    ...common,
    moment: z.literal('statement'),
    dayOfMonth: z.number().int().min(1).max(28).default(1).describe('Day of the month statements are planned for.'),
    leadDays: z
      .number()
      .int()
      .min(0)
      .max(60)
      .default(7)
      .describe('A statement must reach the customer at least this many days before the earliest deadline it announces.'),
    horizonDays: z.number().int().min(1).max(366).default(90).describe('Lots expiring within this many days are listed.'),
  }),
  z.strictObject({
    ...common,
    moment: z.literal('points-expiry'),
    stepsDays: z.array(z.number().int().min(0).max(365)).min(1).max(10).default([30, 7]).describe('Days before a lot expires to remind.'),
  }),
  z.strictObject({
    ...common,
    moment: z.literal('win-back'),
    onStages: z.array(z.string().min(1).max(50)).max(50).default(['declining', 'lapsed']).describe('Sent when a customer enters one of these stages.'),
    delayDays: afterChangeDelay('stage entry'),
  }),
  z.strictObject({
    ...common,
    moment: z.literal('second-purchase'),
    fromDay: z.number().int().min(1).max(365).default(15),
    toDay: z.number().int().min(1).max(365).default(30),
  }),
  z.strictObject({
    ...common,
    moment: z.literal('tier-change'),
    upgrade: z.boolean().default(true).describe('Congratulate on an upgrade.'),
    downgradeWarningDays: z
      .number()
      .int()
      .min(0)
      .max(180)
      .nullable()
      .default(30)
      .describe('Warn this many days before a review the customer would fail; null: no warning.'),
    delayDays: afterChangeDelay('upgrade'),
  }),
  z.strictObject({
    ...common,
    moment: z.literal('birthday'),
    daysBefore: z.number().int().min(0).max(30).default(0),
  }),
  z.strictObject({
    ...common,
    moment: z.literal('post-purchase'),
    delayDays: afterChangeDelay('order'),
  }),
]);

export type Campaign = z.infer<typeof campaignSchema>;

export const contactPolicySchema = z.strictObject({
  quietHours: z
    .strictObject({ start: hhmm, end: hhmm })
    .default({ start: '21:00', end: '09:00' })
    .describe("No touch between start and end, in the customer's time zone (customer, else home store, else brand)."),
  sendAt: hhmm.default('10:00').describe('Local time touches planned for a day are sent at (if not in quiet hours).'),
  frequencyCap: z
    .strictObject({ maxTouches: z.number().int().min(1).max(50), windowDays: z.number().int().min(1).max(90) })
    .default({ maxTouches: 2, windowDays: 7 })
    .describe('At most this many touches per customer in any window of this many days, across all campaigns.'),
  sendRatePerSecond: z
    .strictObject({ sms: z.number().positive().max(1000), email: z.number().positive().max(1000) })
    .default({ sms: 20, email: 50 }),
  unsubscribeUrl: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .max(2_000)
    .default('https://example.com/unsubscribe?c={customerId}&ch={channel}')
    .describe('{customerId} and {channel} are replaced per message.'),
  emailFrom: z.email().max(254).default('no-reply@example.com'),
});
