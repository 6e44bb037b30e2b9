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
  it("the SMS length with the sample data is checked against the campaign's maxSmsSegments (default 2)", () => {
    const json = JSON.parse(readFileSync(resolve(root, 'examples/campaigns.json'), 'utf8'));
    json.campaigns[2].templates['zh-CN'].sms = '很'.repeat(130);
    expect(validateConfigJson(json).errors).toEqual([expect.stringMatching(/^\$\.campaigns\[2\]\.templates\.zh-CN: sms: 3 segments \(\d+ UCS-2 characters with the sample data\), at most 2 allowed$/)]);
    json.campaigns[2].maxSmsSegments = 3;
    expect(validateConfigJson(json).errors).toEqual([]);
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

  describe('checks across fields: each a configuration that would validate and then break, an error at its JSON path', () => {
    const example = () => JSON.parse(readFileSync(resolve(root, 'examples/campaigns.json'), 'utf8'));
    const errorsOf = (edit: (j: any) => void) => {
      const j = example();
      edit(j);
      return validateConfigJson(j).errors;
    };
    it('brand.currency must be a code the runtime knows: "RMB" has the shape but would reject every order row without a currency', () => {
      expect(errorsOf((j) => (j.brand.currency = 'RMB'))).toEqual([expect.stringMatching(/^\$\.brand\.currency: expected an ISO 4217 currency code known to the runtime/)]);
      expect(errorsOf((j) => (j.brand.currency = 'JPY'))).toEqual([]);
    });
    it('a column mapping may not map a canonical column name to another canonical column', () => {
      expect(errorsOf((j) => (j.columns.orders.amount = 'customer_id'))).toEqual([
        expect.stringMatching(/^\$\.columns\.orders\.amount: "amount" is the canonical orders column "amount" and cannot be mapped to "customer_id"/),
      ]);
      // Written as headers are matched (case, spaces, dashes), and for members too; the identity mapping is harmless.
      expect(errorsOf((j) => (j.columns.members['Sms Opt-In'] = 'email_opt_in'))).toEqual([expect.stringMatching(/^\$\.columns\.members\["Sms Opt-In"\]: .*"sms_opt_in"/)]);
      expect(errorsOf((j) => (j.columns.orders.amount = 'amount'))).toEqual([]);
    });
    it('the tier ladder ascends, in amounts of the brand currency, with unique names', () => {
      expect(errorsOf((j) => (j.tiers.ladder[2].minSpend = '3000.00'))).toEqual([expect.stringMatching(/^\$\.tiers\.ladder\[2\]\.minSpend: 3000\.00 is not above the tier before it \(3000\)/)]);
      expect(errorsOf((j) => (j.tiers.ladder[1].minSpend = '3000.005'))).toEqual([expect.stringMatching(/^\$\.tiers\.ladder\[1\]\.minSpend: "3000\.005" is not an amount of CNY/)]);
      expect(errorsOf((j) => (j.tiers.ladder[2].name = j.tiers.ladder[1].name))).toEqual([expect.stringMatching(/^\$\.tiers\.ladder\[2\]\.name: tier .* is already \$\.tiers\.ladder\[1\]/)]);
    });
    it('valueSegments shares sum to at most 1', () => {
      expect(errorsOf((j) => (j.valueSegments = { diamond: 0.2, core: 0.5, potential: 0.4 }))).toEqual(['$.valueSegments: diamond + core + potential = 1.1, at most 1 (the rest of the customers is "base")']);
      expect(errorsOf((j) => (j.valueSegments = { diamond: 0.1, core: 0.2, potential: 0.7 }))).toEqual([]);
    });
    it('onStages and audience stages and tiers name stages and tiers that exist', () => {
      const winBack = example().campaigns.findIndex((c: { moment: string }) => c.moment === 'win-back');
      const errors = errorsOf((j) => {
        j.campaigns[winBack].onStages = ['declining', 'lapse'];
        j.campaigns[0].audience = { stages: ['stable', 'unclassified', 'stabel'], tiers: ['gold'] };
      });
      expect(errors).toEqual([
        expect.stringMatching(/^\$\.campaigns\[0\]\.audience\.stages\[2\]: no lifecycle rule gives the stage "stabel"/),
        expect.stringMatching(/^\$\.campaigns\[0\]\.audience\.tiers\[0\]: no tier "gold" in \$\.tiers\.ladder/),
        expect.stringMatching(new RegExp(`^\\$\\.campaigns\\[${winBack}\\]\\.onStages\\[1\\]: no lifecycle rule gives the stage "lapse"`)),
      ]);
    });
    it('store ids are unique', () => {
      expect(errorsOf((j) => j.stores.push({ ...j.stores[0], name: 'again' }))).toEqual([`$.stores[${example().stores.length}].id: store id "S001" is already used by $.stores[0]; store ids must be unique`]);
    });
  });
});
