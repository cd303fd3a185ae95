/**
 * "Merge another dataset into this one…": the datasets it offers, the request
 * its form makes and what it refuses before asking the server, and the merge
 * started through the model and the REST client on a real Jupyter server.
 */
import * as fs from 'fs';
import * as path from 'path';

import { MergeForm, mergeRequest, mergeSources } from '../MergeDialog';
import { VisionLensClient } from '../../../api/client';
import { VisionLensAPIError } from '../../../api/restTransport';
import { startMerge } from '../../../model/sources/exports';
import { IVisionLensModel } from '../../../model/tokens';
import { ITestServer, startServer } from '../../../__tests__/jupyterServer';

describe('mergeRequest', () => {
  const names = ['dst', 'src', 'other'];

  it('sends the chosen dataset and key', () => {
    expect(
      mergeRequest({ from: ' src ', key: 'image_id' }, 'dst', names)
    ).toEqual({ from: 'src', key: 'image_id' });
    expect(mergeSources('dst', names)).toEqual(['src', 'other']);
  });

  it('refuses no choice, the dataset itself, an unknown one, a bad key', () => {
    const bad: [string, string, string][] = [
      ['', 'file_name', 'Choose the dataset'],
      ['dst', 'file_name', 'cannot be merged into itself'],
      ['gone', 'file_name', 'no dataset named “gone”'],
      ['src', 'path', 'not “path”']
    ];
    for (const [from, key, said] of bad) {
      expect(() => mergeRequest({ from, key }, 'dst', names)).toThrow(said);
    }
  });
});

describe('MergeForm', () => {
  it('offers the other datasets and both keys', () => {
    const body = new MergeForm('dst', ['src', 'other']);
    expect(body.node.textContent).toContain('one of “dst”');
    expect(body.getValue()).toEqual({ from: 'src', key: 'file_name' });
    const [from, key] = Array.from(body.node.querySelectorAll('select'));
    expect(Array.from(from.options).map(o => o.value)).toEqual([
      'src',
      'other'
    ]);
    from.value = 'other';
    key.value = 'image_id';
    expect(body.getValue()).toEqual({ from: 'other', key: 'image_id' });
  });
});

/** A COCO file of images `first`..`last`, one cat each (sizes from the JSON). */
function writeCoco(file: string, first: number, last: number): void {
  const images = [];
  for (let id = first; id <= last; id++) {
    images.push({ id, file_name: `img${id}.jpg`, width: 64, height: 48 });
  }
  const annotations = images.map(im => ({
    id: im.id,
    image_id: im.id,
    category_id: 1,
    bbox: [4, 4, 20, 10],
    area: 200,
    iscrowd: 0
  }));
  const categories = [{ id: 1, name: 'cat' }];
  fs.writeFileSync(file, JSON.stringify({ images, annotations, categories }));
}

describe('merge through the client', () => {
  let server: ITestServer;
  let client: VisionLensClient;

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    for (const [name, first, last] of [
      ['dst', 1, 3],
      ['src', 2, 4]
    ] as [string, number, number][]) {
      const source = path.join(server.dir, `${name}.json`);
      writeCoco(source, first, last);
      await client.waitForJob(await client.ingest({ source, name }), {
        intervalMs: 50
      });
    }
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  }, 30000);

  it('starts the job and refreshes the jobs list; refusals say why', async () => {
    let refreshed = 0;
    const model = {
      client,
      jobs: { refresh: async () => void refreshed++ }
    } as unknown as IVisionLensModel;
    const request = mergeRequest({ from: 'src', key: 'file_name' }, 'dst', [
      'dst',
      'src'
    ]);
    const started = await startMerge(model, 'dst', request);
    expect([started.kind, started.dataset, refreshed]).toEqual([
      'merge',
      'dst',
      1
    ]);
    const done = await client.waitForJob(started, { intervalMs: 50 });
    expect(done.effects).toEqual({
      data: ['samples', 'predictions', 'fields'],
      datasets: 'changed'
    });
    expect(done.result).toEqual({
      source: 'src',
      target: 'dst',
      key: 'file_name',
      matched: 2,
      added: 1,
      labels: 3,
      size_conflicts: [],
      missing_classes: [],
      vectors: {},
      label_maps: {}
    });
    const listed = await client.listDatasets();
    expect(listed.map(d => [d.name, d.num_samples, d.num_annotations])).toEqual(
      [
        ['dst', 4, 6],
        ['src', 3, 3]
      ]
    );
    const refused = await client
      .startMerge('dst', { from: 'dst', key: 'file_name' })
      .catch(e => e);
    expect(refused).toBeInstanceOf(VisionLensAPIError);
    expect([refused.status, refused.message]).toEqual([
      400,
      'a dataset cannot be merged into itself'
    ]);
  }, 60000);
});
