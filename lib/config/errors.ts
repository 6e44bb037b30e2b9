import type { z } from 'zod';

/** "$.stores[2].timeZone: expected an IANA time zone ..." — a path a marketer can find in the file. */
export function formatConfigErrors(err: z.ZodError): string[] {
  return err.issues.map((i) => {
    const path = i.path.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : `${p}.${String(k)}`), '$');
    // A map key that fails its own check: say why, not just "Invalid key in record".
    const inner = i.code === 'invalid_key' ? i.issues[0]?.message : undefined;
    return `${path}: ${inner ?? i.message}`;
  });
}
