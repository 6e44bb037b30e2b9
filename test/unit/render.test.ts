import { describe, expect, it } from 'vitest';
import {
  renderEmail,
  renderSms,
  sampleRenderContext,
  TemplateError,
  validateTemplate,
  type RenderContext,
} from '../../lib/touches/render.ts';
import { measureSms } from '../../lib/touches/sms-segments.ts';

const ctx = (locale: string, vars: Record<string, unknown> = {}): RenderContext => ({
  locale,
  timeZone: 'Asia/Shanghai',
  currency: 'CNY',
  brandName: '美妆品牌',
  unsubscribeUrl: 'https://crm.example.com/u/abc?c=spring&t=1',
  vars: { customer: { id: 'C1', name: '王小明', tier: '金卡' }, ...vars },
});
const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;
const HTML_URL = 'https://crm.example.com/u/abc?c=spring&amp;t=1';
const URL = 'https://crm.example.com/u/abc?c=spring&t=1';

describe('SMS segments', () => {
  // The template starts with a signature so no prefix is added and the length is exactly what is written.
  const zh = (n: number) => renderSms(`【美妆】${'好'.repeat(n - 4)}`, ctx('zh-CN'));

  it('Chinese text is UCS-2: 70 units in one message, 67 per part beyond', () => {
    expect(zh(70)).toMatchObject({ encoding: 'UCS-2', characters: 70, segments: 1 });
    expect(zh(71)).toMatchObject({ characters: 71, segments: 2 });
    expect(zh(134)).toMatchObject({ characters: 134, segments: 2 });
    expect(zh(135)).toMatchObject({ characters: 135, segments: 3 });
  });

  it('GSM-7: 160 septets in one message, 153 per part beyond', () => {
    const en = (n: number) => renderSms('a'.repeat(n), ctx('en'));
    expect(en(160)).toMatchObject({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(en(161)).toMatchObject({ characters: 161, segments: 2 });
    expect(en(306)).toMatchObject({ segments: 2 });
    expect(en(307)).toMatchObject({ segments: 3 });
  });

  it('GSM extension characters count two septets each', () => {
    const ext = '€[]{}^~|\\';
    expect(measureSms(ext)).toEqual({ encoding: 'GSM-7', characters: 18, segments: 1 });
    expect(measureSms('a'.repeat(158) + '€')).toMatchObject({ characters: 160, segments: 1 });
    expect(measureSms('a'.repeat(159) + '€')).toMatchObject({ characters: 161, segments: 2 });
    // GSM basic characters that look exotic stay one septet: £ ¥ é Ä ß and newline.
    expect(measureSms('£¥éÄß\n')).toEqual({ encoding: 'GSM-7', characters: 6, segments: 1 });
  });

  it('an escape sequence is never split across parts', () => {
    // 152 + 2 + 152 = 306 septets: ceil(306/153) would say 2, but "€" cannot straddle the boundary.
    expect(measureSms('a'.repeat(152) + '€' + 'a'.repeat(152))).toMatchObject({ characters: 306, segments: 3 });
  });

  it('one non-GSM character switches the whole message to UCS-2; emoji count 2 code units', () => {
    expect(measureSms('Hi 😀')).toEqual({ encoding: 'UCS-2', characters: 5, segments: 1 });
    expect(measureSms('a'.repeat(68) + '😀')).toMatchObject({ characters: 70, segments: 1 });
    expect(measureSms('a'.repeat(69) + '😀')).toMatchObject({ characters: 71, segments: 2 });
    // A surrogate pair is not split across parts either.
    expect(measureSms('a'.repeat(66) + '😀' + 'a'.repeat(66))).toMatchObject({ characters: 134, segments: 3 });
    expect(measureSms('Curly ’quote’')).toMatchObject({ encoding: 'UCS-2' });
  });

  it('empty text is zero segments', () => {
    expect(renderSms('  {% if false %}x{% endif %}\n', ctx('zh-CN'))).toEqual({ text: '', encoding: 'GSM-7', characters: 0, segments: 0 });
  });
});

describe('renderSms', () => {
  it('adds the 【brand】 signature for Chinese locales and counts it', () => {
    const sms = renderSms('{{ customer.name }}，您好', ctx('zh-CN'));
    expect(sms.text).toBe('【美妆品牌】王小明，您好');
    expect(sms.characters).toBe(12);
    expect(renderSms('您好', ctx('zh-TW')).text).toBe('【美妆品牌】您好');
  });

  it('keeps a signature the author wrote and adds none for other locales', () => {
    expect(renderSms('【小美】{{ customer.name }}，您好', ctx('zh-CN')).text).toBe('【小美】王小明，您好');
    expect(renderSms('Hi {{ customer.name }}', ctx('en')).text).toBe('Hi 王小明');
  });

  it('trims whitespace left by tags and appends nothing else; variables are not escaped', () => {
    const sms = renderSms('\n{% if true %}Hi <b>{{ customer.name }}</b> & co{% endif %}\n', ctx('en', { customer: { name: 'A&B' } }));
    expect(sms.text).toBe('Hi <b>A&B</b> & co');
  });

  it('renders each call with its own variables (parsed templates are cached by source)', () => {
    const src = 'Hi {{ customer.name }}';
    expect(renderSms(src, ctx('en', { customer: { name: 'Ann' } })).text).toBe('Hi Ann');
    expect(renderSms(src, ctx('en', { customer: { name: 'Bob' } })).text).toBe('Hi Bob');
  });

  it('is lenient about missing values at send time, strict about unknown filters', () => {
    expect(renderSms('Hi {{ customer.nickname }}!', ctx('en')).text).toBe('Hi !');
    expect(() => renderSms('{{ customer.name | shout }}', ctx('en'))).toThrow(TemplateError);
    expect(() => renderSms('{{ customer.name | shout }}', ctx('en'))).toThrow(/sms: unknown filter "shout"/);
  });
});

describe('renderEmail', () => {
  const tpl = {
    subject: '{{ customer.name }}，您的积分对账单',
    html: '<html><body><p>亲爱的 {{ customer.name }}</p></body></html>',
    text: '亲爱的 {{ customer.name }}',
  };

  it('HTML-escapes variables in the html part only', () => {
    const name = '<script>alert("x")</script>';
    const mail = renderEmail(tpl, ctx('zh-CN', { customer: { name } }));
    expect(mail.html).toContain('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).toContain(name);
    expect(mail.subject).toBe(`${name}，您的积分对账单`);
  });

  it('appends a Chinese unsubscribe footer to both parts, in HTML before </body>', () => {
    const mail = renderEmail(tpl, ctx('zh-CN'));
    expect(mail.html).toMatch(new RegExp(`<a href="${HTML_URL.replace(/[?.]/g, '\\$&')}">退订</a></p>\\n</body></html>$`));
    expect(mail.text).toContain(`退订：${URL}`);
    expect(mail.html).not.toContain('Unsubscribe');
  });

  it('appends an English footer for en', () => {
    const mail = renderEmail({ subject: 'Your statement', html: '<p>Hi</p>', text: 'Hi' }, ctx('en'));
    expect(mail.html).toContain(`<a href="${HTML_URL}">Unsubscribe</a>`);
    expect(mail.text).toBe(`Hi\n\nUnsubscribe: ${URL}\n`);
    expect(mail.html).not.toContain('退订');
  });

  it('does not duplicate the link when the template places {{ unsubscribe_url }}', () => {
    const placed = {
      subject: 'Statement',
      html: '<p>Hi</p><p><a href="{{ unsubscribe_url }}">Stop these emails</a></p>',
      text: 'Hi\nStop these emails: {{ unsubscribe_url }}',
    };
    const mail = renderEmail(placed, ctx('en'));
    expect(count(mail.html, HTML_URL)).toBe(1);
    expect(count(mail.text, URL)).toBe(1);
    expect(mail.html).not.toContain('Unsubscribe');
    expect(mail.text).not.toContain('Unsubscribe');
  });

  it('adds the footer to a part that does not place the link itself', () => {
    const mail = renderEmail({ subject: 's', html: '<a href="{{ unsubscribe_url }}">退订</a>', text: 'hi' }, ctx('zh-CN'));
    expect(count(mail.html, HTML_URL)).toBe(1);
    expect(mail.text).toContain(`退订：${URL}`);
    // Placed only in a branch that is not taken: the footer is still added.
    const hidden = renderEmail({ subject: 's', html: '{% if false %}{{ unsubscribe_url }}{% endif %}', text: 'x' }, ctx('zh-CN'));
    expect(count(hidden.html, HTML_URL)).toBe(1);
  });

  it('puts the subject on one line and refuses to render without an unsubscribe URL', () => {
    expect(renderEmail({ subject: 'a\n{{ customer.name }}\r\n', html: '', text: '' }, ctx('en')).subject).toBe('a 王小明');
    expect(() => renderEmail(tpl, { ...ctx('en'), unsubscribeUrl: ' ' })).toThrow(/unsubscribeUrl/);
  });
});

describe('filters', () => {
  const one = (src: string, locale: string, vars: Record<string, unknown> = {}) =>
    renderEmail({ subject: src, html: '', text: '' }, ctx(locale, vars)).subject;

  it('money formats minor units with the currency for the locale', () => {
    expect(one('{{ 12345 | money }}', 'zh-CN')).toBe('¥123.45');
    expect(one('{{ 12345 | money }}', 'en')).toBe('CN¥123.45');
    expect(one('{{ amount | money }}', 'zh-CN', { amount: 123456789 })).toBe('¥1,234,567.89');
    expect(one('{{ 5 | money }}', 'zh-CN')).toBe('¥0.05');
    expect(one('{{ 1200 | money: "JPY" }}', 'en')).toBe('¥1,200');
    expect(() => one('{{ "abc" | money }}', 'en')).toThrow(/money: expected a number/);
  });

  it('points uses the locale thousands separator', () => {
    expect(one('{{ 1234567 | points }}', 'zh-CN')).toBe('1,234,567');
    expect(one('{{ 1234567 | points }}', 'de')).toBe('1.234.567');
  });

  it('date_local writes calendar dates for the locale, without a zone shift', () => {
    expect(one('{{ "2026-03-31" | date_local }}', 'zh-CN')).toBe('2026年3月31日');
    expect(one('{{ "2026-03-31" | date_local }}', 'en')).toBe('31 March 2026');
    expect(one('{{ deadline | date_local }}', 'en-US', { deadline: '2026-01-05' })).toBe('January 5, 2026');
    // An instant is shown as its date in the context's zone (Asia/Shanghai, UTC+8).
    expect(one('{{ "2026-03-31T20:00:00Z" | date_local }}', 'zh-CN')).toBe('2026年4月1日');
    expect(() => one('{{ "2026-02-30" | date_local }}', 'en')).toThrow(/not a calendar date/);
  });

  it('filters leave a missing value empty', () => {
    expect(one('[{{ nothing | money }}{{ nothing | points }}{{ nothing | date_local }}]', 'en')).toBe('[]');
  });
});

describe('validateTemplate', () => {
  const good = {
    sms: '{{ customer.name }}，您的 {{ points.nextExpiry.points | points }} 积分将于 {{ points.nextExpiry.expiresOn | date_local }} 到期，请于 {{ deadline | date_local }} 前到{{ store.name }}兑换。',
    email: {
      subject: '{{ customer.name }}，您的积分对账单',
      html: '<p>余额 {{ points.balance | points }}</p>{% for lot in points.expiring %}<p>{{ lot.points }} {{ lot.expiresOn | date_local }}</p>{% endfor %}',
      text: '余额 {{ points.balance | points }}，{{ tier.name }} 复核日 {{ tier.reviewOn | date_local }} {{ campaign.id }}',
    },
  };

  it('accepts a correct template', () => {
    expect(validateTemplate(good, 'zh-CN')).toEqual([]);
    expect(validateTemplate({ sms: 'Hi {{ customer.name }}, {{ 100 | money }}' }, 'en')).toEqual([]);
  });

  it('catches a misspelt variable, with a suggestion', () => {
    const errors = validateTemplate({ sms: '{{ custmer.name }}，您好' }, 'zh-CN');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('sms: undefined variable "custmer"');
    expect(errors[0]).toContain('did you mean "customer"?');
    expect(validateTemplate({ sms: '{{ points.balanse }}' }, 'zh-CN')[0]).toContain('undefined variable "points.balanse"');
  });

  it('catches a typo in a branch the sample data does not take, and in a loop variable', () => {
    const branch = validateTemplate({ sms: '您好{% if customer.tier == "钻石" %}{{ custmer.name }}{% endif %}' }, 'zh-CN');
    expect(branch).toHaveLength(1);
    expect(branch[0]).toMatch(/^sms: undefined variable "custmer" \(line 1, col \d+\); did you mean "customer"\?$/);
    const loop = validateTemplate({ sms: '{% for lot in points.expiring %}{{ lot.pointz }}{% endfor %}' }, 'zh-CN');
    expect(loop).toHaveLength(1);
    expect(loop[0]).toMatch(/^sms: undefined variable "lot\.pointz"/);
  });

  it('names the email part that has the problem', () => {
    const errors = validateTemplate({ email: { ...good.email, subject: '{{ customer.nmae }}' } }, 'zh-CN');
    expect(errors).toEqual(['email.subject: undefined variable "customer.nmae" (line 1, col 4); did you mean "name"?']);
  });

  it('catches a syntax error and an unknown filter', () => {
    const syntax = validateTemplate({ sms: '您好 {% if customer.tier == "金卡" %}尊敬的会员' }, 'zh-CN');
    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatch(/^sms: .*not closed/);
    expect(validateTemplate({ sms: 'x' }, 'en')).toEqual([]);
    expect(validateTemplate({ sms: '{{ customer.name' }, 'en')[0]).toMatch(/^sms: .*not closed/);
    expect(validateTemplate({ sms: '{{ points.balance | point }}' }, 'en')[0]).toMatch(/^sms: unknown filter "point"/);
  });

  it('reports a filter applied to the wrong kind of value', () => {
    expect(validateTemplate({ sms: '{{ customer.name | money }}' }, 'en')[0]).toMatch(/^sms: money: expected a number/);
  });

  it('rejects an SMS longer than the allowed segments with the sample data', () => {
    const long = { sms: `{{ customer.name }}${'好'.repeat(200)}` };
    const errors = validateTemplate(long, 'zh-CN');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^sms: 4 segments \(\d+ UCS-2 characters with the sample data\), at most 3 allowed$/);
    expect(validateTemplate(long, 'zh-CN', { maxSmsSegments: 4 })).toEqual([]);
    expect(validateTemplate({ sms: '好'.repeat(60) }, 'zh-CN', { maxSmsSegments: 1, brandName: '品牌' })).toEqual([]);
    expect(validateTemplate({ sms: '好'.repeat(60) }, 'zh-CN', { maxSmsSegments: 1, brandName: '一个很长很长的品牌名' })).toHaveLength(1);
  });

  it('reports empty output, a template without channels and a bad locale', () => {
    expect(validateTemplate({ sms: '{% if false %}x{% endif %}' }, 'en')).toEqual(['sms: renders empty text']);
    expect(validateTemplate({}, 'en')).toEqual(['template has neither sms nor email']);
    expect(validateTemplate({ sms: 'x' }, 'not a locale')[0]).toMatch(/^locale: /);
  });

  it('accepts touch-specific variables supplied as extra sample data', () => {
    const tpl = { sms: '生日礼：{{ gift.name }}' };
    expect(validateTemplate(tpl, 'zh-CN')[0]).toContain('undefined variable "gift"');
    expect(validateTemplate(tpl, 'zh-CN', { vars: { gift: { name: '小样' } } })).toEqual([]);
  });

  it('the sample context renders a realistic statement', () => {
    const sms = renderSms(good.sms, sampleRenderContext('zh-CN'));
    expect(sms.text).toBe('【美妆品牌】王小明，您的 1,200 积分将于 2026年3月31日 到期，请于 2026年3月24日 前到上海静安嘉里中心店兑换。');
    expect(sms).toMatchObject({ encoding: 'UCS-2', segments: 1 });
  });
});
