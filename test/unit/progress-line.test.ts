import { describe, expect, it } from 'vitest';
import { progressLine } from '../../lib/cli/progress-line.ts';

/** A stand-in for process.stderr: what was written, and whether it is a terminal. */
function stream(isTTY: boolean) {
  const chunks: string[] = [];
  const s = { isTTY, write: (c: string) => (chunks.push(c), true) } as unknown as NodeJS.WriteStream;
  return { s, chunks };
}

describe('progressLine', () => {
  it('redraws in place on a terminal, and clears or keeps the line', () => {
    const { s, chunks } = stream(true);
    const p = progressLine(s);
    p.show('a');
    p.show('b');
    p.clear();
    p.show('c');
    p.keep();
    expect(chunks.join('')).toBe('\r\x1b[Ka\r\x1b[Kb\r\x1b[K\r\x1b[Kc\n');
  });

  it('writes nothing to a pipe or file, nor when disabled (--json)', () => {
    for (const [tty, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const { s, chunks } = stream(tty);
      const p = progressLine(s, enabled);
      p.show('a');
      p.clear();
      p.keep();
      expect(p.on).toBe(false);
      expect(chunks).toEqual([]);
    }
  });
});
