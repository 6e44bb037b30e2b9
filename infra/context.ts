import type { Construct } from 'constructs';

/**
 * Readers for CDK context values (`cdk deploy -c key=value` or `context` in cdk.json). From the
 * command line every value is a string; from cdk.json it may be a number. A value that does not
 * parse fails the synth with the key and what was expected, never falls back silently.
 */

export function contextString(scope: Construct, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** A number given as a number or a decimal string (`0.05`, `30`). */
export function contextNumber(scope: Construct, key: string): number | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new Error(`context ${key} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

/** A whole number of days, hours, ... at least `min`. */
export function checkWholeNumber(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}, got ${value}`);
  return value;
}

/** A ratio strictly between 0 and 1 (an alarm threshold on a share). */
export function checkRatio(name: string, value: number): number {
  if (!(value > 0 && value < 1)) throw new Error(`${name} must be a ratio between 0 and 1 (e.g. 0.05), got ${value}`);
  return value;
}
