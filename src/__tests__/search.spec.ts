/**
 * The embeddings / search / duplicates client methods and the search state.
 *
 * These endpoints (issue #11) are not served by this branch's server yet, so
 * the requests are recorded at the one injection point JupyterLab provides
 * (`serverSettings.fetch`) and answered with the documented JSON shapes.
 * Once the endpoints land, move these cases onto the server of client.spec.ts.
 */
import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../client';
import { VisionLensModel } from '../model';
import { ISearchState } from '../tokens';
import { ISearchResult } from '../types';

interface IRecorded {
  method: string;
  url: string;
  body: any;
}

const BASE = 'http://localhost:9999/user/alice/';

/** A client whose requests are recorded and answered by `answer`. */
function recordingClient(
  answer: (req: IRecorded) => { status?: number; body: unknown }
): { client: VisionLensClient; requests: IRecorded[] } {
  const requests: IRecorded[] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const text = await request.text();
    const recorded = {
      method: request.method,
      // ServerConnection appends a cache-busting timestamp to GETs.
      url: request.url.replace(/\?\d+$/, ''),
      body: text ? JSON.parse(text) : undefined
    };
    requests.push(recorded);
    const { status, body } = answer(recorded);
    return new Response(JSON.stringify(body), {
      status: status ?? 200,
      headers: { 'Content-Type': 'application/json' }
    });
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE,
    fetch: fetchFn as typeof fetch
  });
  return { client: new VisionLensClient(settings), requests };
}

const JOB = { id: 'j1', kind: 'embed', status: 'queued', progress: null };

function hits(query: string): ISearchResult {
  return {
    model: 'builtin',
    space: 'builtin-v1',
    results: [{ sample_id: 7, score: 0.9, file_name: `${query}.jpg` }]
  };
}

describe('embedding, search and duplicates requests', () => {
  it('sends each request to its endpoint under the base URL', async () => {
    let wrapModels = false;
    const { client, requests } = recordingClient(req =>
      req.url.endsWith('/models')
        ? {
            body: (list => (wrapModels ? { models: list } : list))([
              {
                name: 'builtin',
                pretrained: null,
                dim: 64,
                source: 'built-in',
                available_offline: true,
                text: false,
                default: true
              }
            ])
          }
        : req.url.endsWith('/search')
          ? { body: hits(req.body.text) }
          : req.url.endsWith('/embed')
            ? { status: 202, body: { job: JOB } }
            : { status: 202, body: { ...JOB, kind: 'duplicates' } }
    );
    const models = await client.listModels();
    expect(models[0].name).toBe('builtin');
    wrapModels = true;
    expect(await client.listModels()).toEqual(models);
    const job = await client.embed('my set', {
      model: 'builtin',
      device: 'cpu'
    });
    expect(job.id).toBe('j1');
    const result = await client.search('my set', {
      text: 'cat',
      k: 5,
      filter: { tags: { any: ['x'] } }
    });
    expect(result.results[0].file_name).toBe('cat.jpg');
    const dup = await client.findDuplicates('my set', { threshold: 0.95 });
    expect(dup.kind).toBe('duplicates');
    const api = `${BASE}visionlens/api/`;
    expect(requests).toEqual([
      { method: 'GET', url: `${api}models`, body: undefined },
      { method: 'GET', url: `${api}models`, body: undefined },
      {
        method: 'POST',
        url: `${api}datasets/my%20set/embed`,
        body: { model: 'builtin', device: 'cpu' }
      },
      {
        method: 'POST',
        url: `${api}datasets/my%20set/search`,
        body: { text: 'cat', k: 5, filter: { tags: { any: ['x'] } } }
      },
      {
        method: 'POST',
        url: `${api}datasets/my%20set/duplicates`,
        body: { threshold: 0.95 }
      }
    ]);
  });
});

describe('the search state of the model', () => {
  it('searches within the filter, re-runs on filter changes, clears on dataset changes', async () => {
    const { client, requests } = recordingClient(req =>
      req.body.text === 'bad'
        ? {
            status: 400,
            body: { message: 'text search needs a CLIP text tower' }
          }
        : { body: hits(`${req.body.text}-${JSON.stringify(req.body.filter)}`) }
    );
    const model = new VisionLensModel({ client, state: null });
    const seen: (ISearchState | null)[] = [];
    model.search.changed.connect((_, state) => seen.push(state));
    await expect(model.search.run({ text: 'cat' })).rejects.toThrow(
      'Open a dataset'
    );

    model.setDataset('d');
    const done = await model.search.run({ text: 'cat', k: 3 });
    expect(done.result?.results[0].file_name).toBe('cat-{}.jpg');
    expect(seen.map(s => s && [s.query.text, s.result !== null])).toEqual([
      ['cat', false],
      ['cat', true]
    ]);
    expect(requests[0].body).toEqual({ text: 'cat', k: 3, filter: {} });

    // A filter change runs the same search within the new filter.
    model.setFilter({ tags: { any: ['x'] } });
    await new Promise<void>(resolve => {
      const check = () =>
        model.search.state?.result ? resolve() : setTimeout(check, 5);
      check();
    });
    expect(requests[1].body).toEqual({
      text: 'cat',
      k: 3,
      filter: { tags: { any: ['x'] } }
    });
    expect(model.search.state?.filter).toEqual({ tags: { any: ['x'] } });

    // A refused search keeps the server's message.
    const failed = await model.search.run({ text: 'bad' });
    expect(failed.result).toBeNull();
    expect(failed.error).toBe('text search needs a CLIP text tower');

    // Another dataset drops the search.
    model.setDataset('e');
    expect(model.search.state).toBeNull();
    expect(seen[seen.length - 1]).toBeNull();
  });

  it('keeps only the answer of the latest search', async () => {
    const { client } = recordingClient(req => ({ body: hits(req.body.text) }));
    const model = new VisionLensModel({ client, state: null });
    model.setDataset('d');
    const first = model.search.run({ text: 'first' });
    const second = model.search.run({ text: 'second' });
    await Promise.all([first, second]);
    expect(model.search.state?.query.text).toBe('second');
    expect(model.search.state?.result?.results[0].file_name).toBe('second.jpg');
  });
});
