/**
 * The quality panel draws its rows from the overview (a count per issue type,
 * its worst example, its code behind a toggle) and says what the scores are
 * (disagreements with the model); dataset text is text: a hostile model or
 * class name is an option's, a note's and an example's text, never markup.
 * The open-patches arguments a row gives are what the patches plugin turns
 * into its choice.
 */
import { Signal } from '@lumino/signaling';

import { ILabelIssueRow, IQualityOverview } from '../../../model/tokens';
import { choiceOf } from '../../patches/plugin';
import { patchesArgs, QualityModel } from '../../../model/quality';
import { QualityPanel } from '../QualityPanel';

const HOSTILE = '<img src=x onerror="alert(1)">';

const OVERVIEW: IQualityOverview = {
  dataset: 'd',
  models: [{ name: HOSTILE, kind: 'objects', scorable: true, reason: null }],
  scored: [HOSTILE],
  model: HOSTILE,
  label: {
    kind: 'objects',
    model: HOSTILE,
    created_at: '2026-01-01T00:00:00',
    thresholds: {},
    objects: 1234,
    images: 300,
    issues: [
      {
        issue: 'badly_located',
        count: 5,
        filter: { labels: [{ source: 'ground_truth' }] },
        source: 'ground_truth',
        sort: 'lq_score',
        order: 'asc',
        lq_model: HOSTILE,
        code: "vl.dataset('d').patches()",
        example: {
          ann_id: 7,
          sample_id: 3,
          source: 'ground_truth',
          label: HOSTILE,
          x: 10,
          y: 10,
          w: 20,
          h: 20,
          score: null,
          area: 400,
          iscrowd: false,
          attributes: {},
          file_name: 'a.jpg',
          image_width: 100,
          image_height: 100,
          bbox: [10, 10, 20, 20],
          tags: [],
          crop: [0, 0, 60, 60],
          crop_with: 8,
          lq_issue: 'badly_located',
          lq_score: 0.3,
          lq_flagged: true,
          match: {
            ann_id: 8,
            source: HOSTILE,
            label: HOSTILE,
            x: 20,
            y: 10,
            w: 20,
            h: 20,
            score: 0.91,
            iou: 0.33
          }
        }
      }
    ]
  },
  image: null
};

const TOP_LABEL_ONLY = 'only a top label per image, no per-class scores';

/** A classification model scored, and one with top labels only (not scorable). */
const CLASSIFICATION: IQualityOverview = {
  dataset: 'd',
  models: [
    { name: 'clf', kind: 'classification', scorable: true, reason: null },
    {
      name: 'top1',
      kind: 'classification',
      scorable: false,
      reason: TOP_LABEL_ONLY
    }
  ],
  scored: ['clf'],
  model: 'clf',
  label: {
    kind: 'classification',
    model: 'clf',
    created_at: '2026-01-01T00:00:00',
    thresholds: {},
    objects: 0,
    images: 120,
    issues: [
      {
        issue: 'mislabeled',
        count: 4,
        filter: { sample: { 'computed.lq_class_mislabeled': { min: 1 } } },
        sort: 'computed.lq_class_score',
        order: 'asc',
        code: "vl.dataset('d').samples(...)"
      }
    ]
  },
  image: null
};

/** A semantic-mask model scored: its flagged regions, per class (one hostile). */
const SEMANTIC: IQualityOverview = {
  dataset: 'd',
  models: [{ name: 'net', kind: 'semantic', scorable: true, reason: null }],
  scored: ['net'],
  model: 'net',
  label: {
    kind: 'semantic',
    model: 'net',
    created_at: '2026-01-01T00:00:00',
    thresholds: {},
    objects: 0,
    images: 16,
    issues: [
      {
        issue: 'mislabeled_region',
        count: 3,
        classes: [
          { class: HOSTILE, count: 2 },
          { class: 'road', count: 1 }
        ],
        filter: {
          sample: { semantic_regions: { model: 'net', flagged: true } }
        },
        kind: 'regions',
        model: 'net',
        sort: 'score',
        order: 'asc',
        code: "vl.dataset('d').patches(kind='regions')"
      }
    ]
  },
  image: null
};

