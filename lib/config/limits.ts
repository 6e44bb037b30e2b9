import { z } from 'zod';
import { jsonPath } from './errors.ts';

/**
 * Bounds on a configuration document before and beside its schema: configuration is written by people, uploaded
 * to a bucket, and read by every function, so it may describe campaigns and nothing else. A document that is too
 * large, too deep, or names an object's prototype machinery is refused with the JSON path of the offence.
 */
export const MAX_CONFIG_BYTES = 1_000_000;
const MAX_DEPTH = 16;
const MAX_STRING = 200_000;
const MAX_ARRAY = 10_000;
const MAX_KEYS = 1_000;

/** Keys that mean something to JavaScript objects themselves; never a configuration name. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);


/** Structural limits of a parsed document: reserved keys, depth, string, array and object sizes. */
export function checkConfigShape(json: unknown): string[] {
  const errors: string[] = [];
  const walk = (v: unknown, at: (string | number)[]): void => {
    if (errors.length >= 20) return;
    if (at.length > MAX_DEPTH) {
      errors.push(`${jsonPath(at)}: nested deeper than ${MAX_DEPTH} levels`);
      return;
    }
    if (typeof v === 'string') {
      if (v.length > MAX_STRING) errors.push(`${jsonPath(at)}: ${v.length} characters, at most ${MAX_STRING}`);
    } else if (Array.isArray(v)) {
      if (v.length > MAX_ARRAY) errors.push(`${jsonPath(at)}: ${v.length} items, at most ${MAX_ARRAY}`);
      else v.forEach((x, i) => walk(x, [...at, i]));
    } else if (v !== null && typeof v === 'object') {
      // Own keys as JSON.parse made them: "__proto__" is an ordinary own property here.
      const keys = Object.keys(v);
      if (keys.length > MAX_KEYS) errors.push(`${jsonPath(at)}: ${keys.length} keys, at most ${MAX_KEYS}`);
      for (const k of keys) {
        if (RESERVED_KEYS.has(k)) errors.push(`${jsonPath([...at, k])}: "${k}" is not allowed as a key`);
        else walk((v as Record<string, unknown>)[k], [...at, k]);
      }
    }
  };
  walk(json, []);
  return errors;
}

/** A key a person chooses (a header spelling, a locale), within bounds and never a reserved name. */
export const safeKey = (max: number, min = 1) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((k) => !RESERVED_KEYS.has(k), { message: 'a reserved name, not allowed as a key' });

/** A bounded map with chosen keys. */
export const boundedRecord = <V extends z.ZodType>(key: ReturnType<typeof safeKey>, value: V, maxEntries: number) =>
  z.record(key, value).refine((r) => Object.keys(r).length <= maxEntries, { message: `at most ${maxEntries} entries` });
