import type { MomentsConfig } from '../config/schema.ts';
import { renderEmail, renderSms } from './render.ts';
import type { TouchRecord } from './touch.ts';

export type RenderedTouch = { sms: string; segments: number } | { email: { subject: string; html: string; text: string } };

/** A touch's message as the customer receives it: its locale's template (zh-CN as fallback), its variables. */
export function renderTouch(t: TouchRecord, name: string | null, config: MomentsConfig): RenderedTouch | { error: string } {
  const campaign = config.campaigns.find((c) => c.id === t.campaignId);
  if (!campaign) return { error: `campaign ${t.campaignId} is no longer in the active configuration` };
  const channel = t.channel;
  if (!channel) return { error: 'no channel' };
  const locale = campaign.templates[t.locale] ? t.locale : 'zh-CN';
  const tpl = campaign.templates[locale]!;
  const ctx = {
    locale,
    timeZone: t.timeZone,
    currency: config.brand.currency,
    brandName: config.brand.name,
    unsubscribeUrl: config.contactPolicy.unsubscribeUrl.replace('{customerId}', encodeURIComponent(t.customerId)).replace('{channel}', channel),
    vars: { ...t.vars, customer: { ...(t.vars['customer'] as object), name } },
  };
  try {
    if (channel === 'sms') {
      if (!tpl.sms) return { error: `campaign ${campaign.id} has no SMS template for ${locale}` };
      const r = renderSms(tpl.sms, ctx);
      // Measured on the real text: a name or a value that passed its own checks can still make a message of many
      // billed parts (a 400-character name, seven), which no one meant to send.
      if (r.segments > campaign.maxSmsSegments)
        return {
          error: `SMS of ${r.segments} segments (${r.characters} ${r.encoding} characters), more than the campaign's maxSmsSegments ${campaign.maxSmsSegments}; not sent`,
        };
      return { sms: r.text, segments: r.segments };
    }
    if (!tpl.email) return { error: `campaign ${campaign.id} has no email template for ${locale}` };
    return { email: renderEmail(tpl.email, ctx) };
  } catch (e) {
    return { error: `template: ${(e as Error).message}` };
  }
}
