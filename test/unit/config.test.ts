import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigErrors } from '../../lib/config/errors.ts';
import { configJsonSchema } from '../../lib/config/json-schema.ts';
import { configSchema } from '../../lib/config/schema.ts';

const root = resolve(import.meta.dirname, '../..');

describe('configuration', () => {
  it('the shipped example is valid', () => {
    const r = configSchema.safeParse(JSON.parse(readFileSync(resolve(root, 'examples/campaigns.json'), 'utf8')));
    expect(r.success ? [] : formatConfigErrors(r.error)).toEqual([]);
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
