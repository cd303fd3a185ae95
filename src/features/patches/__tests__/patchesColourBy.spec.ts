/**
 * The patches view's "Colour by": the dataset's evaluations, "None" first;
 * choosing one sends it in the patch query (read again from the first
 * object) and each object's status is its caption's text and its tile's
 * colour class. Evaluation patches carry their own status: the control hides.
 */
import { Signal } from '@lumino/signaling';

import { PatchesModel } from '../../../model/patches';
import {
  IEvaluationSummary,
  IPatch,
  IPatchesPage,
  IPatchQuery,
  IVisionLensModel
} from '../../../model/tokens';
import { PatchesWidget } from '../PatchesWidget';
import { frame, patchObject, patchTiles, showPatches } from './showPatches';

const HOSTILE = '<b>m</b>';

const evaluation = (key: string, model: string): IEvaluationSummary => ({
  key,
  model,
  protocol: 'coco',
  iou_type: 'bbox',
  iou: 0.5,
  params: {},
  created_at: '2026-11-27T00:00:00Z',
  latest: true,
  stale: false,
  edited_since: false,
  stats: {}
});

function object(annId: number, status: IPatch['status']): IPatch {
  return patchObject(annId, status === undefined ? {} : { status });
}

/** A model whose pages carry statuses only when the query names an evaluation. */
function fakeModel(queries: IPatchQuery[]): IVisionLensModel {
  const statuses: IPatch['status'][] = ['tp', 'fp', 'fn', null];
  return {
    dataset: 'd',
    datasets: [],
    filter: {},
    dataChanged: new Signal<unknown, unknown>({}),
    currentInfo: { models: [{ name: 'det' }] },
    filterChanged: new Signal<unknown, unknown>({}),
    selectionChanged: new Signal<unknown, unknown>({}),
    datasetChanged: new Signal<unknown, unknown>({}),
    client: {
      listEvaluations: async () => [
        evaluation('ev1', 'det'),
        evaluation('ev2', HOSTILE)
      ],
      queryPatches: async (
        _: string,
        __: unknown,
        query: IPatchQuery
      ): Promise<IPatchesPage> => {
        queries.push(query);
        return {
          total: 4,
          offset: 0,
          limit: 60,
          kind: 'objects',
          source: 'ground_truth',
          lq_model: null,
          version: null,
          evaluation: query.evaluation ?? null,
          objects: statuses.map((s, i) =>
            object(i + 1, query.evaluation ? s : undefined)
          )
        };
      },
      cropUrl: (_: string, annId: number) => `/crop/${annId}`,
      getDataset: async () => ({ categories: ['cat'] })
    }
  } as unknown as IVisionLensModel;
}

const captions = (widget: PatchesWidget) =>
  patchTiles(widget).map(
    t => t.querySelector('.jp-VisionLens-patchCaption')!.textContent
  );

describe('PatchesWidget colour by', () => {
  it('lists the evaluations and colours the objects by the one chosen', async () => {
    const queries: IPatchQuery[] = [];
    const widget = new PatchesWidget(
      new PatchesModel(fakeModel(queries)),
      () => undefined
    );
    await showPatches(widget);
    const select = widget.node.querySelector(
      'select[aria-label="Colour by"]'
    ) as HTMLSelectElement;
    const options = [...select.options];
    expect(options.map(o => o.value)).toEqual(['', 'ev1', 'ev2']);
    expect(options.map(o => o.textContent)).toEqual([
      'None',
      'det · COCO bbox @0.5',
      `${HOSTILE} · COCO bbox @0.5`
    ]);
    expect(options[2].children.length).toBe(0); // a model's name is text
    expect(select.value).toBe('');
    expect(queries[queries.length - 1].evaluation).toBeUndefined();
    expect(captions(widget)).toEqual(['cat', 'cat', 'cat', 'cat']);

    select.value = 'ev1';
    select.dispatchEvent(new Event('change'));
    await frame();
    await frame();
    expect(queries[queries.length - 1]).toMatchObject({
      kind: 'objects',
      evaluation: 'ev1',
      offset: 0
    });
    expect(captions(widget)).toEqual([
      'cat · TP',
      'cat · FP',
      'cat · FN',
      'cat'
    ]);
    const tiles = patchTiles(widget);
    expect(tiles[0].classList).toContain('jp-mod-tp');
    expect(tiles[1].classList).toContain('jp-mod-fp');
    expect(tiles[2].classList).toContain('jp-mod-fn');
    expect(
      ['jp-mod-tp', 'jp-mod-fp', 'jp-mod-fn'].some(c =>
        tiles[3].classList.contains(c)
      )
    ).toBe(false);
    expect(tiles[0].getAttribute('aria-label')).toBe('cat · TP');

    select.value = '';
    select.dispatchEvent(new Event('change'));
    await frame();
    await frame();
    expect(queries[queries.length - 1].evaluation).toBeUndefined();
    expect(captions(widget)).toEqual(['cat', 'cat', 'cat', 'cat']);
    expect(patchTiles(widget)[0].classList).not.toContain('jp-mod-tp');
    widget.dispose();
  });

  it('hides for evaluation patches, which carry their own status', async () => {
    const widget = new PatchesWidget(
      new PatchesModel(fakeModel([])),
      () => undefined
    );
    await showPatches(widget);
    const label = widget.node
      .querySelector('select[aria-label="Colour by"]')!
      .closest('label') as HTMLElement;
    expect(label.hidden).toBe(false);
    const kind = widget.node.querySelector(
      '.jp-VisionLens-patchesKind'
    ) as HTMLSelectElement;
    kind.value = 'evaluation:det';
    kind.dispatchEvent(new Event('change'));
    expect(label.hidden).toBe(true);
    kind.value = 'objects:det';
    kind.dispatchEvent(new Event('change'));
    expect(label.hidden).toBe(false);
    await frame();
    widget.dispose();
  });
});
