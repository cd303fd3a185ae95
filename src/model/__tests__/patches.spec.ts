/**
 * The patches view's state: the request bodies it sends through the client,
 * its page source (only the pages asked for, cached, stale answers dropped),
 * and a patch selection reaching the shared selection (a later click's
 * answer wins), with a client that records calls and a model's signals.
 */
import { Signal } from '@lumino/signaling';

import { PatchesModel } from '../patches';
import { versionBrowse } from '../versionBrowse';
import {
  IFilter,
  IPatch,
  IPatchesPage,
  IPatchQuery,
  ISelection
} from '../tokens';
import { IRegionPatch, IRegionPatchesPage } from '../../api/patchTypes';
import { IDataChange, ILabelVersion, IVisionLensModel } from '../tokens';

function patch(annId: number, sampleId: number): IPatch {
  return {
    ann_id: annId,
    sample_id: sampleId,
    source: 'ground_truth',
    label: 'cat',
    x: 1,
    y: 2,
    w: 3,
    h: 4,
    score: null,
    area: 12,
    iscrowd: false,
    attributes: {},
    file_name: 'a.jpg',
    image_width: 10,
    image_height: 10,
    bbox: [1, 2, 3, 4],
    tags: [],
    crop: null
  };
}

/** Region `i` of a semantic run: samples 40, 40, 41 (numbers 0, 1, 0), worst first. */
function region(i: number): IRegionPatch {
  return {
    sample_id: 40 + Math.floor(i / 2),
    region: i % 2,
    label: 'road',
    predicted: i === 2 ? null : 'sidewalk',
    pixels: 100 + i,
    x: i,
    y: 2,
    w: 5,
    h: 6,
    score: 0.1 * i,
    flagged: true,
    file_name: 'a.jpg',
    image_width: 10,
    image_height: 10,
    crop: [0, 0, 10, 10]
  };
}

/**
 * A shared model whose client answers pages of `total` objects (sample = ann
 * // 2; sorted by area, ids from 1000); while `gate` is set, answers wait for it.
 */
class FakeView {
  constructor(public total = 130) {}
  dataset: string | null = 'd';
  filter: IFilter = { tags: { any: ['x'] } };
  queries: { filter: IFilter; query: IPatchQuery; signal?: AbortSignal }[] = [];
  shared: number[][] = [];
  samplesAsked: { annIds: number[]; version?: number }[] = [];
  pending: ((ids: number[]) => void)[] = [];
  gate: Promise<void> | null = null;
  filterChanged = new Signal<unknown, IFilter>(this);
  datasetChanged = new Signal<unknown, string | null>(this);
  dataChanged = new Signal<unknown, IDataChange>(this);
  selectionChanged = new Signal<unknown, ISelection>(this);
  model = {
    get dataset() {
      return view.dataset;
    },
    get filter() {
      return view.filter;
    },
    filterChanged: this.filterChanged,
    datasetChanged: this.datasetChanged,
    dataChanged: this.dataChanged,
    selectionChanged: this.selectionChanged,
    selectionFilter: () => ({ ids: [4, 5] }),
    setSelection: (ids: Iterable<number>) => this.shared.push([...ids]),
    notifyDataChanged: (change: IDataChange) => this.dataChanged.emit(change),
    client: {
      queryPatches: async (
        _dataset: string,
        filter: IFilter,
        query: IPatchQuery,
        signal?: AbortSignal
      ): Promise<IPatchesPage> => {
        this.queries.push({ filter, query, signal });
        await this.gate;
        const offset = query.offset ?? 0;
        const n = Math.max(0, Math.min(query.limit ?? 0, this.total - offset));
        const first = offset + (query.sort === 'area' ? 1000 : 0);
        return {
          total: this.total,
          offset,
          limit: query.limit ?? 0,
          kind: query.kind as IPatchesPage['kind'],
          source: query.source ?? query.model ?? '',
          lq_model: null,
          version: null,
          evaluation: null,
          objects: Array.from({ length: n }, (_, i) =>
            patch(first + i, Math.floor((offset + i) / 2))
          )
        };
      },
      queryRegionPatches: async (
        _dataset: string,
        filter: IFilter,
        query: IPatchQuery
      ): Promise<IRegionPatchesPage> => {
        this.queries.push({ filter, query });
        const offset = query.offset ?? 0;
        const n = Math.max(0, Math.min(query.limit ?? 0, 3 - offset));
        return {
          total: 3,
          offset,
          limit: query.limit ?? 0,
          kind: 'regions',
          source: query.model ?? '',
          lq_model: query.model ?? '',
          version: null,
          evaluation: null,
          objects: Array.from({ length: n }, (_, i) => region(offset + i))
        };
      },
      regionCropUrl: (
        dataset: string,
        sampleId: number,
        region: number,
        model: string,
        size?: number
      ) => `${dataset}/${sampleId}/regions/${region}/${model}/${size}`,
      cropUrl: (
        dataset: string,
        annId: number,
        size?: number,
        context?: number,
        pair?: number,
        version?: number
      ) => `${dataset}/${annId}/${size}/${context}/${pair}/${version}`,
      patchSamples: (
        _dataset: string,
        annIds: number[],
        _signal?: AbortSignal,
        version?: number
      ) => {
        this.samplesAsked.push({ annIds, version });
        return new Promise<number[]>(resolve =>
          this.pending.push(() =>
            resolve([...new Set(annIds.map(a => Math.floor(a / 2)))].sort())
          )
        );
      }
    }
  } as unknown as IVisionLensModel;
}

