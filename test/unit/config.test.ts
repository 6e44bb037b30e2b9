import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigErrors } from '../../lib/config/errors.ts';
import { configJsonSchema } from '../../lib/config/json-schema.ts';
import { configSchema } from '../../lib/config/schema.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';

const root = resolve(import.meta.dirname, '../..');

describe('configuration', () => {
  it('the shipped example is valid, templates included', () => {
    expect(validateConfigJson(JSON.parse(readFileSync(resolve(root, 'examples/campaigns.json'), 'utf8'))).errors).toEqual([]);
  });
  it('a template typo or an over-long SMS is reported with its JSON path', () => {
    const json = JSON.parse(readFileSync(resolve(root, 'examples/campaigns.json'), 'utf8'));
    json.campaigns[1].templates['zh-CN'].sms = '您有{{ lott.points }}积分';
    json.campaigns[2].templates['zh-CN'].sms = '很长的短信'.repeat(60);
    const errors = validateConfigJson(json).errors;
    expect(errors.some((e) => e.startsWith('$.campaigns[1].templates.zh-CN: sms: undefined variable "lott"'))).toBe(true);
    expect(errors.some((e) => e.startsWith('$.campaigns[2].templates.zh-CN: sms:') && e.includes('segments'))).toBe(true);
  });
  it('the committed JSON Schema is the one generated from the runtime schema (npm run schema)', () => {
    const committed = JSON.parse(readFileSync(resolve(root, 'schema/campaigns.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
  it('errors name the JSON path and what is expected; unknown keys (typos) are errors', () => {
    const r = configSchema.safeParse({ brand: { currency: 'yuan' }, pointz: {}, stores: [{ id: 'S1', timeZone: 'Mars/Base' }], columns: { orders: { X: 'nope' } } });
    expect(r.success).toBe(false);
    const msgs = formatConfigErrors(r.error!);
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\$\.brand\.currency: expected an ISO 4217 currency code/),
        expect.stringMatching(/^\$: Unrecognized key: "pointz"/),
        expect.stringMatching(/^\$\.stores\[0\]\.timeZone: expected an IANA time zone/),
        expect.stringMatching(/^\$\.columns\.orders\.X: /),
      ]),
    );
  });
});
