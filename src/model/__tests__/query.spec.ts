import { ServerConnection } from '@jupyterlab/services';
import { StateDB } from '@jupyterlab/statedb';

import { VisionLensClient } from '../../api/client';
import { VisionLensModel } from '../model';
import { PageCache } from '../pages';
import { changeMovesRows, DEFAULT_SORT } from '../query';
import { sampleAt, samplesAfter } from '../sources/rows';
import { SamplesPageSource } from '../sources/samples';
import {
  IDataChange,
  IFilter,
  IQueryChange,
  IQueryOptions,
  ISample,
  ISamplesPage,
  ISearchResult
} from '../tokens';

/** A client answering pages of `rows` sample ids in the order of its sort. */
function fakeClient(rows: number[]): {
  client: VisionLensClient;
  asked: IQueryOptions[];
} {
  const client = new VisionLensClient(ServerConnection.makeSettings());
  const asked: IQueryOptions[] = [];
  client.querySamples = async (
    _dataset: string,
    filter: IFilter,
    options: IQueryOptions
  ): Promise<ISamplesPage> => {
    asked.push(options);
    const ordered = options.order === 'desc' ? [...rows].reverse() : rows;
    const ids = filter.ids
      ? ordered.filter(id => filter.ids?.includes(id))
      : ordered;
    const offset = options.offset;
    const page = ids.slice(offset, offset + options.limit);
    return {
      total: ids.length,
      offset,
      limit: options.limit,
      samples: page.map(id => ({ sample_id: id }) as ISample)
    } as ISamplesPage;
  };
  return { client, asked };
}

function makeModel(rows: number[] = [1, 2, 3], state: StateDB | null = null) {
  const { client, asked } = fakeClient(rows);
  return { model: new VisionLensModel({ client, state, saveDelay: 0 }), asked };
}

describe('the view query', () => {
  it('says which parts changed, and undoes and redoes filter and sort', () => {
    const { model } = makeModel();
    const seen: string[][] = [];
    model.queryChanged.connect((_, change: IQueryChange) =>
      seen.push([...change.changed].sort())
    );
    model.setDataset('d');
    model.setFilter({ tags: { any: ['x'] } });
    model.setSort({ field: 'width', order: 'desc' });
    model.setSort({ field: 'width', order: 'desc' }); // the same: nothing
    expect(seen).toEqual([['dataset'], ['filter'], ['sort']]);
    expect(model.undo()).toBe(true);
    expect(model.query.sort).toEqual(DEFAULT_SORT);
    expect(model.query.filter).toEqual({ tags: { any: ['x'] } });
    expect(model.undo()).toBe(true);
    expect(model.filter).toEqual({});
    expect(model.canUndo).toBe(false);
    expect(model.redo()).toBe(true);
    expect(model.redo()).toBe(true);
    expect(model.query.sort).toEqual({ field: 'width', order: 'desc' });
    expect(model.canRedo).toBe(false);
    expect(seen.slice(3)).toEqual([['sort'], ['filter'], ['filter'], ['sort']]);
    model.undo();
    model.setFilter({ ids: [1] }); // a new change drops the redo history
    expect(model.canRedo).toBe(false);
  });

  it('holds the ranking of a search with results, and drops it with the dataset', async () => {
    const { model } = makeModel();
    model.setDataset('d');
    const changes: IQueryChange[] = [];
    model.queryChanged.connect((_, c) => changes.push(c));
    let answer: Promise<ISearchResult> = new Promise(() => undefined);
    model.client.search = () => answer;
    void model.search.run({ text: 'cat' }); // running: no ranking yet
    expect(model.query.ranking).toBeNull();
    answer = Promise.resolve({
      results: [
        { sample_id: 3, score: 0.9 },
        { sample_id: 1, score: 0.5 }
      ]
    } as ISearchResult);
    await model.search.run({ text: 'cat' });
    expect(model.query.ranking).toEqual([3, 1]);
    expect([...changes[0].changed]).toEqual(['ranking']);
    model.setDataset('e');
    expect(model.query.ranking).toBeNull();
  });

  it('persists the sort with the filter', async () => {
    const db = new StateDB();
    const { model: first } = makeModel([1], db);
    first.setDataset('d');
    first.setSort({ field: 'file_name', order: 'desc' });
    await first.save();
    const { model: second } = makeModel([1], db);
    await second.restored;
    expect(second.query.sort).toEqual({ field: 'file_name', order: 'desc' });
    expect(second.canUndo).toBe(false);
  });
});

describe('rows of the view', () => {
  it('steps in the order of the sort, then of the ranking', async () => {
    const { model, asked } = makeModel([1, 2, 3, 4]);
    model.setDataset('d');
    model.setSort({ field: 'width', order: 'desc' });
    expect(await sampleAt(model, 0)).toEqual({ sampleId: 4, total: 4 });
    expect(asked[0]).toMatchObject({ sort: 'width', order: 'desc' });
  });

  it('names the rows after one, in the order of the sort, fewer at the end', async () => {
    const { model } = makeModel([1, 2, 3, 4]);
    model.setDataset('d');
    model.setSort({ field: 'width', order: 'desc' });
    expect(await samplesAfter(model, 0, 2)).toEqual([3, 2]);
    expect(await samplesAfter(model, 2, 2)).toEqual([1]);
  });
});

describe('data changes', () => {
  const tags: IDataChange = { dataset: 'd', kind: 'tags', ids: [2] };

  it('moves rows unless tags are written outside the filter', () => {
    const { model } = makeModel();
    model.setDataset('d');
    expect(changeMovesRows(model.query, tags)).toBe(false);
    model.setFilter({ tags: { any: ['x'] } });
    expect(changeMovesRows(model.query, tags)).toBe(true);
    expect(
      changeMovesRows(model.query, { ...tags, kind: 'evaluation', ids: null })
    ).toBe(true);
  });

  it('carries the dataset, the kind and the ids of a tag write', async () => {
    const { model } = makeModel();
    model.setDataset('d');
    model.client.tags = async () => ({ updated: 2 });
    const seen: IDataChange[] = [];
    model.dataChanged.connect((_, change) => seen.push(change));
    model.setSelection([2, 3]);
    await model.tagSelection(['x'], []);
    model.selectAllMatching();
    await model.tagSelection(['y'], []);
    expect(seen).toEqual([
      { dataset: 'd', kind: 'tags', ids: [2, 3] },
      { dataset: 'd', kind: 'tags', ids: null }
    ]);
  });

  it('refetches only the grid pages holding the written samples', async () => {
    const { model, asked } = makeModel([1, 2, 3, 4, 5, 6]);
    model.setDataset('d');
    let updates = 0;
    const pages = new PageCache<ISample>({
      pageSize: 2,
      onUpdate: () => updates++,
      onError: error => {
        throw error;
      }
    });
    pages.reset(
      new SamplesPageSource(model, {
        dataset: 'd',
        filter: {},
        sort: null,
        ranking: null
      }),
      false
    );
    pages.ensure(0, 5);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(updates).toBe(3);
    asked.length = 0;
    pages.refresh([3]);
    expect(pages.get(2)?.sample_id).toBe(3); // the old row shows meanwhile
    pages.ensure(0, 5);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(asked.map(o => o.offset)).toEqual([2]);
  });
});
