import { cellLabelFilter } from '../../evaluation/logic';
import { describeFilter } from '../chips';
import { IFilter } from '../../../model/tokens';

/**
 * One example of every kind of condition, with the words its chip shows. The
 * type asks for every key of the filter JSON: a new kind needs an example here.
 */
const EXAMPLES: { [K in keyof Required<IFilter>]: [IFilter, string[]][] } = {
  ids: [[{ ids: [3, 1] }, ['2 chosen samples']]],
  sample: [
    [{ sample: { split: { in: ['val'] } } }, ['split is val']],
    [
      { sample: { 'fields.weather': { in: ['rain', 'fog', 'snow'] } } },
      ['fields.weather is rain, fog or snow']
    ],
    [{ sample: { width: { min: 100, max: 640 } } }, ['width 100–640']],
    [
      { sample: { file_name: { contains: 'cat' } } },
      ['file name contains “cat”']
    ],
    [{ sample: { 'fields.ok': { eq: true } } }, ['fields.ok is true']],
    [
      { sample: { 'fields.note': { is_null: true } } },
      ['fields.note is empty']
    ],
    [
      { sample: { 'computed.dup_count': { min: 1 } } },
      ['computed.dup_count ≥ 1']
    ]
  ],
  tags: [
    [
      { tags: { any: ['a', 'b'], all: ['c', 'd'], none: ['e'] } },
      ['tagged a or b', 'tagged c and d', 'not tagged e']
    ]
  ],
  labels: [
    [
      { labels: [{ source: 'ground_truth', classes: ['car'] }] },
      ['class is car (ground truth)']
    ],
    [
      { labels: [{ source: 'yolo', score: { min: 0.5 } }] },
      ['score ≥ 0.5 (model yolo)']
    ],
    [
      {
        labels: [
          { type: ['mask', 'keypoints'], where: { mask_area: { max: 9 } } }
        ]
      },
      ['with mask or keypoints; mask area ≤ 9']
    ],
    [
      { labels: [{ where: { 'attributes.truncated': { in: ['true'] } } }] },
      ['attributes.truncated is true']
    ],
    [
      {
        labels: [
          {
            source: 'yolo',
            eval: { key: 'k1', status: ['fp'], iou: { min: 0.5 } }
          }
        ]
      },
      ['match is FP; IoU ≥ 0.5 (model yolo)']
    ],
    [
      {
        labels: [
          { source: 'yolo', eval: { model: 'yolo', status: ['tp', 'fn'] } }
        ]
      },
      ['match is TP or FN; latest evaluation of yolo (model yolo)']
    ],
    [
      {
        labels: [
          { source: 'ground_truth', eval: { key: 'k1', tide: ['Miss'] } }
        ]
      },
      ['TIDE error is Miss (ground truth)']
    ],
    [
      { labels: [{ measured: { size: ['small'], area: { min: 4 } } }] },
      ['size is small; area ≥ 4']
    ],
    [{ labels: [{ future_kind: { x: 1 } }] }, ['future_kind condition']]
  ],
  box_count: [
    [
      { box_count: [{ min: 2 }, { source: 'yolo', max: 0, classes: ['cat'] }] },
      ['boxes ≥ 2', 'cat boxes ≤ 0 (model yolo)']
    ]
  ],
  classifications: [
    [
      {
        classifications: [
          { source: 'ground_truth' },
          { source: 'clf', classes: ['cat'], score: { min: 0.25 } },
          { source: 'clf', differs_from_ground_truth: false }
        ]
      },
      [
        'has image label (ground truth)',
        'image label is cat; image label score ≥ 0.25 (model clf)',
        'image label agrees with ground truth (model clf)'
      ]
    ]
  ]
};

describe('condition texts', () => {
  for (const [kind, cases] of Object.entries(EXAMPLES)) {
    it(`reads ${kind} conditions as words`, () => {
      for (const [filter, texts] of cases) {
        const chips = describeFilter(filter);
        expect(chips.map(c => c.text)).toEqual(texts);
        for (const chip of chips) {
          expect(chip.text).not.toMatch(/[{}[\]"]/); // never raw JSON
        }
      }
    });
  }

  it('reads every confusion-matrix cell as words', () => {
    const report = { key: 'k1', model: 'yolo' };
    const text = (truth: string, predicted: string) =>
      describeFilter({
        labels: [cellLabelFilter(report, truth, predicted)!]
      }).map(c => c.text);
    expect(text('cat', 'cat')).toEqual([
      'class is cat; match is TP (model yolo)'
    ]);
    expect(text('cat', 'dog')).toEqual([
      'class is dog; match is FP; error is class confusion; confused with cat (model yolo)'
    ]);
    expect(text('background', 'dog')).toEqual([
      'class is dog; match is FP; error is duplicate, localization or background (model yolo)'
    ]);
    expect(text('cat', 'background')).toEqual([
      'class is cat; match is FN; not a class confusion (ground truth)'
    ]);
  });
});
