/**
 * What a patch tile draws over its crop (`patchLabels`): the object's mask
 * and keypoints, a true positive's pair of boxes, nothing for a bare box; and
 * the tile drawing them through the grid's label layers over the crop's
 * region (jsdom has no canvas: a recording context checks the mapping; the
 * pixels are checked in a browser, ui-tests/tests/patches.spec.ts).
 */
import { Signal } from '@lumino/signaling';

import { PatchesModel } from '../../../model/patches';
import { patchLabels } from '../../../model/patchLabels';
import { IPatch, IPatchesPage, IVisionLensModel } from '../../../model/tokens';
import { PatchesWidget } from '../PatchesWidget';
import { patchTiles, showPatches } from './showPatches';

const BOX: IPatch = {
  ann_id: 5,
  sample_id: 50,
  source: 'det',
  label: 'cat',
  x: 40,
  y: 30,
  w: 20,
  h: 10,
  score: 0.9,
  area: 200,
  iscrowd: false,
  attributes: {},
  file_name: 'a.jpg',
  image_width: 100,
  image_height: 80,
  bbox: [40, 30, 20, 10],
  tags: [],
  crop: [35, 25, 30, 20]
};

const POLYGON = [[40, 30, 60, 30, 60, 40]];

const PAIR: IPatch = {
  ...BOX,
  status: 'tp',
  iou: 0.834,
  matched_ann_id: 4,
  crop_with: 4,
  match: {
    ann_id: 4,
    source: 'ground_truth',
    iou: 0.834,
    label: 'cat',
    x: 44,
    y: 28,
    w: 20,
    h: 14,
    score: null
  },
  crop: [30, 20, 40, 30]
};

/** A false positive and the ground truth of another class it was confused with. */
const CONFUSED: IPatch = {
  ...PAIR,
  ann_id: 6,
  label: 'dog',
  status: 'fp',
  iou: 0.61,
  error_type: 'class_confusion',
  confused_with: 'cat',
  crop_with: 4,
  match: { ...PAIR.match!, iou: 0.61 }
};

/** A missed ground truth and the prediction that best overlaps it (no match: no IoU of its own). */
const MISSED: IPatch = {
  ...BOX,
  ann_id: 7,
  source: 'ground_truth',
  score: null,
  status: 'fn',
  iou: null,
  matched_ann_id: null,
  crop_with: 8,
  match: {
    ann_id: 8,
    source: 'det',
    iou: 0.42,
    label: 'dog',
    x: 46,
    y: 33,
    w: 22,
    h: 12,
    score: 0.7
  },
  crop: [30, 20, 45, 30]
};

describe('patchLabels', () => {
  it('draws nothing over a bare box, or without the crop region', () => {
    expect(patchLabels(BOX)).toBeNull();
    expect(
      patchLabels({ ...BOX, segmentation: POLYGON, crop: null })
    ).toBeNull();
    expect(
      patchLabels({ ...BOX, keypoints: [1, 2, 2], image_width: null })
    ).toBeNull();
  });

  it("draws the object's mask and keypoints over its crop, not its box", () => {
    const labels = patchLabels({
      ...BOX,
      segmentation: POLYGON,
      keypoints: [45, 35, 2]
    });
    expect(labels).not.toBeNull();
    expect(labels!.region).toEqual([35, 25, 30, 20]);
    expect([labels!.width, labels!.height]).toEqual([100, 80]);
    expect([...labels!.shown].sort()).toEqual(['keypoints', 'masks']);
    expect(labels!.annotations).toEqual([
      expect.objectContaining({
        ann_id: 5,
        source: 'det',
        bbox: [40, 30, 20, 10],
        segmentation: POLYGON,
        keypoints: [45, 35, 2]
      })
    ]);
  });

  it('draws a true positive as the pair: the matched ground truth and the prediction', () => {
    const labels = patchLabels(PAIR)!;
    expect(labels.shown.has('boxes')).toBe(true);
    expect(labels.annotations.map(a => [a.ann_id, a.source, a.status])).toEqual(
      [
        [4, 'ground_truth', 'tp'],
        [5, 'det', 'tp']
      ]
    );
    expect(labels.annotations[0].bbox).toEqual([44, 28, 20, 14]);
    // a match the server did not crop as a pair is drawn as its object alone
    expect(patchLabels({ ...PAIR, crop_with: undefined })).toBeNull();
  });

  it('draws a false positive with its explaining ground truth, a miss with its prediction', () => {
    const fp = patchLabels(CONFUSED)!;
    expect(fp.shown.has('boxes')).toBe(true);
    // the partner in its class colour (no status), the patch in its own
    expect(
      fp.annotations.map(a => [a.ann_id, a.source, a.label, a.status])
    ).toEqual([
      [4, 'ground_truth', 'cat', null],
      [6, 'det', 'dog', 'fp']
    ]);
    const fn = patchLabels(MISSED)!;
    expect(fn.annotations.map(a => [a.ann_id, a.source, a.status])).toEqual([
      [8, 'det', null],
      [7, 'ground_truth', 'fn']
    ]);
    expect(fn.annotations[0].bbox).toEqual([46, 33, 22, 12]);
    expect(fn.annotations[0].score).toBe(0.7);
    expect(fn.region).toEqual([30, 20, 45, 30]);
    // a partner another than the crop's is not drawn over it
    expect(patchLabels({ ...MISSED, crop_with: 9 })).toBeNull();
  });
});

