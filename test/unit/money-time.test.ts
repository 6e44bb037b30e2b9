import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatMinor, parseAmount } from '../../lib/money.ts';
import { addDays, endOfMonthPlus, localDate, parseTimestamp } from '../../lib/time.ts';

describe('money', () => {
  it('parses decimals to minor units without floating point', () => {
    expect(parseAmount('1,234.50', 'CNY')).toEqual({ minor: 123450 });
    expect(parseAmount('0.1', 'CNY')).toEqual({ minor: 10 });
    expect(parseAmount('-89', 'CNY')).toEqual({ minor: -8900 });
    expect(parseAmount('￥12.00', 'CNY')).toEqual({ minor: 1200 });
    expect(parseAmount('1200', 'JPY')).toEqual({ minor: 1200 });
    expect(parseAmount('12.5', 'JPY')).toEqual({ error: 'more than 0 decimals for JPY' });
    expect(parseAmount('12.500', 'CNY')).toEqual({ minor: 1250 });
    expect(parseAmount('abc', 'CNY')).toHaveProperty('error');
    expect(parseAmount('1.2.3', 'CNY')).toHaveProperty('error');
  });
  it('format is the inverse of parse', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.constantFrom('CNY', 'USD', 'JPY', 'KWD'), (minor, cur) => {
        expect(parseAmount(formatMinor(minor, cur), cur)).toEqual({ minor });
      }),
    );
  });
});

describe('time', () => {
  const SH = 'Asia/Shanghai';
  it('reads dates, date-times with and without offsets', () => {
    expect(parseTimestamp('2026-03-05', SH)).toMatchObject({ dateOnly: true, date: '2026-03-05' });
    expect(parseTimestamp('20260305', SH)).toMatchObject({ dateOnly: true, date: '2026-03-05' });
    expect(parseTimestamp('2026/3/5', SH)).toMatchObject({ dateOnly: true, date: '2026-03-05' });
    const local = parseTimestamp('2026-03-05 23:30:00', SH);
    expect(local).toMatchObject({ epochMs: Date.parse('2026-03-05T15:30:00Z'), dateOnly: false });
    const withOffset = parseTimestamp('2026-03-05T23:30:00-05:00', SH);
    expect(withOffset).toMatchObject({ epochMs: Date.parse('2026-03-06T04:30:00Z') });
    expect(parseTimestamp('2026-03-05T01:02:03Z', SH)).toMatchObject({ epochMs: Date.parse('2026-03-05T01:02:03Z') });
  });
  it('rejects impossible dates and times with a reason', () => {
    expect(parseTimestamp('2026-02-30', SH)).toEqual({ error: 'not a calendar date' });
    expect(parseTimestamp('2026-02-28 25:00', SH)).toEqual({ error: 'not a time of day' });
    expect(parseTimestamp('yesterday', SH)).toHaveProperty('error');
    expect(parseTimestamp('2026-03-08 02:30', 'America/New_York')).toHaveProperty('error');
  });
  it('gives the calendar day in the brand zone', () => {
    expect(localDate(Date.parse('2026-03-05T16:30:00Z'), SH)).toBe('2026-03-06');
    expect(localDate(Date.parse('2026-03-05T15:59:59Z'), SH)).toBe('2026-03-05');
    // Across a DST change the cached offsets must follow the zone's rules.
    expect(localDate(Date.parse('2026-03-08T04:30:00Z'), 'America/New_York')).toBe('2026-03-07');
    expect(localDate(Date.parse('2026-03-08T07:30:00Z'), 'America/New_York')).toBe('2026-03-08');
  });
  it('calendar helpers', () => {
    expect(endOfMonthPlus('2026-01', 12)).toBe('2027-01-31');
    expect(endOfMonthPlus('2027-01', 1)).toBe('2027-02-28');
    expect(endOfMonthPlus('2027-12', 2)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});

describe('calendar arithmetic', () => {
  it('addMonths clamps like a calendar, addDays and daysBetween agree with Date', async () => {
    const { addMonths, addDays, daysBetween } = await import('../../lib/time.ts');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-03-15', -12)).toBe('2025-03-15');
    expect(addMonths('2026-12-05', 1)).toBe('2027-01-05');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: -5000, max: 5000 }), (n, k) => {
        const d = new Date(n * 86_400_000).toISOString().slice(0, 10);
        const e = new Date((n + k) * 86_400_000).toISOString().slice(0, 10);
        expect(addDays(d, k)).toBe(e);
        expect(daysBetween(d, e)).toBe(k);
      }),
    );
  });
});
