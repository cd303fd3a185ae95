/**
 * The map routes through the real REST client against a real Jupyter server:
 * binary frames made by the Python encoder decode to the dataset's ids and
 * the stored coordinates; values and lasso answers agree with JSON answers
 * and with a textbook ray-casting loop over the decoded points; while a saved
 * version is browsed, the filter dimming and shape selection read its tags.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { ServerConnection } from '@jupyterlab/services';

import { VisionLensModel } from '../../../model/model';
import { filteredPoints, selectShape } from '../../../model/sources/maps';
import { sampleIds } from '../../../model/sources/samples';
import { saveVersion } from '../../../model/sources/versions';
import { versionBrowse } from '../../../model/versionBrowse';
import { VisionLensClient } from '../../../api/client';
import { ITestServer, startServer } from '../../../__tests__/jupyterServer';
import { IMapDescriptor } from '../../../api/mapTypes';
import {
  decodeIds,
  decodePoints,
  decodeValues,
  IMapPoints
} from '../../../api/mapWire';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const N = 600;

function insideRayCasting(
  px: number,
  py: number,
  poly: [number, number][]
): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

describe('map routes through the client', () => {
  let server: ITestServer;
  let client: VisionLensClient;
  let dataDir: string;
  let desc: IMapDescriptor;
  let points: IMapPoints;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-jest-map-'));
    // Vectors can only be written before a server owns the store.
    execFileSync(
      process.env.VISIONLENS_PYTHON || 'python',
      [
        path.join(REPO, 'ui-tests', 'map_test_data.py'),
        'blobs',
        dataDir,
        String(N)
      ],
      { env: { ...process.env, PYTHONPATH: REPO }, stdio: 'inherit' }
    );
    server = await startServer([], { dataDir });
    client = new VisionLensClient(server.settings);
    const answer = await client.requestMap('blobs', { method: 'pca' });
    desc = answer.map ?? ((await client.waitForJob(answer.job!)).result as any);
    points = decodePoints(await client.mapPoints('blobs', desc.id));
  }, 180000);

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 30000);

  it('decodes every point with its sample id and the stored bounds', async () => {
    expect(points.count).toBe(N);
    expect(desc.points).toBe(N);
    const { ids } = await client.ids('blobs', {});
    expect(Array.from(points.ids)).toEqual(ids);
    expect(points.positions.every(Number.isFinite)).toBe(true);
    expect(points.bounds.map(v => Math.fround(v))).toEqual(
      desc.bounds.map(v => Math.fround(v as number))
    );
    // A second request is the stored map: no job, same bytes.
    const again = await client.requestMap('blobs', { method: 'pca' });
    expect(again.map?.id).toBe(desc.id);
    const twice = decodePoints(await client.mapPoints('blobs', desc.id));
    expect(twice.positions).toEqual(points.positions);
  });

  it('decodes categorical and numeric values in point order', async () => {
    const split = decodeValues(
      await client.mapValues('blobs', desc.id, 'split')
    );
    if (split.kind !== 'categorical') {
      throw new Error('split should be categorical');
    }
    const train = split.legend.findIndex(e => e.value === 'train');
    const { ids: trainIds } = await client.ids('blobs', {
      sample: { split: { in: ['train'] } }
    });
    const coded = Array.from(points.ids).filter(
      (_, i) => split.codes[i] === train
    );
    expect(coded).toEqual(trainIds);
    expect(split.legend.reduce((s, e) => s + e.count, 0)).toBe(N);

    const score = decodeValues(
      await client.mapValues('blobs', desc.id, 'fields.score')
    );
    if (score.kind !== 'numeric') {
      throw new Error('fields.score should be numeric');
    }
    expect(score.values.length).toBe(N);
    // write_map_dataset stores score = i / n for the i-th sample.
    const first = points.ids[0];
    Array.from(points.ids).forEach((id, i) =>
      expect(score.values[i]).toBeCloseTo((id - first) / N, 5)
    );
    await expect(
      client.mapValues('blobs', desc.id, 'nope')
    ).rejects.toMatchObject({
      status: 400
    });
  });

  it('answers a lasso with the ids a ray-casting loop finds, filtered', async () => {
    const [x0, y0, x1, y1] = points.bounds;
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const r = Math.max(x1 - x0, y1 - y0) / 3;
    const polygon: [number, number][] = [];
    for (let k = 0; k < 14; k++) {
      const rr = k % 2 ? r * 0.45 : r;
      polygon.push([
        cx + rr * Math.cos((Math.PI * k) / 7),
        cy + rr * Math.sin((Math.PI * k) / 7)
      ]);
    }
    const ids = Array.from(
      decodeIds(await client.mapSelect('blobs', desc.id, { polygon }))
    );
    const expected = Array.from(points.ids).filter((_, i) =>
      insideRayCasting(
        points.positions[2 * i],
        points.positions[2 * i + 1],
        polygon
      )
    );
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(N);
    expect(ids).toEqual(expected);

    // The JSON answer of the same route holds the same ids.
    const response = await ServerConnection.makeRequest(
      client.url(`datasets/blobs/maps/${desc.id}/select`),
      { method: 'POST', body: JSON.stringify({ polygon }) },
      server.settings
    );
    expect((await response.json()).ids).toEqual(expected);

    const filter = { sample: { split: { in: ['val'] } } };
    const filtered = Array.from(
      decodeIds(await client.mapSelect('blobs', desc.id, { polygon }, filter))
    );
    const { ids: valIds } = await client.ids('blobs', filter);
    expect(filtered).toEqual(expected.filter(id => valIds.includes(id)));

    const all = decodeIds(
      await client.mapSelect('blobs', desc.id, { rect: points.bounds })
    );
    expect(all.length).toBe(N);
  });

  it('dims and selects by the labels and tags of the version browsed', async () => {
    const model = new VisionLensModel({ client });
    model.setDataset('blobs');
    const version = await saveVersion(model, 'blobs', 'before the tags');
    const tagged = { tags: { any: ['recheck'] } };
    const some = Array.from(points.ids.slice(0, 5));
    await client.tags('blobs', { ids: some }, ['recheck'], []);
    const shape = { rect: points.bounds };
    const current = await filteredPoints(
      model,
      'blobs',
      desc.id,
      points,
      tagged
    );
    expect(Array.from(current!).map(i => points.ids[i])).toEqual(some);
    expect(
      Array.from(await selectShape(model, 'blobs', desc.id, shape, tagged))
    ).toEqual(some);
    versionBrowse(model).browse('blobs', version);
    const then = await filteredPoints(model, 'blobs', desc.id, points, tagged);
    expect(then!.length).toBe(0);
    expect(
      (await selectShape(model, 'blobs', desc.id, shape, tagged)).length
    ).toBe(0);
    expect((await sampleIds(model, 'blobs', tagged)).total).toBe(0);
    versionBrowse(model).browse('blobs', null);
    expect((await sampleIds(model, 'blobs', tagged)).ids).toEqual(some);
  });
});
