import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSampleFiles } from '../../lib/cli/demo.ts';
import { openLocal } from '../../lib/cli/local-runtime.ts';
import { simulate } from '../../lib/cli/simulate.ts';
import { validateConfigJson } from '../../lib/config/validate.ts';
import { readSnsMessages } from '../../lib/local/sns-stub.ts';
import { runNightly } from '../../lib/nightly/run-nightly.ts';
import { checkTouchGuarantees } from '../support/touch-guarantees.ts';
import { tempHome } from '../support/local-home.ts';

const t = tempHome();
afterAll(() => t.cleanup());

describe('a year of touches on the shipped sample, every guarantee checked over the touch log', () => {
  it('exactly once, consent, quiet hours, cap, deadlines, control groups; the log matches what SES and SMS received', { timeout: 600_000 }, async () => {
    const from = '2025-09-01';
    const to = '2026-09-30';
    const w = writeSampleFiles(join(t.home, 'files'), { seed: 11, customers: 300, from, to });
    process.env['MOMENTS_HOME'] = join(t.home, 'state');
    const rt = await openLocal({ asOf: from });
    const checked = validateConfigJson(JSON.parse(readFileSync(resolve(import.meta.dirname, '../../examples/campaigns.json'), 'utf8')));
    const config = checked.config!;
    await rt.adapters.config.activate(config, 'test-v1');
    try {
      const days = await simulate(rt, { ordersDir: join(t.home, 'files'), membersFile: w.membersFile, from, to, config, configVersion: 'test-v1' });
      expect(days).toHaveLength(395);

      const { local, touches, sms } = await checkTouchGuarantees(rt, config, { minSent: 200, version: 'test-v1' });

      // A rerun nightly and a second delivery change nothing.
      const before = touches.length;
      expect(await runNightly(to, { customers: rt.adapters.customers, ledger: rt.adapters.nightly, config, touches: { ...local.planning('test-v1', () => new Date()) } })).toEqual([]);
      const again = await local.deliver(Date.parse('2026-10-02T00:00:00Z'), config);
      expect(again.sent).toBe(0);
      let after = 0;
      for await (const _ of local.store.scan()) after++;
      expect(after).toBe(before);
      expect(readSnsMessages(rt.stack.home)).toHaveLength(sms.length);
      local.close();
    } finally {
      await rt.close();
    }
  });
});
