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
    created_at: null
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

  it('sets the shared filter from a confusion cell', () => {
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
        tags: { any: ['keep'] },
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
});
