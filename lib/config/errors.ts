import type { z } from 'zod';

/** "$.stores[2].timeZone: expected an IANA time zone ..." — a path a marketer can find in the file. */
export function formatConfigErrors(err: z.ZodError): string[] {
  return err.issues.map((i) => {
    const path = i.path.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : `${p}.${String(k)}`), '$');
    return `${path}: ${i.message}`;
  });
}
