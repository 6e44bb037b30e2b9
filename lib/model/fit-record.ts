import type { BgNbdParams } from './bgnbd.ts';

/** Predicted vs actual repeat purchases in the holdout, for customers of one calibration frequency (paper, Fig. 4). */
export interface HoldoutRow {
  /** Repeat purchases in calibration: "0" … "6", then "7+". */
  x: string;
  customers: number;
  /** Mean per customer. */
  predicted: number;
  actual: number;
}

/**
 * The calibration check: BG/NBD refitted on the sample as it stood `weeks` before the night, its expectation of
 * each customer's repeat purchases since then against what they did.
 */
export interface HoldoutCheck {
  calibrationEnd: string;
  weeks: number;
  customers: number;
  params: BgNbdParams;
  /** Totals over the customers. */
  predicted: number;
  actual: number;
  byFrequency: HoldoutRow[];
}

export type FitStatus = 'activated' | 'not-qualified' | 'not-converged' | 'failed';

/** One fit attempt of the nightly: kept whatever came of it, so "why is pAlive empty" has an answer. */
export interface FitRecord {
  /** The night the fit is for: purchases up to and including it. */
  night: string;
  attemptedAt: string;
  status: FitStatus;
  /** Why it was not activated. */
  reason?: string;
  /** Customers fitted (the sample) and, of them, with a repeat purchase. */
  customers: number;
  repeatCustomers: number;
  /** The sample: `segments` of `totalSegments` parallel-scan segments, `itemsRead` state items read. */
  sample: { segments: number; totalSegments: number; itemsRead: number };
  params?: BgNbdParams;
  logLikelihood?: number;
  iterations?: number;
  /** Time spent reading the sample and fitting (both fits), ms. */
  readMs: number;
  fitMs: number;
  holdout?: HoldoutCheck;
  /** Why there is no holdout check. */
  holdoutSkipped?: string;
}
