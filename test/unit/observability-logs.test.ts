import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeLogger } from '../../lib/observability/logger.ts';
import { redact, redactText } from '../../lib/observability/redact.ts';
import { captureOutput } from '../support/capture-output.ts';

const PII = ['王五', '张三', 'Lucy Brown', '+8613812345678', '13812345678', '138-1234-5678', '+86 139 0000 1111', '13900001111', 'wang.wu@example.cn', 'lucy@example.com', '88776655@qq.com', '1990-05-17', '上海市静安区南京西路1266号'];

/** An SDK error as SES throws it: its message names the address, it carries the SDK's own fields. */
class MessageRejected extends Error {
  override name = 'MessageRejected';
  $fault = 'client';
  $metadata = { httpStatusCode: 400, requestId: 'req-1' };
  Type = 'Sender';
}

describe('the logger removes personal data from everything it writes', () => {
  it('by key anywhere in nested objects and arrays, by value in any string, errors, causes and stacks included; ids and counts stay', async () => {
    const logger = makeLogger('send', 'debug');
    const profile = {
      customerId: 'C42',
      name: '王五',
      phone: '+8613812345678',
      birthday: '1990-05-17',
      fields: { email: { value: 'wang.wu@example.cn', ver: '1' } },
      rows: [{ 姓名: '张三', 手机号: '13900001111', 地址: '上海市静安区南京西路1266号', points: 1200 }],
      note: 'called 138-1234-5678, then +86 139 0000 1111; wrote to 88776655@qq.com',
      // An SNS or SQS message body: JSON in a string, whose keys count as well.
      body: JSON.stringify({ mail: { commonHeaders: { to: ['Lucy Brown <lucy@example.com>'] } } }),
    };
    const before = structuredClone(profile);
    const cause = new Error('SNS said no to 13812345678');
    const sesError = new MessageRejected(
      'Email address is not verified. The following identities failed the check in region US-EAST-1: wang.wu@example.cn',
      { cause },
    );
    const cyclic: Record<string, unknown> = { customerId: 'C43', mobile: '13812345678' };
    cyclic['self'] = cyclic;

    const lines = await captureOutput(() => {
      logger.debug('profile loaded', profile);
      logger.info('retrying 13812345678 for lucy@example.com');
      logger.warn('cyclic', { cyclic });
      logger.error('send failed', sesError);
      logger.error({ message: 'flat', PhoneNumber: '+8613812345678', ToAddresses: ['lucy@example.com'] });
    });
    expect(lines).toHaveLength(5);
    const all = lines.join('\n');
    for (const v of PII) expect(all).not.toContain(v);
    expect(profile).toEqual(before); // logging never changes what the caller goes on using

    const [p, retry, cyc, err, flat] = lines.map((l) => JSON.parse(l));
    expect(p).toMatchObject({
      level: 'DEBUG',
      service: 'send',
      customerId: 'C42',
      name: '[redacted]',
      phone: '[redacted]',
      birthday: '[redacted]',
      fields: { email: '[redacted]' },
      rows: [{ 姓名: '[redacted]', 手机号: '[redacted]', 地址: '[redacted]', points: 1200 }],
      note: 'called [phone], then [phone]; wrote to [email]',
    });
    expect(JSON.parse(p.body)).toEqual({ mail: { commonHeaders: { to: '[redacted]' } } });
    expect(retry.message).toBe('retrying [phone] for [email]');
    expect(cyc.cyclic).toEqual({ customerId: 'C43', mobile: '[redacted]', self: '[circular]' });
    expect(err).toMatchObject({
      level: 'ERROR',
      message: 'send failed',
      error: {
        name: 'MessageRejected',
        message: 'Email address is not verified. The following identities failed the check in region US-EAST-1: [email]',
        $metadata: { httpStatusCode: 400, requestId: 'req-1' },
        Type: 'Sender',
        cause: { name: 'Error', message: 'SNS said no to [phone]' },
      },
    });
    expect(err.error.stack).toContain('MessageRejected: Email address is not verified');
    expect(err.error.stack).toContain('[email]');
    expect(err.error.location).toMatch(/:\d+$/); // Powertools' code location is kept
    expect(flat).toMatchObject({ message: 'flat', PhoneNumber: '[redacted]', ToAddresses: '[redacted]' });
  });

  it('writes JSON lines at the configured level; silent writes nothing at all', async () => {
    const lines = await captureOutput(() => {
      const warn = makeLogger('ingest', 'warn');
      warn.debug('no');
      warn.info('no');
      warn.warn('yes');
      warn.error('yes too');
      const silent = makeLogger('ingest', 'silent');
      silent.error('never', new Error('a@b.c'));
      silent.warn('never');
    });
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['yes', 'yes too']);
  });
});

