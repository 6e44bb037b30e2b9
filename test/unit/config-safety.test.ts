import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activateUpload } from '../../lib/config/activate.ts';
import { formatConfigErrors } from '../../lib/config/errors.ts';
import { MAX_CONFIG_BYTES } from '../../lib/config/limits.ts';
import { configSchema } from '../../lib/config/schema.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';

const example = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8'));
const errorsOf = (text: string) => validateConfigJson(JSON.parse(text)).errors;

describe('configuration cannot reach beyond its schema', () => {
  it.each([
    ['{"__proto__": {"polluted": true}}', '$.__proto__: "__proto__" is not allowed as a key'],
    ['{"constructor": {"prototype": {"polluted": true}}}', '$.constructor: "constructor" is not allowed as a key'],
    ['{"brand": {"name": "x", "__proto__": {"name": "y"}}}', '$.brand.__proto__: "__proto__" is not allowed as a key'],
    ['{"columns": {"orders": {"__proto__": "order_id"}}}', '$.columns.orders.__proto__: "__proto__" is not allowed as a key'],
    ['{"columns": {"members": {"constructor": "phone"}}}', '$.columns.members.constructor: "constructor" is not allowed as a key'],
    ['{"stores": [{"id": "S1", "prototype": 1}]}', '$.stores[0].prototype: "prototype" is not allowed as a key'],
    // Found by the fuzz suite (seed 1994041472): a key that is not a plain name is written in brackets, by every check.
    ['{"columns": {"members": {"手机号码": {"prototype": 0}}}}', '$.columns.members["手机号码"].prototype: "prototype" is not allowed as a key'],
    ['{"columns": {"members": {"手机号码": 5}}}', '$.columns.members["手机号码"]: Invalid option: expected one of "customer_id"'],
  ])('%s is refused with its path', (text, error) => {
    expect(errorsOf(text).some((e) => e.startsWith(error)), errorsOf(text).join(" | ")).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('a campaign whose templates hide behind __proto__ is refused, not silently dropped', () => {
    const c = example.campaigns[0];
    const text = JSON.stringify({ ...example, campaigns: [{ ...c, templates: 'T' }] }).replace('"templates":"T"', `"templates":{"__proto__":${JSON.stringify(c.templates)}}`);
    expect(errorsOf(text)).toEqual(['$.campaigns[0].templates.__proto__: "__proto__" is not allowed as a key']);
  });

  it('the schema refuses reserved keys in maps on its own too (configurations parsed without the shape check)', () => {
    const r = configSchema.safeParse({ columns: { orders: JSON.parse('{"constructor": "order_id"}') } });
    expect(r.success).toBe(false);
    expect(formatConfigErrors(r.error!)).toEqual(['$.columns.orders.constructor: a reserved name, not allowed as a key']);
  });

  it('unknown keys are errors at every level', () => {
    expect(errorsOf('{"brand": {"nmae": "x"}}')).toEqual(['$.brand: Unrecognized key: "nmae"']);
    const bad = structuredClone(example);
    bad.campaigns[0].templates['zh-CN'].script = '<script>';
    expect(validateConfigJson(bad).errors).toEqual(['$.campaigns[0].templates.zh-CN: Unrecognized key: "script"']);
  });

  it.each([
    [{ points: { pointsPerUnit: 1e300 } }, '$.points.pointsPerUnit: Too big: expected number to be <=10000'],
    [{ results: { pricePerSms: 1e12 } }, '$.results.pricePerSms: Too big: expected number to be <=1000'],
    [{ tiers: { ladder: [{ name: 'gold', minSpend: '9'.repeat(40) }] } }, '$.tiers.ladder[0].minSpend: expected an amount such as "3000.00" (at most 12 digits before the point)'],
    [{ lifecycle: { rules: [{ stage: 'x', when: { orderCount: { gte: 1e300 } } }] } }, '$.lifecycle.rules[0].when.orderCount.gte: Too big: expected number to be <=1000000000000'],
    [{ brand: { name: 'x'.repeat(201) } }, '$.brand.name: Too big: expected string to have <=200 characters'],
    [{ brand: { name: 'x'.repeat(300_000) } }, '$.brand.name: 300000 characters, at most 200000'],
    [{ stores: Array.from({ length: 10_001 }, (_, i) => ({ id: `S${i}` })) }, '$.stores: 10001 items, at most 10000'],
    [{ columns: { orders: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`h${i}`, 'order_id'])) } }, '$.columns.orders: at most 200 entries'],
    [{ contactPolicy: { unsubscribeUrl: 'javascript:alert(1)' } }, '$.contactPolicy.unsubscribeUrl: expected an http(s) URL'],
  ])('absurd values and sizes are refused with their path (%#)', (json, error) => {
    expect(validateConfigJson(json).errors).toContain(error);
  });

  it('nesting is bounded', () => {
    expect(errorsOf(`{"brand": ${'['.repeat(40)}${']'.repeat(40)}}`)[0]).toMatch(/^\$\.brand(\[0\])+: nested deeper than 16 levels$/);
  });

  it('template sources are bounded per part', () => {
    const bad = structuredClone(example);
    bad.campaigns[0].templates['zh-CN'].sms = 'x'.repeat(5_001);
    expect(validateConfigJson(bad).errors).toEqual(['$.campaigns[0].templates.zh-CN.sms: Too big: expected string to have <=5000 characters']);
  });

  it('an oversized upload is refused without being read to the end; the active configuration stays', async () => {
    let chunksRead = 0;
    let activated = false;
    const reports: string[] = [];
    const r = await activateUpload('config/campaigns.json', 'v9', {
      read: async function* () {
        for (let i = 0; i < 1_000; i++) {
          chunksRead++;
          yield Buffer.alloc(64 * 1024, 0x20);
        }
      },
      put: async (_k, body) => void reports.push(body),
      activate: async () => void (activated = true),
    });
    expect(r.active).toBe(false);
    expect(activated).toBe(false);
    expect(r.errors).toEqual([`$: more than ${MAX_CONFIG_BYTES} bytes; a configuration is at most ${MAX_CONFIG_BYTES}`]);
    expect(chunksRead).toBeLessThan(20);
    expect(reports[0]).toContain('was NOT activated');
  });

  it('the shipped example still passes', () => {
    expect(validateConfigJson(example).errors).toEqual([]);
  });
});
