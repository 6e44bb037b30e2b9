import { createHash } from 'node:crypto';
import { validateConfigJson } from '../config/validate.ts';
import { configSchema } from '../config/schema.ts';
import { RunbookInputError } from './replay.ts';
import type { ConfigActivation, ConfigHistory } from './ports.ts';

/** The key whose upload activates a configuration (the bucket notification and the config function). */
export const CONFIG_KEY = 'config/campaigns.json';

/** A short fingerprint of a configuration, to see at a glance which activations hold the same document. */
export function configDigest(document: unknown): string {
  return createHash('sha256').update(JSON.stringify(document)).digest('hex').slice(0, 12);
}

export interface HistoryLine {
  version: string;
  activatedAt: string;
  active: boolean;
  digest: string;
  /** Whether today's schema still accepts the document (a rollback also renders its templates first). */
  valid: boolean;
  campaigns?: number;
  enabled?: number;
  brand?: string;
}

/** The history as `config history` shows it; the newest activation of the active version is marked. */
export function historyLines(history: ConfigActivation[], active: { version: string; activatedAt?: string }): HistoryLine[] {
  const activeIndex = history.findIndex((h) => h.version === active.version && (!active.activatedAt || h.activatedAt === active.activatedAt));
  return history.map((h, i) => {
    const parsed = configSchema.safeParse(h.document);
    const line: HistoryLine = { version: h.version, activatedAt: h.activatedAt, active: i === activeIndex, digest: configDigest(h.document), valid: parsed.success };
    if (parsed.success) {
      line.campaigns = parsed.data.campaigns.length;
      line.enabled = parsed.data.campaigns.filter((c) => c.enabled).length;
      line.brand = parsed.data.brand.name;
    }
    return line;
  });
}

/** The activation a version names: exactly, else the one version it is the unique prefix of (at least 4 characters). */
export function resolveVersion(history: ConfigActivation[], wanted: string): ConfigActivation {
  const exact = history.find((h) => h.version === wanted);
  if (exact) return exact;
  const versions = [...new Set(history.map((h) => h.version))];
  const prefixed = wanted.length >= 4 ? versions.filter((v) => v.startsWith(wanted)) : [];
  if (prefixed.length === 1) return history.find((h) => h.version === prefixed[0])!;
  if (prefixed.length > 1) throw new RunbookInputError(`version "${wanted}" is ambiguous: ${prefixed.join(', ')}`);
  throw new RunbookInputError(`version "${wanted}" is not in the configuration history (\`moments config history\` lists it)`);
}

export interface RollbackPorts extends ConfigHistory {
  /** Uploads the document as config/campaigns.json: the config function validates and activates it, as any upload. */
  upload(json: string): Promise<void>;
  /** Resolves with the active version once it is no longer `before` (the activation the upload replaces). */
  awaitActivation(before: { version: string; activatedAt?: string }): Promise<{ version: string; activatedAt?: string }>;
}

export interface RollbackResult {
  restored: ConfigActivation;
  /** The version the restored document is active under now (its new S3 version on AWS). */
  activeVersion: string;
  /** Nothing was uploaded: the version asked for is the active document already. */
  unchanged: boolean;
}

/**
 * Makes an earlier configuration active again. Its document is checked with today's validation first (a document
 * the schema has since outgrown is refused with every error, and nothing changes), then uploaded as
 * config/campaigns.json, so it goes through the config function like any upload: the bucket's current object is
 * the active document, the touch log records the version it is active under, and a later upload replaces it.
 */
export async function rollbackConfig(wanted: string, ports: RollbackPorts): Promise<RollbackResult> {
  const history = await ports.history(1000);
  const target = resolveVersion(history, wanted);
  const checked = validateConfigJson(target.document);
  if (!checked.config)
    throw new Error(`version ${target.version} (activated ${target.activatedAt}) does not pass today's validation; nothing changed:\n${checked.errors.join('\n')}`);
  const active = await ports.active();
  const current = history.find((h) => h.version === active.version && (!active.activatedAt || h.activatedAt === active.activatedAt));
  if (current && configDigest(current.document) === configDigest(target.document))
    return { restored: target, activeVersion: active.version, unchanged: true };
  await ports.upload(JSON.stringify(checked.config, null, 2) + '\n');
  const now = await ports.awaitActivation(active);
  return { restored: target, activeVersion: now.version, unchanged: false };
}
