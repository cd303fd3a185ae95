import { IFilter, IVisionLensModel } from '../../../model/tokens';
import { ReportView } from '../ReportView';
import { barPercent, tideChart, TIDE_MAIN, TIDE_SPECIAL } from '../tideChart';
import { IEvaluationReport } from '../../../api/types';

const TIDE = {
  main: {
    Cls: 22.246,
    Loc: 0.2279,
    Both: 0,
    Dupe: 0.019,
    Bkg: 0,
    Miss: 8.5236
  },
  special: { FalsePos: 6.8249, FalseNeg: 17.68 },
  ap: 64.20499,
  counts: { Cls: 83, Loc: 1, Both: 0, Dupe: 1, Bkg: 0, Miss: 97 }
};

function report(tide: IEvaluationReport['tide']): IEvaluationReport {
  return {
    key: 'm1--coco-iou0.5',
    dataset: 'scene',
    model: 'm1',
    protocol: 'coco',
    iou: 0.5,
    params: { plus_one: false },
    stats: { AP: 0.5 },
    per_class: [],
    confusion: { labels: ['background'], matrix: [[0]] },
    pr_curves: {},
    counts: { tp: 0, fp: 0, fn: 0, ignored: 0 },
    warnings: [],
    created_at: '2026-11-27T00:00:00Z',
    latest: true,
    tide
  };
}

const model = {
  filter: {},
  setFilter: (f: IFilter) => f,
  classColor: () => '#123456'
} as unknown as IVisionLensModel;

describe('tideChart', () => {
  it('draws one bar per error type in tidecv order, as tidecv prints them', () => {
    const chart = tideChart(TIDE) as HTMLElement;
    const rows = Array.from(chart.querySelectorAll('.jp-VisionLens-tideRow'));
    expect(
      rows.map(r => r.querySelector('.jp-VisionLens-tideName')?.textContent)
    ).toEqual([...TIDE_MAIN, ...TIDE_SPECIAL].map(([name]) => name));
    expect(
      rows.map(r => r.querySelector('.jp-VisionLens-tideValue')?.textContent)
    ).toEqual([
      '22.25',
      '0.23',
      '0.00',
      '0.02',
      '0.00',
      '8.52',
      '6.82',
      '17.68'
    ]);
    const widths = rows.map(
      r =>
        (r.querySelector('.jp-VisionLens-tideBar') as HTMLElement).style.width
    );
    expect(widths[0]).toBe('100%'); // the largest fills the track
    expect(parseFloat(widths[5])).toBeCloseTo((8.5236 / 22.246) * 100, 6);
    expect(widths[2]).toBe('0%');
    expect(rows[6].classList.contains('jp-mod-special')).toBe(true);
    expect(rows[5].classList.contains('jp-mod-special')).toBe(false);
    expect(chart.textContent).toContain('TIDE AP50 64.20');
    expect(chart.textContent).toContain('Miss 97');
  });

  it('scales bars to the largest value, never beyond or below the track', () => {
    expect(barPercent(5, 10)).toBe(50);
    expect(barPercent(0, 0)).toBe(0);
    expect(barPercent(-1, 10)).toBe(0);
    expect(barPercent(12, 10)).toBe(100);
  });

  it('is absent for a report without TIDE, present in the report view', () => {
    expect(tideChart(null)).toBeNull();
    expect(tideChart(undefined)).toBeNull();
    const without = new ReportView(model, report(null));
    expect(without.node.querySelector('.jp-VisionLens-tideChart')).toBeNull();
    const withTide = new ReportView(model, report(TIDE));
    const chart = withTide.node.querySelector('.jp-VisionLens-tideChart');
    expect(chart?.querySelectorAll('.jp-VisionLens-tideRow').length).toBe(8);
    expect(withTide.node.textContent).toContain(
      'TIDE: AP points each error type costs (IoU 0.5)'
    );
  });

  it('opens the objects of a main error type when the report stored them', () => {
    const set: IFilter[] = [];
    const recording = {
      ...model,
      setFilter: (f: IFilter) => set.push(f)
    } as unknown as IVisionLensModel;
    const view = new ReportView(recording, report({ ...TIDE, objects: true }));
    const rows = Array.from(
      view.node.querySelectorAll<HTMLElement>('.jp-VisionLens-tideRow')
    );
    rows[0].click(); // Cls: the model's predictions
    rows[5].dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' })); // Miss
    rows[6].click(); // FalsePos: a special type opens nothing
    expect(set).toEqual([
      {
        labels: [
          { source: 'm1', eval: { key: 'm1--coco-iou0.5', tide: ['Cls'] } }
        ]
      },
      {
        labels: [
          {
            source: 'ground_truth',
            eval: { key: 'm1--coco-iou0.5', tide: ['Miss'] }
          }
        ]
      }
    ]);
    expect(rows[0].getAttribute('role')).toBe('button');
    expect(rows[6].getAttribute('role')).toBeNull();
  });

  it('opens nothing for a report stored before the objects were', () => {
    const set: IFilter[] = [];
    const recording = {
      ...model,
      setFilter: (f: IFilter) => set.push(f)
    } as unknown as IVisionLensModel;
    const view = new ReportView(recording, report(TIDE));
    const row = view.node.querySelector<HTMLElement>('.jp-VisionLens-tideRow');
    row?.click();
    expect(set).toEqual([]);
    expect(row?.title).toContain('evaluate again');
  });
});
