/**
 * The patches endpoints through the REST client against a real Jupyter
 * server: a page of objects under a filter, a patch selection's samples, the
 * crop URL (served with the token, refused without), a hostile class name
 * coming back as the same text.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { ServerConnection } from '@jupyterlab/services';

import { VisionLensClient } from '../client';
import { VisionLensAPIError } from '../restTransport';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';

const HOSTILE = '<img src=x onerror="alert(1)">';

/** Three 64x48 images with two boxes each: a cat and a hostile class. */
function writeDataset(dir: string): string {
  const python = process.env.VISIONLENS_PYTHON || 'python';
  execFileSync(python, [
    '-c',
    'import sys; from PIL import Image\n' +
      'for i in range(1, 4): Image.new("RGB", (64, 48), (40 * i, 90, 160)).save(f"{sys.argv[1]}/img{i}.png")',
    dir
  ]);
  const images = [1, 2, 3].map(id => ({
    id,
    file_name: `img${id}.png`,
    width: 64,
    height: 48
  }));
  const annotations = images.flatMap(im => [
    {
      id: im.id * 10,
      image_id: im.id,
      category_id: 1,
      bbox: [4, 4, 10 * im.id, 10],
      area: 100 * im.id,
      iscrowd: 0
    },
    {
      id: im.id * 10 + 1,
      image_id: im.id,
      category_id: 2,
      bbox: [30, 20, 8, 8],
      area: 64,
      iscrowd: 0
    }
  ]);
  const file = path.join(dir, 'labels.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      images,
      annotations,
      categories: [
        { id: 1, name: 'cat' },
        { id: 2, name: HOSTILE }
      ]
    })
  );
  return file;
}

describe('patches through the client', () => {
  let server: ITestServer;
  let client: VisionLensClient;

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    const source = writeDataset(server.dir);
    const job = await client.ingest({ source, name: 'boxes', format: 'coco' });
    await client.waitForJob(job.id, { intervalMs: 50 });
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  }, 30000);

  it('pages objects under a filter, sorted, with the exact total', async () => {
    const page = await client.queryPatches(
      'boxes',
      { labels: [{ classes: ['cat'] }] },
      {
        kind: 'objects',
        source: 'ground_truth',
        sort: 'area',
        order: 'desc',
        limit: 2
      }
    );
    expect(page.total).toBe(3);
    expect(page.objects.map(o => o.area)).toEqual([300, 200]);
    expect(page.objects.every(o => o.label === 'cat')).toBe(true);
    const hostile = await client.queryPatches(
      'boxes',
      { labels: [{ classes: [HOSTILE] }] },
      { kind: 'objects' }
    );
    expect(hostile.objects.map(o => o.label)).toEqual([
      HOSTILE,
      HOSTILE,
      HOSTILE
    ]);
  });

  it('maps a patch selection to its samples', async () => {
    const page = await client.queryPatches('boxes', {}, { kind: 'objects' });
    const bySample = new Map(page.objects.map(o => [o.ann_id, o.sample_id]));
    const picked = page.objects.slice(0, 3).map(o => o.ann_id);
    const samples = await client.patchSamples('boxes', picked);
    expect(samples).toEqual(
      [...new Set(picked.map(a => bySample.get(a)!))].sort((a, b) => a - b)
    );
    const bad = await client
      .queryPatches('boxes', {}, { kind: 'evaluation' })
      .catch(e => e);
    expect(bad).toBeInstanceOf(VisionLensAPIError);
    expect(bad.status).toBe(400);
  });

  it('serves the crop of an object with the token only', async () => {
    const page = await client.queryPatches(
      'boxes',
      {},
      { kind: 'objects', limit: 1 }
    );
    const url = client.cropUrl('boxes', page.objects[0].ann_id, 64, 0);
    expect(url).toContain(
      `/visionlens/api/datasets/boxes/objects/${page.objects[0].ann_id}/crop?size=64&context=0`
    );
    const ok = await ServerConnection.makeRequest(url, {}, server.settings);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('Content-Type')).toBe('image/jpeg');
    expect(ok.headers.get('X-VisionLens-Media-Error')).toBeNull();
    const anonymous = ServerConnection.makeSettings({
      baseUrl: server.settings.baseUrl,
      token: ''
    });
    const refused = await ServerConnection.makeRequest(url, {}, anonymous);
    expect([401, 403]).toContain(refused.status);
  });
});
