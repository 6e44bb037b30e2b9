import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { EraseDeps } from '../privacy/erase-customer.ts';
import type { ExportDeps } from '../privacy/export-customer.ts';
import { withoutBirthday } from '../privacy/erase.ts';
import { refreshCustomer } from '../state/refresh-customer.ts';
import type { Runtime } from './runtime.ts';

/** Who runs the command, when --by is not given: the login name. */
export function defaultOperator(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env['USER'] ?? 'unknown';
  }
}

/** The erasure's ports on either target: the table's stores, the active configuration and model. */
export async function eraseDeps(rt: Runtime): Promise<EraseDeps> {
  const { config } = await rt.adapters.config.load();
  return {
    customers: rt.adapters.customers,
    touches: rt.adapters.touches,
    audit: rt.adapters.audit,
    config,
    refreshDerived: async (id, asOf) => {
      await refreshCustomer(rt.adapters.customers, id, config, asOf, false, withoutBirthday);
    },
    now: () => new Date(),
    newId: randomUUID,
  };
}

export function exportDeps(rt: Runtime): ExportDeps {
  return { customers: rt.adapters.customers, touches: rt.adapters.touches, audit: rt.adapters.audit, now: () => new Date(), newId: randomUUID };
}
