import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { moments } from '../support/cli.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome();
afterAll(() => t.cleanup());

describe('moments simulate, deliver and export touches (child processes)', () => {
  it('replays a month of exports with a configuration, then the touch log shows what was sent', { timeout: 300_000 }, async () => {
    const home = join(t.home, 'state');
    const files = join(t.home, 'files');
    const w = writeSampleFiles(files, { seed: 9, customers: 200, from: '2026-03-01', to: '2026-04-30' });
    const config = resolve(import.meta.dirname, '../../examples/campaigns.json');
    const r = await moments(['simulate', '--orders', files, '--members', w.membersFile, '--config', config, '--from', '2026-03-01', '--to', '2026-04-30', '--json'], home);
    expect(r.code, r.err).toBe(0);
    const days = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(days).toHaveLength(61);
    expect(days[0]).toMatchObject({ date: '2026-03-01' });
    const sent = days.reduce((n: number, d: { sent: number }) => n + d.sent, 0);
    expect(sent).toBeGreaterThan(20);

    const log = await moments(['export', 'touches'], home);
    const rows = log.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.filter((x) => x.status === 'sent')).toHaveLength(sent);
    for (const k of ['customerId', 'campaignId', 'moment', 'channel', 'status', 'reason', 'periodKey', 'plannedFor', 'sentAt', 'messageId']) expect(rows[0]).toHaveProperty(k);
    expect(new Set(rows.map((x) => x.configVersion)).size).toBe(1);

    // Touches planned on the last night for the next morning are still queued: deliver sends them.
    const d = await moments(['deliver', '--until', '2026-05-02'], home);
    expect(d.code, d.err).toBe(0);
    expect(d.out).toMatch(/^\d+ sent/);
    const bad = await moments(['simulate', '--orders', files, '--from', '2026-13-01', '--to', '2026-04-30'], home);
    expect(bad.code).toBe(2);
  });
});
