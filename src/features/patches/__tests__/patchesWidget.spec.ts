/**
 * The patches panel draws dataset text as text: a hostile class name is the
 * caption's text, never markup; a click selects the tile.
 */
import { Signal } from '@lumino/signaling';

import { PatchesModel } from '../../../model/patches';
import { versionBrowse } from '../../../model/versionBrowse';
import {
  ILabelVersion,
  IPatch,
  IPatchesPage,
  IVisionLensModel
} from '../../../model/tokens';
import { PatchesWidget } from '../PatchesWidget';
import { patchCaption } from '../patchTiles';
import { frame, patchTiles, showPatches } from './showPatches';

const HOSTILE = '<img src=x onerror="alert(1)">';

function fakeModel(
  objects: IPatch[],
  shared: number[][],
  sent: unknown[][] = []
): IVisionLensModel {
  const changed = new Signal<unknown, unknown>({});
  return {
    dataset: 'd',
    datasets: [],
    filter: {},
    dataChanged: changed,
    notifyDataChanged: (change: unknown) => changed.emit(change),
    refreshDatasets: async () => [],
    currentInfo: { models: [{ name: 'det' }] },
    filterChanged: new Signal<unknown, unknown>({}),
    selectionChanged: new Signal<unknown, unknown>({}),
    datasetChanged: new Signal<unknown, unknown>({}),
    setSelection: (ids: Iterable<number>) => shared.push([...ids]),
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
      patchSamples: async (_: string, ids: number[]) => ids.map(i => i * 10),
      cropUrl: (_: string, annId: number) => `/crop/${annId}`,
      getDataset: async () => ({ categories: ['cat', HOSTILE] }),
      applyEdits: async (_: string, operations: unknown[]) => {
        sent.push(operations);
        return { applied: 1, annotations: 1, batch: sent.length, kind: 'edit' };
      }
    }
  } as unknown as IVisionLensModel;
}

const hostile: IPatch = {
  ann_id: 7,
  sample_id: 70,
  source: 'det',
  label: HOSTILE,
  x: 0,
  y: 0,
  w: 5,
  h: 5,
  score: 0.876,
  area: 25,
  iscrowd: false,
  attributes: {},
  file_name: '<b>f</b>.jpg',
  image_width: 10,
  image_height: 10,
  bbox: [0, 0, 5, 5],
  tags: [],
  crop: null,
  status: 'fp',
  iou: null
};

