import type { MomentsConfig } from '../config/schema.ts';
import type { DeriveCheckpoint } from '../derive/derive.ts';
import { ContentHash } from '../orders/content-hash.ts';
import type { StateFold } from './state-fold.ts';

/**
 * What a customer's state item keeps so that the next refresh or night reads only the orders from a day on, not the
 * whole history (issue 12, item 11): the order fold at the end of the last refresh (`head`, lib/state/state-fold.ts)
 * and, once a night derived the customer, where that derivation can go on (`derive`). Both are only as good as the
 * configuration they were made under (`key`) and, for `derive`, the model and the member facts (`deriveKey`); any
 * order change before a checkpoint's day makes it useless, and whoever makes such a change refolds from the start.
 */
export interface FoldCheckpoints {
  key: string;
  head: StateFold;
  derive?: DeriveCheckpoint;
  deriveKey?: string;
}

const keys = new WeakMap<MomentsConfig, string>();

/** A digest of the configuration: a checkpoint made under another one is not resumed. */
export function configKey(config: MomentsConfig): string {
  let k = keys.get(config);
  if (k === undefined) keys.set(config, (k = new ContentHash().text(JSON.stringify(config)).hex()));
  return k;
}

/** The derivation also depends on the model (pAlive) and the birthday (touch dates). */
export function deriveKey(config: MomentsConfig, modelVersion: string | undefined, birthday: string | null | undefined): string {
  return `${configKey(config)}|${modelVersion ?? ''}|${birthday ?? ''}`;
}

/**
 * The checkpoints' share of the state item: DynamoDB refuses an item over 400 KB, and the state, the derivation and its
 * histories need room beside them. The folds grow with the history (per-day maps, and one entry per original named by
 * a refund: 193 KB at 100,000 orders with 1,000 such refunds, BENCHMARKS.md).
 */
export const MAX_FOLDS_BYTES = 200_000;

/** The checkpoints to store, or undefined when they are too large: that customer's refreshes read everything again. */
export function fitFolds(folds: FoldCheckpoints | undefined): FoldCheckpoints | undefined {
  if (!folds) return undefined;
  return Buffer.byteLength(foldsToJson(folds)) <= MAX_FOLDS_BYTES ? folds : undefined;
}

/**
 * The checkpoints as the state item stores them. After a night the fold's end and the derivation's fold are the same
 * (the night's end): stored once, which halves the item for a long history.
 */
export function foldsToJson(folds: FoldCheckpoints): string {
  const head = JSON.stringify(folds.head);
  if (folds.derive && JSON.stringify(folds.derive.fold) === head) return JSON.stringify({ ...folds, derive: { ...folds.derive, fold: SAME_AS_HEAD } });
  return JSON.stringify(folds);
}

const SAME_AS_HEAD = 'head';

export function foldsFromJson(text: string): FoldCheckpoints {
  const f = JSON.parse(text) as FoldCheckpoints;
  // A copy of its own: a fold is folded on from a copy anyway, but nothing should share it.
  if (f.derive && (f.derive.fold as unknown) === SAME_AS_HEAD) f.derive.fold = JSON.parse(JSON.stringify(f.head)) as StateFold;
  return f;
}
