import type { ActiveModel } from '../derive/metrics.ts';
import type { FitRecord } from '../model/fit-record.ts';
import type { StoredModel } from '../nightly/ports.ts';
import type { ChartSpec } from './report-data.ts';

export const MODEL_SECTION = 'Purchase model (BG/NBD)';

/** What the report shows of the model: the active one and the nightly's fit attempts up to the report's night. */
export interface ModelSummary {
  active?: (ActiveModel & Partial<StoredModel>) | undefined;
  fits: FitRecord[];
}

/** The fit the active model came from: its holdout check is the one to show. */
export function activeFit(s: ModelSummary): FitRecord | undefined {
  const until = s.active?.until;
  return [...s.fits].reverse().find((f) => f.status === 'activated' && (!until || f.night === until));
}

const f3 = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(3));

/** Predicted vs actual repeat purchases in the holdout by calibration frequency, as the paper plots it on CDNOW. */
export function modelChart(s: ModelSummary): ChartSpec | undefined {
  const h = activeFit(s)?.holdout;
  if (!h) return undefined;
  const off = h.actual ? (100 * (h.predicted - h.actual)) / h.actual : null;
  return {
    id: 'model-holdout',
    section: MODEL_SECTION,
    title: `Repeat purchases in the ${h.weeks} weeks after ${h.calibrationEnd}: predicted vs actual`,
    kind: 'bar',
    xLabel: 'Repeat purchases in the calibration period',
    yLabel: 'Mean repeat purchases per customer in the holdout',
    labels: h.byFrequency.map((r) => r.x),
    series: [
      { label: 'Actual', data: h.byFrequency.map((r) => Math.round(r.actual * 1000) / 1000) },
      { label: 'BG/NBD', data: h.byFrequency.map((r) => Math.round(r.predicted * 1000) / 1000) },
    ],
    reading: `Fitted on the ${h.customers.toLocaleString('en')} sampled customers as they stood on ${h.calibrationEnd}, the model expected ${h.predicted.toFixed(0)} repeat purchases in the holdout; they made ${h.actual}${off === null ? '' : ` (${off >= 0 ? '+' : ''}${off.toFixed(1)}%)`}.`,
  };
}

/** The section's tables: the active model and the last attempts (escaped by the caller's `esc`). */
export function renderModelTables(s: ModelSummary, esc: (t: string) => string): string {
  const m = s.active;
  const fit = activeFit(s);
  const active = m
    ? `<table><thead><tr><th>Active model</th><th>Fitted at</th><th>Data up to</th><th>Customers</th><th>r</th><th>alpha</th><th>a</th><th>b</th><th>Log-likelihood</th></tr></thead><tbody><tr><td>${esc(m.version)}</td><td>${esc(m.fittedAt ?? '-')}</td><td>${esc(m.until ?? '-')}</td><td>${m.customers?.toLocaleString('en') ?? '-'}${
        fit ? ` (${fit.sample.segments}/${fit.sample.totalSegments} of the base)` : ''
      }</td><td>${f3(m.params.r)}</td><td>${f3(m.params.alpha)}</td><td>${f3(m.params.a)}</td><td>${f3(m.params.b)}</td><td>${m.logLikelihood === undefined ? '-' : m.logLikelihood.toFixed(1)}</td></tr></tbody></table>`
    : '<p>No model is active yet: pAlive and expected purchases are empty until the nightly fits one (see the attempts below).</p>';
  const check = fit?.holdout ? '' : fit?.holdoutSkipped ? `<p>No holdout check: ${esc(fit.holdoutSkipped)}.</p>` : '';
  const recent = s.fits.slice(-12).reverse();
  const attempts = recent.length
    ? `<table><thead><tr><th>Fit attempt (night)</th><th>Status</th><th>Customers</th><th>Repeaters</th><th>Segments read</th><th>Read ms</th><th>Fit ms</th><th>Reason</th></tr></thead><tbody>${recent
        .map(
          (f) =>
            `<tr><td>${esc(f.night)}</td><td>${esc(f.status)}</td><td>${f.customers}</td><td>${f.repeatCustomers}</td><td>${f.sample.segments}/${f.sample.totalSegments}</td><td>${f.readMs}</td><td>${f.fitMs}</td><td>${esc(f.reason ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>The nightly has made no fit attempt yet.</p>';
  return `${active}${check}${attempts}`;
}