let view: FakeView;

beforeEach(() => {
  view = new FakeView();
});

/** Let the client's answers and the cache's callbacks run. */
const settle = () => new Promise(r => setTimeout(r, 0));

/** The ann ids the cache holds at positions [from, to). */
function shownIds(patches: PatchesModel, from: number, to: number) {
  return Array.from(
    { length: to - from },
    (_, i) => patches.pages.get(from + i)?.ann_id ?? null
  );
}

describe('PatchesModel', () => {
  it("pages a semantic run's regions as tiles, cropped and shared by their own keys", async () => {
    const patches = new PatchesModel(view.model, 60);
    await patches.setChoice({ kind: 'regions', source: 'net', sort: '' });
    // the one order of regions, worst first; the model, no source, no version
    expect(view.queries.map(q => q.query)).toEqual([
      {
        kind: 'regions',
        model: 'net',
        sort: 'score',
        order: 'asc',
        offset: 0,
        limit: 60
      }
    ]);
    expect(patches.total).toBe(3);
    const tiles = [0, 1, 2].map(i => patches.pages.get(i)!);
    expect(tiles.map(t => [t.sample_id, t.region?.region, t.label])).toEqual([
      [40, 0, 'road'],
      [40, 1, 'road'],
      [41, 0, 'road']
    ]);
    expect(new Set(tiles.map(t => t.ann_id)).size).toBe(3); // distinct keys
    expect(tiles.every(t => t.ann_id < 0)).toBe(true); // no object's id
    expect(patches.cropUrl('d', tiles[1], 128)).toBe('d/40/regions/1/net/128');
    // a selection's samples are the regions' own: no object ids to ask about
    await patches.toggle(tiles[0]);
    await patches.toggle(tiles[2]);
    await patches.toggle(tiles[1]);
    expect(view.samplesAsked).toEqual([]);
    expect(view.shared[view.shared.length - 1]).toEqual([40, 41]);
    patches.dispose();
  });

  it('reads only the pages asked for, under the shared filter, and keeps them', async () => {
    const patches = new PatchesModel(view.model, 60);
    await patches.start();
    expect(
      view.queries.map(q => ({ filter: q.filter, query: q.query }))
    ).toEqual([
      {
        filter: view.filter,
        query: {
          kind: 'objects',
          source: 'ground_truth',
          order: 'asc',
          offset: 0,
          limit: 60,
          sort: undefined
        }
      }
    ]);
    expect(patches.total).toBe(130);
    expect(patches.pages.get(60)).toBeNull(); // not in view: not read
    // the view scrolls to the last rows: their pages only, then from the cache
    patches.pages.ensure(100, 129);
    await settle();
    patches.pages.ensure(100, 129);
    patches.pages.ensure(0, 10);
    await settle();
    expect(view.queries.map(q => q.query.offset)).toEqual([0, 60, 120]);
    expect(shownIds(patches, 118, 130)).toEqual([
      118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129
    ]);
    patches.pages.ensure(200, 300); // past the end: nothing asked
    await settle();
    expect(view.queries.length).toBe(3);
    patches.dispose();
  });

  it('re-queries from the first object on another sort, dropping the older answer', async () => {
    const patches = new PatchesModel(view.model, 60);
    let open = () => undefined as void;
    view.gate = new Promise<void>(resolve => (open = resolve));
    let starts = 0;
    patches.started.connect(() => starts++);
    const first = patches.start();
    const sorted = patches.setChoice({ sort: 'area', order: 'desc' });
    expect(starts).toBe(2);
    expect(view.queries.map(q => [q.query.sort, q.query.offset])).toEqual([
      [undefined, 0],
      ['area', 0]
    ]);
    expect(view.queries[0].signal!.aborted).toBe(true); // the stale request
    expect(view.queries[1].signal!.aborted).toBe(false);
    open();
    await Promise.all([first, sorted]);
    // the older answer (ids from 0) came too, and was dropped
    expect(shownIds(patches, 0, 3)).toEqual([1000, 1001, 1002]);
    expect(view.queries[1].query.order).toBe('desc');
    patches.dispose();
  });

  it('asks evaluation patches of a model, sorted by IoU by default', async () => {
    const patches = new PatchesModel(view.model);
    await patches.setChoice({
      kind: 'evaluation',
      source: 'det',
      statuses: ['fp']
    });
    const { query } = view.queries[view.queries.length - 1];
    expect(query).toMatchObject({
      kind: 'evaluation',
      model: 'det',
      statuses: ['fp'],
      sort: 'iou',
      offset: 0
    });
    expect(query.source).toBeUndefined();
  });

  it('colours objects by a chosen evaluation: part of the query, read from the first object', async () => {
    const patches = new PatchesModel(view.model);
    await patches.start();
    expect(view.queries[0].query.evaluation).toBeUndefined();
    patches.pages.ensure(60, 119);
    await settle();
    await patches.setChoice({ evaluation: 'ev1' });
    const last = () => view.queries[view.queries.length - 1].query;
    expect(last()).toMatchObject({
      kind: 'objects',
      source: 'ground_truth',
      evaluation: 'ev1',
      offset: 0
    });
    // another source keeps the colours; evaluation patches carry their own status
    await patches.setChoice({ source: 'det' });
    expect(last()).toMatchObject({ source: 'det', evaluation: 'ev1' });
    await patches.setChoice({ kind: 'evaluation', source: 'det' });
    expect(last().evaluation).toBeUndefined();
    await patches.setChoice({ kind: 'objects', source: 'det' });
    expect(last().evaluation).toBe('ev1');
    // a browsed version: its objects were not judged (the server refuses both)
    const browse = versionBrowse(view.model);
    browse.browse('d', { version: 2 } as ILabelVersion);
    patches.pages.ensure(0, 59);
    await settle();
    expect(last()).toMatchObject({ version: 2 });
    expect(last().evaluation).toBeUndefined();
    browse.browse('d', null);
    await patches.setChoice({ evaluation: undefined });
    expect(last().evaluation).toBeUndefined();
  });

  it('sorts by a chosen label-quality run until another source is shown', async () => {
    const patches = new PatchesModel(view.model, 60);
    await patches.setChoice({
      kind: 'objects',
      source: 'ground_truth',
      sort: 'lq_score',
      order: 'asc',
      lqModel: 'm1'
    });
    expect(view.queries[view.queries.length - 1].query).toMatchObject({
      source: 'ground_truth',
      sort: 'lq_score',
      lq_model: 'm1'
    });
    await patches.setChoice({ sort: 'area' });
    expect(view.queries[view.queries.length - 1].query.lq_model).toBe('m1');
    await patches.setChoice({ source: 'm2' });
    expect(
      view.queries[view.queries.length - 1].query.lq_model
    ).toBeUndefined();
  });

  it('puts the samples of the selected patches in the shared selection', async () => {
    const patches = new PatchesModel(view.model);
    await patches.start();
    const [a, b, c] = [0, 1, 2].map(i => patches.pages.get(i)!);
    const first = patches.toggle(a);
    const second = patches.toggle(c);
    expect([...patches.selected]).toEqual([0, 2]);
    view.pending[1]([]); // the later click's answer first
    await second;
    view.pending[0]([]); // the older answer arrives late: ignored
    await first;
    expect(view.shared).toEqual([[0, 1]]);
    await Promise.all([
      patches.toggle(b),
      Promise.resolve().then(() => view.pending[2]([]))
    ]);
    expect(patches.isSelected(1)).toBe(true);
    expect(view.shared[1]).toEqual([0, 1]);
    const cleared = patches.clear();
    await cleared;
    expect(view.shared[2]).toEqual([]);
  });

  it('unselects its patches when the shared selection is emptied elsewhere', async () => {
    const patches = new PatchesModel(view.model);
    await patches.start();
    void patches.toggle(patches.pages.get(3)!);
    view.selectionChanged.emit({ mode: 'ids', ids: new Set([1]) });
    expect(patches.selected.size).toBe(1);
    view.selectionChanged.emit({ mode: 'ids', ids: new Set() });
    expect(patches.selected.size).toBe(0);
  });

  it('goes back from the shared selection: the objects of its samples', async () => {
    const patches = new PatchesModel(view.model);
    await patches.setOnlySelectedSamples(true);
    expect(view.queries[view.queries.length - 1].filter).toEqual({
      ids: [4, 5]
    });
    await patches.setOnlySelectedSamples(false);
    expect(view.queries[view.queries.length - 1].filter).toBe(view.filter);
  });

  it('reads from the first object and drops its selection when the filter changes', async () => {
    const patches = new PatchesModel(view.model);
    await patches.start();
    patches.pages.ensure(60, 61);
    await settle();
    void patches.toggle(patches.pages.get(60)!); // its samples never answer
    expect(patches.selected.size).toBe(1);
    let starts = 0;
    patches.started.connect(() => starts++);
    view.filter = { labels: [{ classes: ['dog'] }] };
    view.filterChanged.emit(view.filter);
    await settle();
    expect(starts).toBe(1);
    expect(patches.selected.size).toBe(0);
    expect(view.queries[view.queries.length - 1]).toMatchObject({
      filter: { labels: [{ classes: ['dog'] }] },
      query: { offset: 0 }
    });
    expect(patches.pages.get(60)).toBeNull(); // the old query's pages are gone
    patches.dispose();
  });

  it('reads the pages in view again after an edit, unselecting the objects gone', async () => {
    const patches = new PatchesModel(view.model);
    await patches.start();
    patches.pages.ensure(60, 119);
    await settle();
    void patches.toggle(patches.pages.get(60)!);
    void patches.toggle(patches.pages.get(61)!);
    view.total = 61; // the edit deleted every object after the 61st
    view.dataChanged.emit({ dataset: 'other', kind: 'labels', ids: null });
    view.dataChanged.emit({ dataset: 'd', kind: 'tags', ids: null });
    await settle();
    expect(view.queries.length).toBe(2); // another dataset, sample tags: nothing read
    view.dataChanged.emit({ dataset: 'd', kind: 'labels', ids: [30] });
    view.dataChanged.emit({ dataset: 'd', kind: 'evaluation', ids: null }); // the same edit, twice
    // the old objects stay shown until the pages in view are read again
    expect(patches.pages.get(61)?.ann_id).toBe(61);
    patches.pages.ensure(60, 119);
    await settle();
    expect(view.queries.map(q => q.query.offset)).toEqual([0, 60, 60]);
    expect(patches.total).toBe(61);
    expect(patches.pages.get(61)).toBeNull();
    expect([...patches.selected]).toEqual([60]);
    expect(patches.selectedPatches.map(p => p.ann_id)).toEqual([60]);
  });

  it('reads the objects of a browsed version, its crops and its samples', async () => {
    const patches = new PatchesModel(view.model);
    await patches.start();
    const browse = versionBrowse(view.model);
    const v3 = { version: 3 } as ILabelVersion;
    browse.browse('d', v3); // every panel told: the pages in view are read again, at the version
    patches.pages.ensure(0, 59);
    await settle();
    expect(view.queries.map(q => q.query.version)).toEqual([undefined, 3]);
    const seven = { ...patches.pages.get(0)!, ann_id: 7, crop_with: undefined };
    expect(patches.cropUrl('d', seven, 128)).toBe('d/7/128/0.25/undefined/3');
    expect(patches.cropUrl('d', { ...seven, crop_with: 8 }, 128)).toBe(
      'd/7/128/0.25/8/3'
    );
    const picked = patches.toggle(patches.pages.get(0)!);
    view.pending[0]([]);
    await picked;
    expect(view.samplesAsked).toEqual([{ annIds: [0], version: 3 }]);
    await patches.setChoice({ kind: 'evaluation', source: 'det' });
    expect(view.queries[view.queries.length - 1].query.version).toBe(3);
    browse.browse('d', null);
    patches.pages.ensure(0, 59);
    await settle();
    expect(view.queries[view.queries.length - 1].query.version).toBeUndefined();
    expect(patches.cropUrl('d', seven, 128)).toBe(
      'd/7/128/0.25/undefined/undefined'
    );
  });
});
