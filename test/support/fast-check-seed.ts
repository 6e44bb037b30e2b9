import fc from 'fast-check';

// `npm test` runs every property with one fixed seed, so a red CI run is a change's doing, never the draw's;
// `npm run fuzz` (FC_SEED=random) explores new ground, and FC_SEED=<n> replays the seed a failure printed.
const raw = process.env.FC_SEED;
const seed = raw === undefined || raw === '' ? 20261206 : raw === 'random' ? undefined : Number(raw);
if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", got ${raw}`);
const runs = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : undefined;
fc.configureGlobal({ ...(seed === undefined ? {} : { seed }), ...(runs ? { numRuns: runs } : {}) });
