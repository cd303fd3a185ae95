import {
  barGeometry,
  formatEffect,
  formatInterval,
  formatQ,
  formatValue,
  gridFilter,
  numbersLine,
  rejectedTests,
  testedLine,
  testLine,
  vlmKappaLine
} from '../format';
import {
  IBlindSpotFinding,
  IBlindSpotsResult
} from '../../../api/blindSpotTypes';

function finding(over: Partial<IBlindSpotFinding> = {}): IBlindSpotFinding {
  return {
    id: 'abc',
    summary: 'Where fields.scene = night, objects are missed more often',
    metric: 'recall',
    slice: [{ attribute: 'fields.scene', value: 'night' }],
    filter: { sample: { 'fields.scene': { in: ['night'] } } },
    value: 0.132,
    baseline: 0.722,
    effect: -0.59,
    ci: [-0.66, -0.51],
    q: 0.00002,
    n: 1234,
    evidence: [3, 1],
    python: "vl.dataset('demo').blind_spots(model='m').loc['abc']",
    ...over
  };
}

describe('number formatting', () => {
  it('keeps 3 significant digits and marks missing values', () => {
    expect(formatValue(0.13245)).toBe('0.132');
    expect(formatValue(12.345)).toBe('12.3');
    expect(formatValue(null)).toBe('–');
    expect(formatValue(NaN)).toBe('–');
  });

  it('signs effects with a real minus', () => {
    expect(formatEffect(-0.5901)).toBe('−0.59');
    expect(formatEffect(0.25)).toBe('+0.25');
    expect(formatEffect(undefined)).toBe('–');
  });

  it('writes tiny q values as a bound', () => {
    expect(formatQ(0.00002)).toBe('< 0.001');
    expect(formatQ(0.0123)).toBe('0.012');
    expect(formatQ(null)).toBe('–');
  });

  it('writes the interval of the effect', () => {
    expect(formatInterval([-0.66, -0.51])).toBe('[−0.66, −0.51]');
    expect(formatInterval([null, 0.1])).toBe('[–, +0.1]');
  });

  it('puts metric, value, baseline, effect, CI, q and N on one line', () => {
    expect(numbersLine(finding())).toBe(
      'Recall 0.132 vs 0.722 · effect −0.59 [−0.66, −0.51] · q < 0.001 · N 1,234'
    );
  });
});

describe('vlmKappaLine', () => {
  it('names each VLM attribute of the slice with its kappa, and is null without one', () => {
    expect(vlmKappaLine(finding())).toBeNull();
    expect(
      vlmKappaLine(finding({ vlm_kappa: { 'computed.vlm_lighting': 0.7234 } }))
    ).toBe(
      "Rests on a VLM's answers (calibrated): computed.vlm_lighting κ 0.72"
    );
  });
});

describe('barGeometry', () => {
  it('scales rates to 0–1 and places the CI around the baseline plus effect', () => {
    const g = barGeometry(finding())!;
    expect(g.value).toBeCloseTo(13.2, 5);
    expect(g.baseline).toBeCloseTo(72.2, 5);
    expect(g.ci![0]).toBeCloseTo(6.2, 5);
    expect(g.ci![1]).toBeCloseTo(21.2, 5);
  });

  it('scales counts to their largest value', () => {
    const g = barGeometry(
      finding({ metric: 'fp_per_image', value: 4, baseline: 1, ci: [2, 4] })
    )!;
    expect(g.ci![1]).toBe(100);
    expect(g.value).toBe(80);
    expect(g.baseline).toBe(20);
  });

  it('clamps an interval outside the scale and drops a missing one', () => {
    const g = barGeometry(finding({ ci: [-0.9, null] }))!;
    expect(g.ci).toBeNull();
    const low = barGeometry(finding({ ci: [-0.9, -0.5] }))!;
    expect(low.ci![0]).toBe(0);
  });

  it('has no bar without both numbers', () => {
    expect(barGeometry(finding({ value: null }))).toBeNull();
  });
});

describe('tested and rejected', () => {
  const base: IBlindSpotsResult = {
    dataset: 'demo',
    model: 'm',
    eval_key: 'k',
    findings: [finding()],
    tested: 1272,
    rejected: [
      { test: 't9', claim: 'fog images are missed', reason: 'not confirmed' }
    ],
    params: { min_n: 50, fdr: 0.05 },
    tests: [
      {
        id: 'a',
        metric: 'recall',
        slice: 's = 1',
        source: 'engine',
        n: 60,
        effect: -0.5,
        q: 0,
        outcome: 'finding'
      },
      {
        id: 'b',
        metric: 'recall',
        slice: 's = 1 and t = 2',
        source: 'engine',
        n: 55,
        effect: -0.4,
        q: 0.01,
        outcome: 'grouped'
      },
      {
        id: 'c',
        metric: 'precision',
        slice: 'weather = fog',
        source: 'agent',
        n: 1200,
        effect: 0.01,
        q: 0.8,
        outcome: 'rejected',
        reason: 'not significant (q >= 0.05 in a half)'
      }
    ]
  };

  it('counts the rejected tests of the ledger', () => {
    expect(rejectedTests(base).map(t => t.id)).toEqual(['c']);
    expect(testedLine(base)).toBe(
      '1,272 slice tests (a metric on a slice of the images, against the rest) · 1 blind spot found · 1 rejected: no significant gap, or not confirmed on the held-out half (listed under “What was tested and rejected”)'
    );
  });

  it("falls back to the agent's rejections for results without the list", () => {
    expect(testedLine({ ...base, tests: undefined })).toBe(
      '1,272 slice tests (a metric on a slice of the images, against the rest) · 1 blind spot found · 1 rejected: no significant gap, or not confirmed on the held-out half (listed under “What was tested and rejected”)'
    );
    expect(testedLine({ ...base, findings: [] })).toContain(
      '· 0 blind spots found ·'
    );
  });

  it('describes one test with its reason', () => {
    expect(testLine(base.tests![2])).toBe(
      'Precision · weather = fog · N 1,200, effect +0.01, q 0.8 — not significant (q >= 0.05 in a half)'
    );
  });
});

describe('gridFilter', () => {
  it('wraps the one label condition of a finding in a list', () => {
    const labels = {
      source: 'ground_truth',
      measured: { size: { in: ['small'] } },
      eval: { key: 'k' }
    };
    const given = {
      sample: { 'fields.scene': { in: ['night'] } },
      labels
    } as any;
    const out = gridFilter(given);
    expect(out).toEqual({ sample: given.sample, labels: [labels] });
    expect(given.labels).toBe(labels); // the finding itself is left alone
  });

  it('keeps lists and filters without labels as they are', () => {
    const f = { labels: [{ source: 'm', classes: ['cat'] }] };
    expect(gridFilter(f)).toEqual(f);
    expect(gridFilter({ sample: { split: { in: ['val'] } } })).toEqual({
      sample: { split: { in: ['val'] } }
    });
  });
});
