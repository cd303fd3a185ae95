/**
 * Embeddings, search and duplicates through the REST client, the search
 * state of the model and the grid's ranked pages, against a real Jupyter
 * server: a generated demo dataset with the weight-free built-in embeddings
 * (the demo computes them through the server).
 */
import { CommandRegistry } from '@lumino/commands';
import { execFileSync } from 'child_process';
import * as path from 'path';

import { VisionLensClient } from '../../api/client';
import { VisionLensAPIError } from '../../api/restTransport';
import { VisionLensModel } from '../model';
import { duplicatesCode, searchCode } from '../similarity';
import { IDuplicatesResult, IFilter, ISample, ISearchState } from '../tokens';
import { PageCache } from '../pages';
import { SamplesPageSource } from '../sources/samples';
import { SearchBar } from '../../features/grid/SearchBar';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';

const REPO = path.resolve(__dirname, '..', '..', '..');
const DATASET = 'demo';
const N = 24;

/** `visionlens demo` into the server's data folder (it goes through the server). */
function makeDemo(server: ITestServer): void {
  execFileSync(
    process.env.VISIONLENS_PYTHON || 'python',
    [
      '-m',
      'visionlens_jlab.cli',
      'demo',
      '--images',
      String(N),
      '--name',
      DATASET,
      '--data-dir',
      path.join(server.dir, 'data'),
      '--json'
    ],
    {
      env: {
        ...process.env,
        PYTHONPATH: [REPO, process.env.PYTHONPATH].filter(Boolean).join(':')
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300000
    }
  );
}

/** Resolves once the model's search has a result or an error. */
function settled(model: VisionLensModel): Promise<ISearchState> {
  return new Promise(resolve => {
    const check = () => {
      const state = model.search.state;
      if (state && (state.result || state.error)) {
        resolve(state);
      } else {
        setTimeout(check, 20);
      }
    };
    check();
  });
}

describe('embeddings, search and duplicates on a real server', () => {
  let server: ITestServer;
  let client: VisionLensClient;
  let ids: number[];

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    makeDemo(server);
    ids = (await client.ids(DATASET, {})).ids;
  }, 300000);

  afterAll(async () => {
    await server?.stop();
  }, 30000);

  it('lists models and the spaces the demo computed', async () => {
    const models = await client.listModels();
    const builtin = models.find(m => m.name === 'builtin-color-gradient');
    expect(builtin).toMatchObject({ available_offline: true, text: false });
    expect(models.filter(m => m.default)).toHaveLength(1);
    const spaces = await client.listSpaces(DATASET);
    expect(spaces).toHaveLength(1);
    expect(spaces[0]).toMatchObject({
      model: 'builtin-color-gradient',
      count: N,
      complete: true
    });
    // Embedding again is a job that finds nothing missing.
    const job = await client.embed(DATASET, {
      model: 'builtin-color-gradient'
    });
    const done = await client.waitForJob(job, { intervalMs: 100 });
    expect(done.result).toMatchObject({ embedded: 0, skipped: N });
  }, 120000);

  it('searches like a sample within a filter; the code is the server’s', async () => {
    const subset = ids.slice(0, 10);
    const filter: IFilter = { ids: subset };
    const result = await client.search(DATASET, {
      like: subset[3],
      k: 4,
      filter
    });
    const hits = result.results;
    expect(hits).toHaveLength(4);
    expect(hits[0].sample_id).toBe(subset[3]);
    expect(hits[0].score).toBeCloseTo(1, 3);
    hits.forEach(hit => expect(subset).toContain(hit.sample_id));
    const scores = hits.map(hit => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(result.code).toBe(
      searchCode(DATASET, { like: subset[3] }, filter, 4)
    );
    const withText = {
      sample: { split: { in: ["val's", 'train'] } },
      tags: { none: ['x"y'] }
    };
    const other = await client.search(DATASET, {
      like: ids[0],
      filter: withText
    });
    expect(other.code).toBe(searchCode(DATASET, { like: ids[0] }, withText));
  });

  it('refuses text search in the built-in space with the server’s message', async () => {
    const error = await client
      .search(DATASET, { text: 'a red square' })
      .catch(e => e);
    expect(error).toBeInstanceOf(VisionLensAPIError);
    expect(error.status).toBe(400);
    expect(error.message).toContain('text tower');
  });

  it('runs duplicates and keeps the last result', async () => {
    await expect(client.lastDuplicates(DATASET)).resolves.toBeNull();
    const job = await client.findDuplicates(DATASET, {
      threshold: 0.9,
      exact: true
    });
    const done = await client.waitForJob(job, { intervalMs: 100 });
    const last = (await client.lastDuplicates(DATASET)) as IDuplicatesResult;
    expect(last.groups).toEqual(done.result?.groups);
    expect(last.threshold).toBe(0.9);
    expect(last.code).toBe(duplicatesCode(DATASET, 0.9, true));
    last.groups.flat().forEach(id => expect(ids).toContain(id));
  }, 120000);

  it('model.search: within the filter, again on filter and k changes, dropped with the dataset', async () => {
    const model = new VisionLensModel({ client, state: null });
    model.setDataset(DATASET);
    const bar = new SearchBar(model, new CommandRegistry());
    const done = await model.search.run({ like: ids[5] });
    expect(done.query.k).toBe(50);
    // the demo's space covers every sample: no coverage warning in the row
    expect(done.result?.warning).toBeNull();
    const row = bar.node.querySelector('.jp-VisionLens-searchWarning');
    expect(row).not.toBeNull();
    expect((row as HTMLElement).hidden).toBe(true);
    expect(
      bar.node.querySelector('.jp-VisionLens-searchMessage')?.textContent
    ).toBe(`${N} results · builtin-color-gradient`);
    bar.dispose();
    expect(done.result?.results).toHaveLength(N); // k > N: every sample
    expect(done.result?.results[0].sample_id).toBe(ids[5]);

    const subset = ids.slice(4, 12);
    model.setFilter({ ids: subset });
    const refiltered = await settled(model);
    expect(refiltered.filter).toEqual({ ids: subset });
    expect(refiltered.result?.results.map(h => h.sample_id).sort()).toEqual(
      [...subset].sort()
    );

    model.search.setK(3);
    const fewer = await settled(model);
    expect(fewer.result?.results.map(h => h.sample_id)).toEqual(
      refiltered.result?.results.slice(0, 3).map(h => h.sample_id)
    );

    const refused = await model.search.run({ text: 'cat' });
    expect(refused.result).toBeNull();
    expect(refused.error).toContain('text tower');
    // a refusal is no active search: a filter change does not ask again
    const asked = jest.spyOn(client, 'search');
    model.setFilter({ ids: subset.slice(0, 2) });
    expect(asked).not.toHaveBeenCalled();
    expect(model.search.state).toBe(refused);
    asked.mockRestore();

    model.setDataset(null);
    expect(model.search.state).toBeNull();
  });

  it('the grid pages of a search hold its samples in ranking order', async () => {
    const result = await client.search(DATASET, { like: ids[1], k: 13 });
    const ranking = result.results.map(h => h.sample_id);
    let updates = 0;
    const pages = new PageCache<ISample>({
      pageSize: 20, // the smallest page: 13 ids in one page
      onUpdate: () => updates++,
      onError: error => {
        throw error;
      }
    });
    const model = new VisionLensModel({ client, state: null });
    const query = { dataset: DATASET, filter: { ids: ids.slice(0, 3) } };
    pages.reset(
      new SamplesPageSource(model, { ...query, sort: null, ranking }),
      false
    );
    expect(pages.total).toBe(13);
    pages.ensure(0, 12);
    while (pages.pending > 0) {
      await new Promise(r => setTimeout(r, 20));
    }
    expect(updates).toBeGreaterThan(0);
    const shown = Array.from({ length: 13 }, (_, i) => pages.get(i)?.sample_id);
    expect(shown).toEqual(ranking);
    pages.reset(
      new SamplesPageSource(model, { ...query, sort: null, ranking: null }),
      false
    );
    expect(pages.total).toBeNull();
  });
});
