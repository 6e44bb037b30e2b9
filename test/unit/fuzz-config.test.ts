/**
 * Fuzzing the configuration validator (schema and strict template rendering): arbitrary JSON, deep nesting,
 * wrong types and unknown or __proto__ keys spliced into the shipped example. It never throws; every error carries
 * a JSON path a marketer can find, pointing at (or above) what was broken; nothing leaks into Object.prototype.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfigJson } from '../../lib/config/validate.ts';

const example = JSON.parse(readFileSync(new URL('../../examples/campaigns.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const PATHED = /^\$(?:\.[^.[\]:\s][^.[\]:]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*: \S/;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Step = string | number;

// The notation the README documents: a plain name after a dot, any other key quoted in brackets.
const pathText = (p: Step[]) =>
  p.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : /^[A-Za-z0-9_$-]+$/.test(k) ? `${s}.${k}` : `${s}[${JSON.stringify(k)}]`), '$');
const errorPath = (e: string) => e.slice(0, e.indexOf(': '));

/** Every path in the document, objects and arrays included, the root excluded. */
function paths(v: Json, at: Step[] = []): { path: Step[]; value: Json }[] {
  const out: { path: Step[]; value: Json }[] = [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push({ path: [...at, i], value: x }, ...paths(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push({ path: [...at, k], value: x }, ...paths(x, [...at, k]));
  return out;
}

function setAt(doc: Json, path: Step[], value: Json): Json {
  const copy = structuredClone(doc);
  let o = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, Json>;
  o[path.at(-1)!] = value;
  return copy;
}

/** The document as JSON text with `key: value` added first in the object at `path`. */
function jsonWithKey(v: Json, path: Step[], key: string, value: Json): string {
  if (Array.isArray(v)) return `[${v.map((x, i) => jsonWithKey(x, path[0] === i ? path.slice(1) : [-1], key, value)).join(',')}]`;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const here = path.length === 0 ? [`${JSON.stringify(key)}:${JSON.stringify(value)}`] : [];
  const rest = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${jsonWithKey(x, path[0] === k ? path.slice(1) : [-1], key, value)}`);
  return `{${[...here, ...rest].join(',')}}`;
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Related paths: the error is at what was broken, inside it, or at an ancestor (a union or a whole-list rule). */
const related = (a: string, b: string) => a === b || a.startsWith(b + '.') || a.startsWith(b + '[') || b.startsWith(a + '.') || b.startsWith(a + '[') || a === '$' || b === '$';

function noPollution() {
  const probe = {} as Record<string, unknown>;
  expect(probe['polluted']).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('fuzz: configuration validator', () => {
  it('the shipped example is valid (the mutations below start from a valid document)', () => {
    expect(validateConfigJson(example).errors).toEqual([]);
  });

  it('arbitrary JSON never throws; every error has a JSON path', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.dictionary(fc.constantFrom('brand', 'campaigns', 'tiers', 'points', 'stores', 'contactPolicy', 'x'), fc.jsonValue({ maxDepth: 4 }))), (doc) => {
        const r = validateConfigJson(doc);
        expect(r.config !== undefined || r.errors.length > 0).toBe(true);
        for (const e of r.errors) expect(e, e).toMatch(PATHED);
      }),
      { numRuns: 600 },
    );
  });

  it('deep nesting anywhere is an error with a path, not a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 5000 }), fc.constantFrom(...paths(example as Json).map((p) => p.path)), fc.boolean(), (depth, at, arrays) => {
        let deep: Json = 'x';
        for (let i = 0; i < depth; i++) deep = arrays ? [deep] : { k: deep };
        const r = validateConfigJson(setAt(example as Json, at, deep));
        for (const e of r.errors) expect(e).toMatch(PATHED);
      }),
      { numRuns: 60 },
    );
  });

  it('a value of the wrong type anywhere in the example: rejected, with an error at that path or around it', () => {
    const targets = paths(example as Json).filter((p) => p.path[0] !== '$schema');
    fc.assert(
      fc.property(fc.constantFrom(...targets), fc.jsonValue({ maxDepth: 2 }), ({ path, value }, replacement) => {
        fc.pre(kind(replacement) !== kind(value));
        const r = validateConfigJson(setAt(example as Json, path, replacement as Json));
        // Optional or open-ended spots (a name, a template text) may accept some other types: then nothing to say.
        if (r.config) return;
        for (const e of r.errors) expect(e).toMatch(PATHED);
        const at = pathText(path);
        expect(r.errors.some((e) => related(errorPath(e), at)), `${at} -> ${JSON.stringify(replacement)}: ${r.errors.join(' | ')}`).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('unknown keys, __proto__, constructor and prototype keys: refused at their object, and nothing polluted', () => {
    const objects = [{ path: [] as Step[], value: example as Json }, ...paths(example as Json)].filter(
      (p) => p.value !== null && typeof p.value === 'object' && !Array.isArray(p.value) && !['templates', 'columns', 'orders', 'members'].includes(String(p.path.at(-1))),
    );
    const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'brnad', 'Brand', ''), fc.string({ minLength: 1, maxLength: 12 }));
    fc.assert(
      fc.property(fc.constantFrom(...objects), key, fc.jsonValue({ maxDepth: 2 }), ({ path }, k, v) => {
        // Through JSON.parse, as an uploaded file arrives: "__proto__" is then an own key, not the prototype.
        const target = path.reduce<Record<string, unknown>>((o, s) => o[s as string] as Record<string, unknown>, example as Record<string, unknown>);
        fc.pre(!Object.hasOwn(target, k));
        const doc = JSON.parse(jsonWithKey(example as Json, path, k, { polluted: v as Json })) as Json;
        const r = validateConfigJson(doc);
        noPollution();
        expect(r.config, `${pathText(path)} + ${k}`).toBeUndefined();
        for (const e of r.errors) expect(e).toMatch(/^\$/);
        expect(r.errors.some((e) => related(errorPath(e), pathText(path))), r.errors.join(' | ')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('__proto__ as a locale of templates or a column mapping: refused with its path, no pollution', () => {
    const doc = JSON.parse(
      JSON.stringify(example)
        .replace('"templates":{', '"templates":{"__proto__":{"sms":"x","polluted":1},')
        .replace('"columns":{', '"columns":{"__proto__":{"polluted":1},'),
    ) as Json;
    const r = validateConfigJson(doc);
    noPollution();
    // zod alone would drop these keys without a word (found by the property above); they are errors like any unknown key.
    expect(r.config).toBeUndefined();
    expect(r.errors).toHaveLength(2);
    expect(r.errors.find((e) => e.startsWith('$.campaigns[0].templates'))).toMatch(/__proto__/);
    expect(r.errors.find((e) => e.startsWith('$.columns'))).toMatch(/__proto__/);
  });

  it('values that each validate but not together (ladder order, shares, store ids, stage and tier names, canonical mappings): an error at the right path exactly when they are wrong', () => {
    const ex = example as { tiers: { ladder: { name: string }[] }; lifecycle: { rules: { stage: string }[] }; stores: { id: string }[] };
    const tierNames = ex.tiers.ladder.map((t) => t.name);
    const stages = [...new Set(ex.lifecycle.rules.map((r) => r.stage)), 'unclassified'];
    const storeIds = ex.stores.map((s) => s.id);
    const canonical = ['order_id', 'customer_id', 'ordered_at', 'amount', 'currency', 'status', 'store_id'];
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.constantFrom(...tierNames, 'x'), minSpend: fc.integer({ min: 0, max: 5 }).map((n) => String(n * 1000)) }), { minLength: 1, maxLength: 5 }),
        fc.record({ diamond: fc.double({ min: 0, max: 0.5, noNaN: true }), core: fc.double({ min: 0, max: 0.5, noNaN: true }), potential: fc.double({ min: 0, max: 0.5, noNaN: true }) }),
        fc.array(fc.constantFrom(...storeIds, 'S9'), { minLength: 0, maxLength: 4 }),
        fc.array(fc.constantFrom(...stages, 'stabel'), { maxLength: 3 }),
        fc.array(fc.constantFrom(...tierNames, 'x', 'gold'), { maxLength: 3 }),
        fc.option(fc.tuple(fc.constantFrom(...canonical, 'Beleg-Nr'), fc.constantFrom(...canonical)), { nil: undefined }),
        (ladder, shares, ids, audienceStages, audienceTiers, mapping) => {
          const doc = structuredClone(example) as any;
          doc.tiers.ladder = ladder;
          doc.valueSegments = shares;
          doc.stores = ids.map((id) => ({ id }));
          doc.campaigns[0].audience = { stages: audienceStages, tiers: audienceTiers };
          if (mapping) doc.columns.orders = { [mapping[0]]: mapping[1] };
          const r = validateConfigJson(doc);
          const at = (prefix: string) => r.errors.some((e) => e.startsWith(prefix));
          for (const e of r.errors) expect(e).toMatch(PATHED);
          // Oracle, from the rules as the README states them.
          const minors = ladder.map((t) => Number(t.minSpend));
          expect(at('$.tiers.ladder'), 'ladder').toBe(minors.some((m, i) => i > 0 && m <= minors[i - 1]!) || new Set(ladder.map((t) => t.name)).size < ladder.length);
          expect(at('$.valueSegments'), 'shares').toBe(shares.diamond + shares.core + shares.potential > 1 + 1e-9);
          expect(at('$.stores'), 'stores').toBe(new Set(ids).size < ids.length);
          expect(at('$.campaigns[0].audience.stages'), 'stages').toBe(audienceStages.includes('stabel'));
          const names = new Set(ladder.map((t) => t.name));
          expect(at('$.campaigns[0].audience.tiers'), 'tiers').toBe(audienceTiers.some((t) => !names.has(t)));
          expect(at('$.columns.orders'), 'mapping').toBe(mapping !== undefined && mapping[0] !== mapping[1] && mapping[0] !== 'Beleg-Nr');
          expect(r.config === undefined).toBe(r.errors.length > 0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