function fakeModel(objects: IPatch[]): IVisionLensModel {
  const changed = new Signal<unknown, unknown>({});
  return {
    dataset: 'd',
    datasets: [],
    filter: {},
    dataChanged: changed,
    currentInfo: { models: [{ name: 'det' }] },
    filterChanged: new Signal<unknown, unknown>({}),
    selectionChanged: new Signal<unknown, unknown>({}),
    datasetChanged: new Signal<unknown, unknown>({}),
    classColor: (label: string) => (label === 'cat' ? '#aa0000' : '#00aa00'),
    setSelection: () => undefined,
    client: {
      listEvaluations: async () => [],
      queryPatches: async (): Promise<IPatchesPage> => ({
        total: objects.length,
        offset: 0,
        limit: 60,
        kind: 'evaluation',
        source: 'det',
        lq_model: null,
        version: null,
        evaluation: null,
        objects
      }),
      cropUrl: (
        _: string,
        annId: number,
        size: number,
        context: number,
        pair?: number
      ) => `/crop/${annId}?with=${pair}`,
      getDataset: async () => ({ categories: ['cat'] })
    }
  } as unknown as IVisionLensModel;
}

describe('patch tiles', () => {
  let transforms: number[][] = [];
  beforeEach(() => {
    transforms = [];
    const ctx = new Proxy({} as { [key: string]: unknown }, {
      get: (target, name: string) =>
        name in target
          ? target[name]
          : name === 'setTransform'
            ? (...args: number[]) => transforms.push(args)
            : () => undefined,
      set: (target, name: string, value) => {
        target[name] = value;
        return true;
      }
    });
    jest
      .spyOn(HTMLCanvasElement.prototype, 'getContext')
      .mockImplementation(() => ctx as never);
    (globalThis as { Path2D?: unknown }).Path2D = class {
      moveTo() {}
      lineTo() {}
      closePath() {}
    };
  });
  afterEach(() => jest.restoreAllMocks());

  it('draws a pair in one tile: two outlines over the crop of both, the IoU as text', async () => {
    const widget = new PatchesWidget(
      new PatchesModel(fakeModel([PAIR, BOX])),
      () => undefined
    );
    await showPatches(widget);
    const [pair, bare] = patchTiles(widget);
    expect(pair.querySelector('img')!.getAttribute('src')).toBe(
      '/crop/5?with=4'
    );
    const svg = pair.querySelector('svg.jp-VisionLens-overlay')!;
    expect(svg.getAttribute('viewBox')).toBe('30 20 40 30');
    const boxes = [...svg.querySelectorAll('g.jp-VisionLens-box')];
    expect(boxes.map(g => g.getAttribute('class'))).toEqual([
      'jp-VisionLens-box jp-mod-gt jp-mod-tp',
      'jp-VisionLens-box jp-mod-pred jp-mod-tp'
    ]);
    const rects = boxes.map(g => g.querySelector('rect')!);
    expect(rects[0].getAttribute('stroke-dasharray')).toBeNull(); // solid
    expect(rects[1].getAttribute('stroke-dasharray')).toBeTruthy(); // dashed
    expect(pair.querySelector('.jp-VisionLens-patchIoU')!.textContent).toBe(
      'IoU 0.83'
    );
    // a bare box: the crop alone, no label layers, no IoU
    expect(
      bare.querySelector('canvas, svg, .jp-VisionLens-patchIoU')
    ).toBeNull();
    widget.dispose();
  });

  it("draws an FP's and an FN's pair: the crop with the partner, solid ground truth, dashed prediction, the IoU", async () => {
    const widget = new PatchesWidget(
      new PatchesModel(fakeModel([CONFUSED, MISSED])),
      () => undefined
    );
    await showPatches(widget);
    const [fp, fn] = patchTiles(widget);
    expect(fp.querySelector('img')!.getAttribute('src')).toBe('/crop/6?with=4');
    expect(fn.querySelector('img')!.getAttribute('src')).toBe('/crop/7?with=8');
    const classes = (tile: Element) =>
      [...tile.querySelectorAll('g.jp-VisionLens-box')].map(g =>
        g.getAttribute('class')
      );
    expect(classes(fp)).toEqual([
      'jp-VisionLens-box jp-mod-gt',
      'jp-VisionLens-box jp-mod-pred jp-mod-fp'
    ]);
    expect(classes(fn)).toEqual([
      'jp-VisionLens-box jp-mod-pred',
      'jp-VisionLens-box jp-mod-gt jp-mod-fn'
    ]);
    const fnRects = [...fn.querySelectorAll('g.jp-VisionLens-box rect')];
    expect(fnRects[0].getAttribute('stroke-dasharray')).toBeTruthy(); // the prediction
    expect(
      fp.querySelector('g.jp-mod-gt rect')!.getAttribute('stroke-dasharray')
    ).toBeNull();
    // the miss has no IoU of its own: the badge is the pair's
    expect(fp.querySelector('.jp-VisionLens-patchIoU')!.textContent).toBe(
      'IoU 0.61'
    );
    expect(fn.querySelector('.jp-VisionLens-patchIoU')!.textContent).toBe(
      'IoU 0.42'
    );
    widget.dispose();
  });

  it('draws a flagged label with the prediction it disagrees with: both classes, its score', async () => {
    const swapped: IPatch = {
      ...BOX,
      ann_id: 9,
      source: 'ground_truth',
      label: 'diamond',
      score: null,
      lq_issue: 'swapped',
      lq_score: 0.1,
      lq_flagged: true,
      crop_with: 10,
      match: {
        ann_id: 10,
        source: 'det',
        iou: 0.9,
        label: 'square',
        x: 41,
        y: 30,
        w: 20,
        h: 10,
        score: 0.93
      },
      crop: [30, 20, 40, 30]
    };
    const widget = new PatchesWidget(
      new PatchesModel(fakeModel([swapped, PAIR])),
      () => undefined
    );
    await showPatches(widget);
    const [tile, tp] = patchTiles(widget);
    expect(tile.querySelector('img')!.getAttribute('src')).toBe(
      '/crop/9?with=10'
    );
    const text = (t: Element) =>
      [...t.querySelectorAll('g.jp-VisionLens-box text')].map(
        x => x.textContent
      );
    expect(text(tile).sort()).toEqual(['diamond', 'square 0.93']);
    expect(
      tile.querySelector('g.jp-mod-pred rect')!.getAttribute('stroke-dasharray')
    ).toBeTruthy();
    // an evaluation pair keeps its outlines without class text
    expect(text(tp)).toEqual([]);
    widget.dispose();
  });

  it("maps the crop's region onto the tile's canvas for a mask", async () => {
    const masked = { ...BOX, segmentation: POLYGON };
    const widget = new PatchesWidget(
      new PatchesModel(fakeModel([masked])),
      () => undefined
    );
    await showPatches(widget);
    const tile = patchTiles(widget)[0];
    expect(
      tile.querySelector('canvas.jp-VisionLens-labelCanvas')
    ).not.toBeNull();
    const ratio = window.devicePixelRatio || 1;
    // region 30 x 20 at (35, 25) fit into 128 x 128: scale 128 / 30, centred
    const scale = 128 / 30;
    const oy = (128 - 20 * scale) / 2 - 25 * scale;
    const last = transforms[transforms.length - 1];
    expect(last[0]).toBeCloseTo(ratio * scale);
    expect(last[4]).toBeCloseTo(ratio * -35 * scale);
    expect(last[5]).toBeCloseTo(ratio * oy);
    widget.dispose();
  });
});
