import type { z } from 'zod';

/**
 * A JSON path a marketer can find in the file: `$.stores[2].timeZone`, and a key that is not a plain name in
 * brackets, `$.columns.members["手机号码"]`. Every configuration error is written with it.
 */
export const jsonPath = (segments: readonly PropertyKey[]): string =>
  segments.reduce<string>(
    (p, k) => (typeof k === 'number' ? `${p}[${k}]` : /^[\w$-]+$/.test(String(k)) ? `${p}.${String(k)}` : `${p}[${JSON.stringify(String(k))}]`),
    '$',
  );

/** "$.stores[2].timeZone: expected an IANA time zone ..." — a path a marketer can find in the file. */
export function formatConfigErrors(err: z.ZodError): string[] {
  return err.issues.map((i) => {
    const path = jsonPath(i.path);
    // A map key that fails its own check: say why, not just "Invalid key in record".
    const inner = i.code === 'invalid_key' ? i.issues[0]?.message : undefined;
    return `${path}: ${inner ?? i.message}`;
  });
}
