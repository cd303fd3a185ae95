/**
 * The patches view's state: the request bodies it sends through the client,
 * paging, and a patch selection reaching the shared selection (a later click's
 * answer wins), with a client that records calls and a model's signals.
 */
import { Signal } from '@lumino/signaling';

import { PatchesModel } from '../patches';
import { versionBrowse } from '../versionBrowse';
import { IFilter, IPatch, IPatchesPage, IPatchQuery } from '../tokens';
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
    image_height: 10
  };
}

/** A shared model whose client answers pages of `total` objects (sample = ann // 2). */
class FakeView {
  constructor(public total = 130) {}
  dataset: string | null = 'd';
  filter: IFilter = { tags: { any: ['x'] } };
  queries: { filter: IFilter; query: IPatchQuery }[] = [];
  shared: number[][] = [];
  samplesAsked: { annIds: number[]; version?: number }[] = [];
  pending: ((ids: number[]) => void)[] = [];
  filterChanged = new Signal<unknown, IFilter>(this);
  datasetChanged = new Signal<unknown, string | null>(this);
  dataChanged = new Signal<unknown, IDataChange>(this);
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
    selectionFilter: () => ({ ids: [4, 5] }),
    setSelection: (ids: Iterable<number>) => this.shared.push([...ids]),
    notifyDataChanged: (change: IDataChange) => this.dataChanged.emit(change),
    client: {
      queryPatches: async (
        _dataset: string,
        filter: IFilter,
        query: IPatchQuery
      ): Promise<IPatchesPage> => {
        this.queries.push({ filter, query });
        const offset = query.offset ?? 0;
        const n = Math.max(0, Math.min(query.limit ?? 0, this.total - offset));
        return {
          total: this.total,
          offset,
          limit: query.limit ?? 0,
          kind: query.kind,
          source: query.source ?? query.model ?? '',
          lq_model: null,
          objects: Array.from({ length: n }, (_, i) =>
            patch(offset + i, Math.floor((offset + i) / 2))
          )
        };
      },
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

describe('PatchesModel', () => {
  it('reads pages under the shared filter and turns them within bounds', async () => {
    const patches = new PatchesModel(view.model, 60);
    await patches.load(0);
    expect(view.queries[0]).toEqual({
      filter: view.filter,
      query: {
        kind: 'objects',
        source: 'ground_truth',
        order: 'asc',
        offset: 0,
        limit: 60,
        sort: undefined
      }
    });
    await patches.turn(1);
    await patches.turn(1);
    expect(patches.page?.offset).toBe(120);
    expect(patches.page?.objects.length).toBe(10);
    await patches.turn(1); // past the end: nothing asked
    await patches.turn(-3); // before the start: nothing asked
    expect(view.queries.map(q => q.query.offset)).toEqual([0, 60, 120]);
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
      sort: 'iou'
    });
    expect(query.source).toBeUndefined();
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
    await patches.load(0);
    const [a, b, c] = patches.page!.objects;
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

  it('goes back from the shared selection: the objects of its samples', async () => {
    const patches = new PatchesModel(view.model);
    await patches.setOnlySelectedSamples(true);
    expect(view.queries[view.queries.length - 1].filter).toEqual({
      ids: [4, 5]
    });
    await patches.setOnlySelectedSamples(false);
    expect(view.queries[view.queries.length - 1].filter).toBe(view.filter);
  });

  it('reloads from the first page and drops its selection when the filter changes', async () => {
    const patches = new PatchesModel(view.model);
    await patches.load(60);
    void patches.toggle(patches.page!.objects[0]); // its samples never answer
    expect(patches.selected.size).toBe(1);
    view.filter = { labels: [{ classes: ['dog'] }] };
    view.filterChanged.emit(view.filter);
    await new Promise(r => setTimeout(r, 0));
    expect(patches.selected.size).toBe(0);
    expect(view.queries[view.queries.length - 1]).toMatchObject({
      filter: { labels: [{ classes: ['dog'] }] },
      query: { offset: 0 }
    });
    patches.dispose();
  });

  it('reads the page again where it is after an edit, unselecting the objects gone', async () => {
    const patches = new PatchesModel(view.model);
    await patches.load(60);
    const [a, b] = patches.page!.objects;
    void patches.toggle(a);
    void patches.toggle(b);
    view.total = 61; // the edit deleted every object after the 61st
    view.dataChanged.emit({ dataset: 'other', kind: 'labels', ids: null });
    view.dataChanged.emit({ dataset: 'd', kind: 'tags', ids: null });
    await new Promise(r => setTimeout(r, 0));
    expect(view.queries.length).toBe(1); // another dataset, sample tags: nothing read
    view.dataChanged.emit({ dataset: 'd', kind: 'labels', ids: [30] });
    await new Promise(r => setTimeout(r, 0));
    expect(view.queries[view.queries.length - 1].query.offset).toBe(60);
    expect(patches.page!.objects.map(p => p.ann_id)).toEqual([60]);
    expect([...patches.selected]).toEqual([60]);
    expect(patches.selectedPatches.map(p => p.ann_id)).toEqual([60]);
  });

  it('reads the objects of a browsed version, its crops and its samples', async () => {
    const patches = new PatchesModel(view.model);
    await patches.load(0);
    const browse = versionBrowse(view.model);
    const v3 = { version: 3 } as ILabelVersion;
    browse.browse('d', v3); // every panel told: the page is read again, at the version
    await new Promise(r => setTimeout(r, 0));
    expect(view.queries.map(q => q.query.version)).toEqual([undefined, 3]);
    const seven = { ...patches.page!.objects[0], ann_id: 7, crop_with: null };
    expect(patches.cropUrl('d', seven, 128)).toBe('d/7/128/0.25/undefined/3');
    expect(patches.cropUrl('d', { ...seven, crop_with: 8 }, 128)).toBe(
      'd/7/128/0.25/8/3'
    );
    const picked = patches.toggle(patches.page!.objects[0]);
    view.pending[0]([]);
    await picked;
    expect(view.samplesAsked).toEqual([{ annIds: [0], version: 3 }]);
    await patches.setChoice({ kind: 'evaluation', source: 'det' });
    expect(view.queries[view.queries.length - 1].query.version).toBe(3);
    browse.browse('d', null);
    await new Promise(r => setTimeout(r, 0));
    expect(view.queries[view.queries.length - 1].query.version).toBeUndefined();
    expect(patches.cropUrl('d', seven, 128)).toBe(
      'd/7/128/0.25/undefined/undefined'
    );
  });
});
