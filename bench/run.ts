/**
 * `npm run bench -- NAME [args]`: runs one benchmark. Progress goes to stderr; the figures are printed as ONE
 * JSON line, last on stdout. No or an unknown name: lists the names, exit 2. A failure: exit 1.
 */
export type Benchmark = (args: string[]) => Promise<Record<string, unknown>>;

const BENCHMARKS: Record<string, { about: string; load: () => Promise<Benchmark> }> = {
  'ingest-cpu': {
    about: '1M-row orders file: csv-parse baseline vs parse + validate + aggregate (rows/s, ratio)',
    load: async () => (await import('./ingest-cpu.ts')).run,
  },
  'ingest-stages': {
    about: 'diagnostic: ingest-cpu time split by pipeline layer (csv-parse options, decode, validation, store)',
    load: async () => (await import('./ingest-stages.ts')).run,
  },
  'ingest-memory': {
    about: 'peak RSS of a streaming ingest of 1M and of 100k rows, each in a fresh child process',
    load: async () => (await import('./ingest-memory.ts')).run,
  },
  'store-cost': {
    about: 'DynamoDB items, capacity units and requests of a realistic file through local dynalite, and of a re-upload',
    load: async () => (await import('./store-cost.ts')).run,
  },
  'nightly-cost': {
    about: 'items one ordinary night reads (about 1% due) vs a full scan, on a 100k-customer base in local dynalite',
    load: async () => (await import('./nightly-cost.ts')).run,
  },
  'hot-customer': {
    about: 'one customer with 100,000 orders vs one with 10 (local dynalite): items read, written and seconds of a day file adding one order, and of the night',
    load: async () => (await import('./hot-customer.ts')).run,
  },
  'cost-model': {
    about: 'arithmetic: monthly AWS cost per million orders and per million customers from the measured figures and list prices',
    load: async () => (await import('./cost-model.ts')).run,
  },
  'load-ingest': {
    about: 'a 1M-row file split across invocations on the local stack, each invocation in its own process: parts, seconds, peak RSS',
    load: async () => (await import('./load-ingest.ts')).run,
  },
  'load-nightly': {
    about: 'the nightly over 1M customers (in-memory port) and 100k (dynalite, each segment the real handler in its own process): segments, seconds, items',
    load: async () => (await import('./load-nightly.ts')).run,
  },
  'load-touches': {
    about: '100k touches in one night through the send path at the configured rates (local stack, simulated clock): rate, exactly once, night length',
    load: async () => (await import('./load-touches.ts')).run,
  },
  'model-fit': {
    about: 'the nightly BG/NBD fit: time and reads on CDNOW master (full vs sampled: parameters, log-likelihood, pAlive) and on the 1M load base',
    load: async () => (await import('./model-fit.ts')).run,
  },
  'cdnow-local': {
    about: 'CDNOW master as daily files through the local stack and its S3 trigger (skipped without ../shared/data/cdnow)',
    load: async () => (await import('./cdnow-local.ts')).run,
  },
};

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: npm run bench -- NAME [args]\nbenchmarks:\n`);
  for (const [name, b] of Object.entries(BENCHMARKS)) process.stderr.write(`  ${name.padEnd(14)} ${b.about}\n`);
  process.exit(2);
}

const [name, ...args] = process.argv.slice(2);
if (!name) usage('no benchmark named');
const entry = BENCHMARKS[name];
if (!entry) usage(`unknown benchmark: ${name}`);

// The SDK's Node 20 deprecation notice (as in vitest.config.ts); set before any benchmark loads the SDK.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

// Whatever the code under test logs must not land after (or instead of) the JSON line: stdout is for the figures.
const writeOut = process.stdout.write.bind(process.stdout);
console.log = (...a: unknown[]) => console.error(...a);
console.info = console.log;

try {
  const bench = await entry.load();
  const figures = await bench(args);
  writeOut(`${JSON.stringify({ benchmark: name, ...figures })}\n`);
} catch (e) {
  process.stderr.write(`bench ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
// Stdout to a pipe or file is written synchronously on Linux, so exiting now loses nothing; it also ends any
// keep-alive socket a benchmark's SDK client left open.
process.exit();
