import { describe, expect, it } from 'vitest';
import type { FitRecord } from '../../lib/model/fit-record.ts';
import { modelChart, MODEL_SECTION, type ModelSummary } from '../../lib/report/model-section.ts';
import { renderReportHtml } from '../../lib/report/render-html.ts';

const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const activated: FitRecord = {
  night: '1998-06-30',
  attemptedAt: '1998-07-01T02:30:00.000Z',
  status: 'activated',
  customers: 2357,
  repeatCustomers: 1100,
  sample: { segments: 64, totalSegments: 64, itemsRead: 2357 },
  params,
  logLikelihood: -9582.4,
  readMs: 10,
  fitMs: 20,
  holdout: {
    calibrationEnd: '1997-09-30',
    weeks: 39,
    customers: 2357,
    params,
    predicted: 1400.4,
    actual: 1343,
    byFrequency: [
      { x: '0', customers: 1411, predicted: 0.24, actual: 0.23 },
      { x: '7+', customers: 50, predicted: 5.1, actual: 4.9 },
    ],
  },
};
const failed: FitRecord = {
  night: '1998-07-30',
  attemptedAt: '1998-07-31T02:30:00.000Z',
  status: 'failed',
  reason: 'fit failed: <script>alert(1)</script>',
  customers: 2357,
  repeatCustomers: 1100,
  sample: { segments: 64, totalSegments: 64, itemsRead: 2357 },
  readMs: 10,
  fitMs: 1,
};

const render = (model: ModelSummary) => {
  const chart = modelChart(model);
  return renderReportHtml({ brand: 'B', asOf: '1998-07-30', kpis: [], charts: chart ? [chart] : [], results: [], notes: [], model, chartJs: '' });
};

describe('the report\'s purchase-model section', () => {
  it('shows the active model, its holdout by frequency, and later attempts with their reasons escaped', () => {
    const model: ModelSummary = {
      active: { params, unitDays: 7, version: 'bgnbd:1998-06-30', until: '1998-06-30', fittedAt: activated.attemptedAt, customers: 2357, logLikelihood: -9582.4 },
      fits: [activated, failed],
    };
    const chart = modelChart(model)!;
    // The holdout of the fit the active model came from, not of the later failed attempt.
    expect(chart.labels).toEqual(['0', '7+']);
    expect(chart.series.map((s) => s.data)).toEqual([[0.23, 4.9], [0.24, 5.1]]);
    expect(chart.reading).toContain('expected 1400 repeat purchases in the holdout; they made 1343 (+4.3%)');
    const html = render(model);
    expect(html.match(new RegExp(`<h2>${MODEL_SECTION.replace(/[()/]/g, '\\$&')}</h2>`, 'g'))).toHaveLength(1);
    expect(html).toContain('<td>bgnbd:1998-06-30</td>');
    expect(html).toContain('<td>0.243</td><td>4.414</td><td>0.793</td><td>2.426</td><td>-9582.4</td>');
    expect(html).toContain('fit failed: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
  });

  it('without a model says so, and lists the attempts that did not qualify', () => {
    const notYet: FitRecord = { ...failed, status: 'not-qualified', reason: '120 customers with a repeat purchase, fewer than minRepeatCustomers 500' };
    const model: ModelSummary = { fits: [notYet] };
    expect(modelChart(model)).toBeUndefined();
    const html = render(model);
    expect(html).toContain('No model is active yet');
    expect(html).toContain('fewer than minRepeatCustomers 500');
    expect(html).not.toContain('id="c-model-holdout"');
  });
});
