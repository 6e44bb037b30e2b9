import { describe, expect, it } from 'vitest';
import { latestClosableNight, nightNotClosable } from '../../lib/nightly/due.ts';

describe('the latest night that can be closed is yesterday in the brand zone', () => {
  // 2026-03-10 10:30 UTC: already the 11th in Kiritimati (UTC+14), still the 9th 23:30 in Pago Pago (UTC-11).
  const now = Date.UTC(2026, 2, 10, 10, 30);
  it.each([
    ['UTC', '2026-03-09'],
    ['Asia/Shanghai', '2026-03-09'],
    ['Pacific/Kiritimati', '2026-03-10'],
    ['Pacific/Pago_Pago', '2026-03-08'],
    ['America/New_York', '2026-03-09'],
  ])('%s: %s', (zone, night) => {
    expect(latestClosableNight(zone, now)).toBe(night);
    expect(nightNotClosable(night, zone, now)).toBeUndefined();
    const tomorrow = `${night.slice(0, 8)}${String(Number(night.slice(8)) + 1).padStart(2, '0')}`;
    expect(nightNotClosable(tomorrow, zone, now)).toBe(`${tomorrow} has not ended in ${zone} yet: the latest night that can be closed is ${night} (yesterday)`);
  });
});
