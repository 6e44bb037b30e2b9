import { validateConfigJson } from './validate.ts';
import type { MomentsConfig } from './schema.ts';
import { MAX_CONFIG_BYTES } from './limits.ts';

class TooLarge extends Error {}

export interface ConfigPorts {
  read(key: string): AsyncIterable<Buffer>;
  put(key: string, body: string, contentType: string): Promise<void>;
  activate(config: MomentsConfig, version: string): Promise<void>;
}

/**
 * A configuration upload: valid, it becomes active under its S3 version (every touch records the version that
 * planned it); invalid, a report goes to config/rejected/ and the last good configuration stays active.
 */
export async function activateUpload(key: string, version: string, ports: ConfigPorts, now = new Date()): Promise<{ active: boolean; report?: string; errors: string[] }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const c of ports.read(key)) {
    bytes += c.length;
    // Read no further than the limit: an oversized upload is refused, not held in memory.
    if (bytes > MAX_CONFIG_BYTES) break;
    chunks.push(c);
  }
  let json: unknown;
  let errors: string[];
  try {
    if (bytes > MAX_CONFIG_BYTES) throw new TooLarge(`more than ${MAX_CONFIG_BYTES} bytes; a configuration is at most ${MAX_CONFIG_BYTES}`);
    json = JSON.parse(Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, ''));
    const r = validateConfigJson(json);
    if (r.config) {
      await ports.activate(r.config, version);
      return { active: true, errors: [] };
    }
    errors = r.errors;
  } catch (e) {
    errors = [e instanceof TooLarge ? `$: ${e.message}` : `not JSON: ${(e as Error).message}`];
  }
  const report = `config/rejected/${now.toISOString().replace(/[:.]/g, '-')}-${key.split('/').pop()}.errors.txt`;
  await ports.put(
    report,
    `${key} (version ${version}) was NOT activated; the previous configuration stays active.\n\n${errors.join('\n')}\n`,
    'text/plain; charset=utf-8',
  );
  return { active: false, report, errors };
}
