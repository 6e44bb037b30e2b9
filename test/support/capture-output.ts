/**
 * Every line written to process.stdout and process.stderr while `fn` runs, nothing passed through. Powertools
 * Logger and Metrics write through their own Console on these streams, so this sees exactly what Lambda would
 * send to CloudWatch.
 */
export async function captureOutput(fn: () => unknown): Promise<string[]> {
  let buf = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  const grab = (chunk: unknown, ...rest: unknown[]) => {
    buf += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return buf.split('\n').filter((l) => l.trim() !== '');
}