function panel(
  answer: IQualityOverview = OVERVIEW,
  shared: { [key: string]: unknown } = {},
  opened: unknown[] = []
): QualityPanel {
  const fake = {
    dataset: 'd',
    currentInfo: { models: [{ name: HOSTILE }] },
    classColor: () => '#f00',
    datasetChanged: new Signal<unknown, unknown>({}),
    dataChanged: new Signal<unknown, unknown>({}),
    client: {
      cropUrl: (
        _: string,
        id: number,
        size: number,
        __: number,
        pair?: number
      ) => `crop/${id}?size=${size}&with=${pair}`,
      qualityOverview: async (_: string, model: string | null) =>
        model && model !== answer.model
          ? { ...answer, model, label: null }
          : answer
    },
    ...shared
  };
  const quality = new QualityModel(fake as any, {
    patches: async args => opened.push(args),
    grid: async () => undefined
  });
  return new QualityPanel(quality);
}

describe('QualityPanel', () => {
  it('shows a row per issue: its count as a disagreement, its worst example, its code on request', async () => {
    const widget = panel();
    await widget.load();
    const rows = widget.node.querySelectorAll('.jp-VisionLens-qualityRow');
    expect(rows.length).toBe(1);
    expect(rows[0].getAttribute('data-count')).toBe('5');
    expect(
      rows[0].querySelector('.jp-VisionLens-qualityOpen')?.textContent
    ).toBe('Box placed differently: 5');
    const option = widget.node.querySelector('option');
    expect(option?.textContent).toBe(HOSTILE);
    expect(widget.node.textContent).toContain(
      `5 possible label issues (disagreements with ${HOSTILE})`
    );
    expect(widget.node.textContent).toContain(
      `1,234 labels and predictions compared with ${HOSTILE}`
    );
    expect(widget.node.textContent).not.toContain('label errors');

    // the worst example: its crop with the prediction it disagrees with, and in words
    const example = rows[0].querySelector('.jp-VisionLens-qualityExample')!;
    expect(example.getAttribute('data-match-id')).toBe('8');
    expect(example.querySelector('img')?.getAttribute('src')).toBe(
      'crop/7?size=128&with=8'
    );
    expect(
      example.querySelector('.jp-VisionLens-qualityExampleText')?.textContent
    ).toBe(
      `Worst: ${HOSTILE}'s '${HOSTILE}' (0.91) overlaps the label '${HOSTILE}' at IoU 0.33 only`
    );
    const drawn = [...example.querySelectorAll('text')].map(t => t.textContent);
    expect(drawn).toContain(`${HOSTILE} 0.91`); // the prediction's class and score
    expect(example.querySelector('rect[stroke-dasharray]')).not.toBeNull();

    // the code: hidden until its toggle is clicked, and kept shown on a render
    const code = rows[0].querySelector(
      '.jp-VisionLens-qualityCode'
    ) as HTMLElement;
    const toggle = rows[0].querySelector(
      '.jp-VisionLens-qualityCodeToggle'
    ) as HTMLButtonElement;
    expect(code.hidden).toBe(true);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    toggle.click();
    expect(code.hidden).toBe(false);
    expect(code.querySelector('code')?.textContent).toContain(
      "vl.dataset('d').patches()"
    );
    await widget.load();
    const again = widget.node.querySelector('.jp-VisionLens-qualityRow')!;
    expect(
      (again.querySelector('.jp-VisionLens-qualityCode') as HTMLElement).hidden
    ).toBe(false);
    // no markup from dataset text anywhere
    expect(widget.node.querySelector('[onerror]')).toBeNull();
    expect(
      widget.node.querySelector('.jp-VisionLens-qualityImageRows')?.children
    ).toHaveLength(0);
    expect(widget.node.textContent).toContain('No image quality yet.');
  });

  it("offers a classification model's mislabelled images; lists one it cannot score, with why", async () => {
    const calls: string[] = [];
    const widget = panel(CLASSIFICATION, {
      setRowKind: (kind: string) => calls.push(`rows ${kind}`),
      setFilter: (f: unknown) => calls.push(`filter ${JSON.stringify(f)}`),
      setSort: (s: { field: string; order: string }) =>
        calls.push(`sort ${s.field} ${s.order}`)
    });
    await widget.load();
    const options = [...widget.node.querySelectorAll('option')];
    expect(options.map(o => [o.value, o.textContent, o.disabled])).toEqual([
      ['clf', 'clf', false],
      ['top1', 'top1 (cannot be scored)', true]
    ]);
    expect(options[1].title).toBe(TOP_LABEL_ONLY);
    expect(widget.node.textContent).toContain(
      '4 possible label issues (disagreements with clf)'
    );
    expect(widget.node.textContent).toContain(
      "120 image labels compared with clf's class probabilities"
    );
    const rows = widget.node.querySelectorAll('.jp-VisionLens-qualityRow');
    expect(rows).toHaveLength(1);
    const open = rows[0].querySelector(
      '.jp-VisionLens-qualityOpen'
    ) as HTMLButtonElement;
    expect(open.textContent).toBe('Labelled as another class: 4');
    open.click();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(calls).toEqual([
      'rows samples',
      `filter ${JSON.stringify(CLASSIFICATION.label!.issues[0].filter)}`,
      'sort computed.lq_class_score asc'
    ]);

    // chosen anyway (e.g. the last choice): the reason, and no run button
    await widget.quality.choose('top1');
    expect(widget.node.textContent).toContain(
      `top1 cannot be scored: ${TOP_LABEL_ONLY}.`
    );
    const run = widget.node.querySelector(
      '.jp-VisionLens-qualityRunLabel'
    ) as HTMLButtonElement;
    expect(run.hidden).toBe(true);
    widget.dispose();
  });

  it("opens a semantic run's flagged regions as patches, worst first, counted per class", async () => {
    const filters: unknown[] = [];
    const opened: unknown[] = [];
    const widget = panel(
      SEMANTIC,
      { setFilter: (f: unknown) => filters.push(f) },
      opened
    );
    await widget.load();
    expect(widget.node.textContent).toContain(
      '3 possible label issues (disagreements with net)'
    );
    expect(widget.node.textContent).toContain(
      "16 label maps compared with net's masks"
    );
    const rows = widget.node.querySelectorAll('.jp-VisionLens-qualityRow');
    expect(rows).toHaveLength(1);
    const classes = rows[0].querySelector('.jp-VisionLens-qualityClasses');
    expect(classes?.textContent).toBe(`${HOSTILE}: 2 · road: 1`);
    expect(widget.node.querySelector('[onerror]')).toBeNull(); // text, never markup
    const open = rows[0].querySelector(
      '.jp-VisionLens-qualityOpen'
    ) as HTMLButtonElement;
    expect(open.textContent).toBe('Regions predicted as another class: 3');
    open.click();
    await new Promise(resolve => setTimeout(resolve, 0));
    const row = SEMANTIC.label!.issues[0];
    expect(filters).toEqual([row.filter]);
    expect(opened).toEqual([
      {
        kind: 'regions',
        source: 'net',
        sort: 'score',
        order: 'asc',
        lqModel: 'net'
      }
    ]);
    // what the patches plugin makes of them: the regions of net, worst first
    expect(choiceOf(opened[0] as { [key: string]: string })).toEqual({
      kind: 'regions',
      source: 'net',
      sort: 'score',
      order: 'asc',
      lqModel: 'net'
    });
    widget.dispose();
  });

  it('gives the patches plugin the choice of the row', () => {
    const row = OVERVIEW.label!.issues[0];
    expect(OVERVIEW.label!.kind).toBe('objects');
    expect(choiceOf(patchesArgs(row as ILabelIssueRow))).toEqual({
      kind: 'objects',
      source: 'ground_truth',
      sort: 'lq_score',
      order: 'asc',
      lqModel: HOSTILE
    });
    expect(choiceOf({})).toBeNull();
  });

  it('notes a stale run (samples or labels changed since) beside its headline', async () => {
    const stale: IQualityOverview = {
      ...OVERVIEW,
      label: {
        ...OVERVIEW.label!,
        stale: true,
        stale_reason: '4 samples deleted; labels changed since it was computed',
        samples_removed: 4,
        samples_added: 0,
        labels_changed: true
      } as IQualityOverview['label']
    };
    const widget = panel(stale);
    await widget.load();
    expect(widget.node.textContent).toContain(
      'Stale — recompute: 4 samples deleted; labels changed since it was computed.'
    );
    const fresh = panel({
      ...OVERVIEW,
      label: { ...OVERVIEW.label!, stale: false } as IQualityOverview['label']
    });
    await fresh.load();
    expect(fresh.node.textContent).not.toContain('Stale');
  });
});
