/**
 * Bounds on what one upload may make the reader hold or walk through. A compression bomb (2 MB of gzip that expands
 * to 2 GB in one field, or to 2 GB of line breaks) otherwise costs minutes and a gigabyte before it fails the
 * invocation; past a bound the file is quarantined as soon as the bound is crossed, while streaming. (Not the
 * bounds on what is stored, per column, in lib/field-limits.ts: a value over those rejects its row; these are far
 * larger and stop the file.)
 */
export interface ReadLimits {
  /** Bytes after gunzip (the upload's own size when it is not compressed). */
  maxDecompressedBytes: number;
  /** Characters in one field. */
  maxFieldChars: number;
  /** Characters in one record: one line, or several when a quoted field holds line breaks. */
  maxLineChars: number;
}

/**
 * A 1M-row order export is about 70 MB and one invocation ingests some 10M rows in its 15 minutes at best
 * (BENCHMARKS.md): 2 GiB is some 30 times a real export and more than one invocation could read anyway.
 * A real field (a name, an address, a product list) is well under a kilobyte, a real row under a few. A runaway
 * value of a few hundred KB is still a rejected row (its column's bound, lib/field-limits.ts); 1 Mi characters a
 * field and 4 Mi a row leave room for that and bound what is held: a record is re-scanned as each chunk arrives
 * until it ends, so the cost of an unfinished one grows with the square of its length. (An unfinished record of
 * 1 Mi characters that holds a quote is an unclosed quote before it is a long row: lib/csv/read-csv.ts.)
 */
export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxDecompressedBytes: 2 * 1024 ** 3,
  maxFieldChars: 1024 * 1024,
  maxLineChars: 4 * 1024 * 1024,
};

/**
 * Blank lines in a row that make a file a bomb rather than an export: they are skipped, not rows, so without a
 * bound 2 GB of line breaks is two billion records to skip (81 s). No export has a hundred thousand in a row.
 */
export const MAX_BLANK_RUN = 100_000;

/** A bound crossed: the file is quarantined with this message as the reason. */
export class InputLimitError extends Error {
  constructor(
    message: string,
    /** The line the reader was on, when it was reading records. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'InputLimitError';
  }
}

export const isInputLimitError = (e: unknown): e is InputLimitError => e instanceof InputLimitError;

/** 1048576 -> "1 MiB", 300000 -> "300,000"; for reasons a person reads. */
export function formatSize(n: number, unit: 'bytes' | 'characters'): string {
  for (const [p, name] of [[3, 'Gi'], [2, 'Mi'], [1, 'Ki']] as const)
    if (n >= 1024 ** p && n % 1024 ** p === 0) return `${n / 1024 ** p} ${name}${unit === 'bytes' ? 'B' : ' characters'}`;
  return `${n.toLocaleString('en-US')} ${unit}`;
}
