/**
 * Fuzzing the member reader: phones, emails, birthdays, locales, zones, consent and update times from garbage to
 * valid, in every encoding, through ingestObject and directly through parseMemberRow. Nothing throws; a row is
 * rejected only for its id (or a ragged tail), a bad value alone is rejected with its column; what is stored is
 * normalised.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../lib/config/schema.ts';
import { MEMBER_COLUMNS } from '../../lib/csv/headers.ts';
import { parseMemberRow } from '../../lib/members/parse-member-row.ts';
import { profileValues } from '../../lib/members/profile.ts';
import { buildFile, garbageCell, ingestBytes, wellFormed, wrapping } from '../support/fuzz-files.ts';

const KEY = 'incoming/members/members-2026-03-05.csv';
const HEADER = ['customer_id', 'name', 'phone', 'email', 'birthday', 'locale', 'time_zone', 'sms_opt_in', 'email_opt_in', 'updated_at'];

const goodId = fc.constantFrom('m1', 'm2', '会员003', 'A-4', 'x.y_z');
const phone = fc.oneof(
  fc.constantFrom('13812345678', '+86 138 1234 5678', '(+86) 139-0000-1111', '+1 415 555 2671', '', '110', '+99 1', '１３８１２３４５６７８'),
  garbageCell,
);
const email = fc.oneof(fc.constantFrom('Wang@Example.COM', 'a.b+c@mail.cn', '', 'bad@', '@x.cn', 'a@b'), fc.emailAddress(), garbageCell);
const birthday = fc.oneof(fc.constantFrom('1990-02-28', '19900228', '1990/2/3', '03-15', '02-30', '2026-13-01', '1899-12-31', ''), garbageCell);
const locale = fc.oneof(fc.constantFrom('zh-CN', 'en', 'zh_TW', 'xx-YY-ZZ-1', ''), garbageCell);
const zone = fc.oneof(fc.constantFrom('Asia/Shanghai', 'Europe/Paris', 'Mars/Olympus', 'UTC', ''), garbageCell);
const consent = fc.oneof(fc.constantFrom('1', '0', 'Y', 'n', 'TRUE', '是', '否', '退订', 'maybe', ''), garbageCell);
const updated = fc.oneof(fc.constantFrom('2026-03-01 10:00:00', '2026-03-01T10:00:00+08:00', '20260301', '2026-02-30', 'yesterday', ''), garbageCell);

const memberRow = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: goodId }, { weight: 1, arbitrary: garbageCell }), fc.oneof(fc.string({ maxLength: 8 }), garbageCell), phone, email, birthday, locale, zone, consent, consent, updated)
  .map((cells) => cells as string[]);

describe('fuzz: member files', () => {
  it('every row applied or rejected; a bad value is rejected alone with its column; stored values normalised', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(memberRow, { maxLength: 25 }), wrapping, async (rows, w) => {
        const file = buildFile(HEADER, rows, w);
        const { summary, report, ports } = await ingestBytes(KEY, file.bytes);
        expect(summary.status).toBe('processed');
        expect(summary.rows).toBe(rows.length);
        expect(summary.applied + summary.rejected).toBe(summary.rows);
        for (const e of report) expect(wellFormed(e, file.lastLine, MEMBER_COLUMNS), JSON.stringify(e)).toBe(true);
        const byLine = new Map<number, typeof report>();
        for (const e of report) byLine.set(e.line, [...(byLine.get(e.line) ?? []), e]);
        for (const l of byLine.keys()) expect(file.startLines).toContain(l);
        let fieldErrors = 0;
        rows.forEach((cells, i) => {
          const entries = byLine.get(file.startLines[i]!) ?? [];
          const rowRejected = entries.some((e) => e.column === 'customer_id' || e.column === '');
          // A known-good id is never the reason a row is rejected; a rejected row has exactly its one reason.
          if (['m1', 'm2', '会员003', 'A-4', 'x.y_z'].includes(cells[0]!)) expect(rowRejected, JSON.stringify(cells)).toBe(false);
          if (rowRejected) expect(entries).toHaveLength(1);
          else fieldErrors += entries.length;
        });
        expect(fieldErrors).toBe(summary.rejectedFields);
        expect([...byLine.values()].filter((es) => es.some((e) => e.column === 'customer_id' || e.column === '')).length).toBe(summary.rejected);
        for (const { profile } of ports.customers.profiles.values()) {
          const v = profileValues(profile);
          if (v.phone) expect(v.phone).toMatch(/^\+[1-9]\d{6,14}$/);
          if (v.email) expect(v.email).toBe(v.email.toLowerCase());
          if (v.email) expect(v.email).toMatch(/^[^@\s]+@[^@\s]+\.[^@\s]+$/);
          if (v.birthday) expect(v.birthday).toMatch(/^(\d{4}|-)-\d{2}-\d{2}$/);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('parseMemberRow on arbitrary cells, present or missing: never throws, every error names its line, column and reason', () => {
    const cell = fc.option(fc.oneof(garbageCell, fc.string({ unit: 'binary', maxLength: 40 })), { nil: undefined });
    fc.assert(
      fc.property(fc.tuple(...HEADER.map(() => cell)), fc.integer({ min: 2, max: 1_000_000 }), (cells, line) => {
        const row = Object.fromEntries(HEADER.map((h, i) => [h, cells[i]]).filter(([, v]) => v !== undefined));
        const { profile, errors } = parseMemberRow(row, { config: defaultConfig, defaultVersionMs: Date.parse('2026-03-05T16:00:00Z'), uploadMs: 0, line, file: 'm.csv' });
        for (const e of errors) {
          expect(e.line).toBe(line);
          expect(MEMBER_COLUMNS).toContain(e.column);
          expect(e.reason.length).toBeGreaterThan(5);
        }
        if (!profile) expect(errors.map((e) => e.column)).toEqual(['customer_id']);
        else expect(profile.customerId).toBe(String(row['customer_id']).trim());
      }),
      { numRuns: 2000 },
    );
  });
});
