import { IFilter, IVisionLensModel } from '../../../model/tokens';
import { ReportView } from '../ReportView';
import { IEvaluationReport } from '../../../api/types';

const EVIL = '<img src=x onerror="window.__pwned=1">';

function report(): IEvaluationReport {
  return {
    key: 'm1--coco-iou0.5',
    dataset: 'scene',
    model: 'm1',
    protocol: 'coco',
    iou: 0.5,
    params: { plus_one: false },
    stats: { AP: 0.5, AP50: -1 },
    per_class: [
      {
        class: 'cat',
        AP: 0.25,
        precision: 0.5,
        recall: 1,
        tp: 1,
        fp: 1,
        fn: 0,
        num_gt: 1
      },
      {
        class: EVIL,
        AP: 0.75,
        precision: null,
        recall: 0,
        tp: 0,
        fp: 0,
        fn: 1,
        num_gt: 1
      }
    ],
    confusion: {
      labels: ['cat', EVIL, 'background'],
      matrix: [
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0]
      ]
    },
    pr_curves: { cat: { recall: [0, 1], precision: [1, 0.5] } },
    counts: { tp: 1, fp: 2, fn: 1, ignored: 0 },
    warnings: [],
    created_at: '2026-11-22T00:00:00Z',
    latest: true
  };
}

function fakeModel(): IVisionLensModel & { filters: IFilter[] } {
  const filters: IFilter[] = [];
  return {
    filters,
    filter: { tags: { any: ['keep'] } },
    setFilter: (f: IFilter) => filters.push(f),
    classColor: () => '#123456'
  } as unknown as IVisionLensModel & { filters: IFilter[] };
}

describe('ReportView', () => {
  it('renders dataset text as text, never as HTML', () => {
    const view = new ReportView(fakeModel(), report());
    expect(view.node.querySelector('img')).toBeNull();
    expect(view.node.textContent).toContain(EVIL);
    expect((window as any).__pwned).toBeUndefined();
  });

  it('sorts the per-class table when a header is clicked', () => {
    const view = new ReportView(fakeModel(), report());
    const firstClass = () =>
      view.node.querySelector('.jp-VisionLens-evalTable tbody td')?.textContent;
    expect(firstClass()).toBe(EVIL); // AP descending: 0.75 first
    const apHeader = Array.from(view.node.querySelectorAll('th')).find(th =>
      th.textContent?.startsWith('AP')
    ) as HTMLElement;
    apHeader.click();
    expect(firstClass()).toBe('cat');
  });

  it('replaces the shared filter with a confusion cell (the tag filter goes)', () => {
    const model = fakeModel();
    const view = new ReportView(model, report());
    const cells = Array.from(
      view.node.querySelectorAll('.jp-VisionLens-evalConfusion td')
    ) as HTMLElement[];
    // Row EVIL (truth), column cat (prediction): a class confusion.
    const cell = cells.find(
      td => td.title === `${EVIL} → cat: 1`
    ) as HTMLElement;
    cell.click();
    expect(model.filters).toEqual([
      {
        labels: [
          {
            source: 'm1',
            classes: ['cat'],
            eval: {
              key: 'm1--coco-iou0.5',
              status: ['fp'],
              error: ['class_confusion'],
              confused_with: [EVIL]
            }
          }
        ]
      }
    ]);
  });

  it('labels a keypoints report and shows its per-class AR20', () => {
    const keypoints: IEvaluationReport = {
      ...report(),
      key: 'm1--coco-keypoints-iou0.5',
      iou_type: 'keypoints',
      per_class: [
        {
          ...report().per_class[0],
          AP50: 1,
          AP75: 0.5,
          AR20: 0.625
        }
      ]
    };
    const view = new ReportView(fakeModel(), keypoints);
    expect(
      view.node.querySelector('.jp-VisionLens-evalTitle')?.textContent
    ).toBe('m1 · COCO keypoints @0.5');
    const table = view.node.querySelector('.jp-VisionLens-evalTable');
    const headers = Array.from(table?.querySelectorAll('th') ?? []).map(th =>
      (th.textContent ?? '').replace(/ [▼▲]$/, '')
    );
    expect(headers).toEqual([
      'class',
      'AP',
      'AP50',
      'AP75',
      'AR20',
      'precision',
      'recall',
      'tp',
      'fp',
      'fn',
      'num_gt'
    ]);
    const cells = Array.from(table?.querySelectorAll('tbody td') ?? []).map(
      td => td.textContent
    );
    expect(cells.slice(0, 5)).toEqual([
      'cat',
      '0.250',
      '1.000',
      '0.500',
      '0.625'
    ]);
    expect(view.node.textContent).toContain('Precision / recall at OKS 0.5');
  });
});