describe('PatchesWidget', () => {
  it("offers each model's objects and evaluation, and each semantic model's regions", async () => {
    const model = fakeModel([hostile], []);
    (model as { currentInfo: unknown }).currentInfo = {
      models: [
        { name: 'det', format: 'coco' },
        { name: 'seg', format: 'semantic' },
        { name: 'pan', format: 'coco-panoptic' }
      ]
    };
    const widget = new PatchesWidget(new PatchesModel(model), () => undefined);
    await showPatches(widget);
    const kind = widget.node.querySelector(
      '.jp-VisionLens-patchesKind'
    ) as HTMLSelectElement;
    expect([...kind.options].map(o => o.value)).toEqual([
      'objects:ground_truth',
      'objects:det',
      'evaluation:det',
      'regions:seg'
    ]);
    widget.dispose();
  });

  it('writes the class, score and status as text and selects on click', async () => {
    const shared: number[][] = [];
    const widget = new PatchesWidget(
      new PatchesModel(fakeModel([hostile], shared)),
      () => undefined
    );
    await showPatches(widget);
    const tile = patchTiles(widget)[0];
    expect(tile.getAttribute('role')).toBe('gridcell');
    expect(tile.getAttribute('aria-selected')).toBe('false');
    const caption = tile.querySelector('.jp-VisionLens-patchCaption')!;
    expect(caption.textContent).toBe(`${HOSTILE} · 0.88 · FP`);
    expect(caption.children.length).toBe(0);
    expect(tile.querySelectorAll('img').length).toBe(1); // only the crop
    expect(tile.querySelector('img')!.getAttribute('src')).toBe('/crop/7');
    expect(tile.title).toBe('<b>f</b>.jpg (object 7)');
    expect(tile.classList.contains('jp-mod-fp')).toBe(true);
    const kinds = [
      ...widget.node.querySelectorAll('.jp-VisionLens-patchesKind option')
    ];
    expect(kinds.map(o => o.textContent)).toEqual([
      'Ground truth',
      'Predictions: det',
      'Evaluation: det'
    ]);

    expect(
      widget.node.querySelector('.jp-VisionLens-patchesCount')!.textContent
    ).toBe('1 object');

    const img = tile.querySelector('img');
    tile.click();
    await frame();
    expect(shared).toEqual([[70]]);
    const again = patchTiles(widget)[0];
    expect(again.classList.contains('jp-mod-selected')).toBe(true);
    expect(again.getAttribute('aria-selected')).toBe('true');
    expect(again.querySelector('img')).toBe(img); // the crop is not loaded again
    widget.dispose();
  });

  it('captions a flagged label issue', () => {
    expect(
      patchCaption({
        ...hostile,
        label: 'cat',
        status: undefined,
        score: null,
        lq_flagged: true,
        lq_issue: 'badly_located'
      })
    ).toBe('cat · badly located');
  });

  it('captions the object tags as text', () => {
    expect(
      patchCaption({
        ...hostile,
        status: undefined,
        score: null,
        tags: ['a', HOSTILE]
      })
    ).toBe(`${HOSTILE} · #a · #${HOSTILE}`);
  });

  it('edits the selected patches in bulk: one batch over their ids', async () => {
    const shared: number[][] = [];
    const sent: unknown[][] = [];
    const truth = {
      ...hostile,
      ann_id: 8,
      sample_id: 80,
      source: 'ground_truth'
    };
    const widget = new PatchesWidget(
      new PatchesModel(fakeModel([hostile, truth], shared, sent)),
      () => undefined
    );
    await showPatches(widget);
    const row = widget.node.querySelector(
      '.jp-VisionLens-patchesEdits'
    ) as HTMLElement;
    expect(row.hidden).toBe(true);
    const tiles = patchTiles(widget);
    tiles[1].click(); // the ground-truth object: nothing to accept
    await new Promise(r => setTimeout(r, 0));
    const accept = row.querySelector(
      '.jp-VisionLens-patchesAccept'
    ) as HTMLButtonElement;
    expect(row.hidden).toBe(false);
    expect(accept.disabled).toBe(true);
    patchTiles(widget)[0].click();
    await new Promise(r => setTimeout(r, 0));
    expect(
      row.querySelector('.jp-VisionLens-patchesSelected')!.textContent
    ).toBe('2 selected');
    expect(accept.disabled).toBe(false);
    const classes = [
      ...row.querySelectorAll('.jp-VisionLens-patchesClass option')
    ];
    expect(classes.map(o => o.textContent)).toEqual(['cat', HOSTILE]);

    const select = row.querySelector(
      '.jp-VisionLens-patchesClass'
    ) as HTMLSelectElement;
    select.value = HOSTILE;
    (
      row.querySelector('.jp-VisionLens-patchesRelabel') as HTMLButtonElement
    ).click();
    accept.click(); // the prediction only
    (
      row.querySelector('.jp-VisionLens-patchesTagInput') as HTMLInputElement
    ).value = ' check ';
    (
      row.querySelector('.jp-VisionLens-patchesTag') as HTMLButtonElement
    ).click();
    await new Promise(r => setTimeout(r, 0));
    expect(sent).toEqual([
      [{ op: 'relabel', annotation_ids: [8, 7], label: HOSTILE }],
      [{ op: 'accept', annotation_ids: [7] }],
      [{ op: 'tag', annotation_ids: [8, 7], tag: 'check' }]
    ]);
    expect(
      row.querySelector('.jp-VisionLens-patchesEditMessage')!.textContent
    ).toMatch(/^Changed 2 objects \(edit 3\)\.$/);
    widget.dispose();
  });

  it('shows the read-only banner while a version is browsed', () => {
    const model = fakeModel([hostile], []);
    const widget = new PatchesWidget(new PatchesModel(model), () => undefined);
    const banner = widget.node.querySelector(
      '.jp-VisionLens-versionBanner'
    ) as HTMLElement;
    expect(banner.classList).toContain('lm-mod-hidden');
    const v2 = {
      version: 2,
      message: '',
      created_at: '2026-11-25T10:00:00Z'
    } as ILabelVersion;
    versionBrowse(model).browse('d', v2);
    expect(banner.classList).not.toContain('lm-mod-hidden');
    expect(banner.textContent).toContain('Version 2 (read-only)');
    versionBrowse(model).browse('d', null);
    expect(banner.classList).toContain('lm-mod-hidden');
  });
});