// Chinese mobile numbers as brands export them, and the international forms.
const mobile = fc
  .tuple(fc.constantFrom('13', '15', '17', '18', '19'), fc.integer({ min: 0, max: 999_999_999 }))
  .map(([p, n]) => `${p}${String(n).padStart(9, '0')}`);
const formatted = fc
  .tuple(mobile, fc.constantFrom('plain', 'spaced', 'dashed', 'e164', 'e164-spaced', 'intl-00', 'paren'))
  .map(([m, f]) => {
    const [a, b, c] = [m.slice(0, 3), m.slice(3, 7), m.slice(7)];
    const text = { plain: m, spaced: `${a} ${b} ${c}`, dashed: `${a}-${b}-${c}`, e164: `+86${m}`, 'e164-spaced': `+86 ${a} ${b} ${c}`, 'intl-00': `0086${m}`, paren: `(+86) ${a}-${b}-${c}` }[f];
    return { m, text };
  });
// Surrounding text without digits (digits next to a number make it another number).
const prose = fc.string({ unit: fc.constantFrom(...'abcXYZ 王五手机，。:;()[]"\'/_=-'.split('')), maxLength: 12 });
const email = fc
  .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/), fc.stringMatching(/^[a-z0-9-]{1,12}$/), fc.constantFrom('cn', 'com', 'com.cn', 'org'))
  .map(([l, d, tld]) => `${l}@${d}.${tld}`);

describe('redactText', () => {
  it('masks every mobile number format in any text', () => {
    fc.assert(
      fc.property(prose, formatted, prose, (before, { m, text }, after) => {
        const out = redactText(`${before}${text}${after}`);
        expect(out.replace(/\D/g, '')).not.toContain(m.slice(3));
        expect(out).toContain('[phone]');
      }),
    );
  });
  it('masks every email address in any text', () => {
    fc.assert(
      fc.property(prose, email, prose, (before, e, after) => {
        const out = redactText(`${before} ${e} ${after}`);
        expect(out).not.toContain(e);
        expect(out).not.toContain('@');
      }),
    );
  });
  it('leaves what operators need: dates, times with offsets, epoch milliseconds, amounts, ids, S3 keys, code paths', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), fc.integer({ min: 0, max: 10_000_000 }), (d, n) => {
        for (const s of [
          d.toISOString(),
          d.toISOString().slice(0, 10).replace(/-/g, ''),
          `${d.toISOString().slice(0, 19)}+08:00`,
          String(d.getTime()),
          `${(n / 100).toFixed(2)} CNY`,
          `incoming/orders/orders-${d.toISOString().slice(0, 10)}.csv.gz`,
          `C${String(n).padStart(7, '0')}|thanks-sms|${d.toISOString().slice(0, 10)}`,
        ])
          expect(redactText(s)).toBe(s);
      }),
    );
    const frame = 'at send (/var/task/node_modules/@aws-sdk/client-ses/dist-cjs/index.js:1234:56)';
    expect(redactText(frame)).toBe(frame);
  });
  it('masks landlines written with their area code', () => {
    expect(redactText('门店电话 021-68888888，(0571) 8888 8888')).toBe('门店电话 [phone]，[phone]');
    expect(redact({ tel: '021-68888888' })).toEqual({ tel: '[redacted]' });
  });
});
