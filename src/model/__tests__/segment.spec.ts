/**
 * Click-to-mask from the lab (`model/sources/segment.ts`, the client's
 * `segmentSample` and `prefetchSegment`) against a real Jupyter server with a
 * tiny randomly initialised SAM saved in the test (tests/segment_fixtures.py:
 * nothing is downloaded): a prompt gives a mask in the image's pixels, the
 * mask is kept through the edit log as a new object (`add` with its
 * segmentation) and as the mask of an existing box (`mask`), each undone, and
 * a model whose weights are not here is refused with the server's message.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { Signal } from '@lumino/signaling';

import { VisionLensClient } from '../../api/client';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { ingestPets, PET_BOX } from '../../__tests__/petsDataset';
import { editLabels, undoEdit } from '../sources/edits';
import { prefetchMasks, segmentMask } from '../sources/segment';
import { IDataChange, IVisionLensModel } from '../tokens';

const REPO = path.resolve(__dirname, '..', '..', '..');

describe('click-to-mask from the lab', () => {
  let server: ITestServer;
  let client: VisionLensClient;
  let model: IVisionLensModel;
  let sam: string;

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    await ingestPets(client, server.dir);
    sam = path.join(server.dir, 'tiny-sam');
    execFileSync(process.env.VISIONLENS_PYTHON || 'python', [
      '-c',
      'import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1])\n' +
        'from tests.segment_fixtures import save_tiny_sam\n' +
        'save_tiny_sam(Path(sys.argv[2]))',
      REPO,
      sam
    ]);
    model = {
      client,
      datasets: [],
      dataset: 'pets',
      datasetChanged: new Signal<unknown, string | null>({}),
      notifyDataChanged: (_: IDataChange) => undefined,
      refreshDatasets: async () => []
    } as unknown as IVisionLensModel;
  }, 180000);

  afterAll(async () => {
    await server?.stop();
  });

  const objects = async (sampleId: number) =>
    (await client.getSample('pets', sampleId)).annotations;

  it('gives a mask of the clicks and box, in the image pixels', async () => {
    expect(await prefetchMasks(model, 'pets', sam, [1, 2])).toBeNull();
    const outcome = await segmentMask(model, 'pets', 1, {
      model: sam,
      points: [
        { x: 14, y: 9, label: 1 },
        { x: 50, y: 40, label: 0 }
      ],
      box: PET_BOX as [number, number, number, number]
    });
    if (outcome.kind !== 'mask') {
      throw new Error(`refused: ${outcome.message}\n${server.log()}`);
    }
    expect(outcome.mask.mask.size).toEqual([48, 64]);
    expect([outcome.mask.width, outcome.mask.height]).toEqual([64, 48]);
    expect(typeof outcome.mask.mask.counts).toBe('string');
  }, 120000);

  it('keeps a mask as a new object, and undoes it', async () => {
    const before = await objects(2);
    const asked = await segmentMask(model, 'pets', 2, {
      model: sam,
      points: [{ x: 30, y: 20, label: 1 }]
    });
    if (asked.kind !== 'mask') {
      throw new Error(`refused: ${asked.message}`);
    }
    // (the tiny model's weights are seeded: this prompt covers pixels)
    expect(asked.mask.area).toBeGreaterThan(0);
    const kept = await editLabels(
      model,
      'pets',
      [
        { op: 'add', sample_id: 2, label: 'dog', segmentation: asked.mask.mask }
      ],
      [2]
    );
    expect(kept.kind).toBe('done');
    const after = await objects(2);
    expect(after).toHaveLength(before.length + 1);
    const added = after.find(a => !before.some(b => b.ann_id === a.ann_id));
    expect(added?.segmentation).toBeTruthy();
    expect(added?.bbox).toEqual(asked.mask.bbox);
    expect((await undoEdit(model, 'pets')).kind).toBe('done');
    expect(await objects(2)).toHaveLength(before.length);
  }, 120000);

  it("makes a mask an existing box's mask, its box kept", async () => {
    const [cat] = await objects(1);
    const mask = {
      size: [48, 64] as [number, number],
      counts: [48 * 5, 96, 48 * 64 - 336]
    };
    const kept = await editLabels(
      model,
      'pets',
      [
        {
          op: 'mask',
          annotation_id: cat.ann_id,
          segmentation: mask,
          expected: { label: cat.label, bbox: cat.bbox }
        }
      ],
      [1]
    );
    expect(kept.kind).toBe('done');
    const [masked] = await objects(1);
    expect(masked.segmentation).toBeTruthy();
    expect(masked.bbox).toEqual(cat.bbox);
    expect((await undoEdit(model, 'pets')).kind).toBe('done');
    expect((await objects(1))[0].segmentation ?? null).toBeNull();
  }, 60000);

  it('says which model has no weights here, and where it looked', async () => {
    const missing = path.join(server.dir, 'no-such-sam');
    const outcome = await segmentMask(model, 'pets', 1, {
      model: missing,
      points: [{ x: 5, y: 5, label: 1 }]
    });
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.message).toContain(
      'no-such-sam'
    );
  }, 60000);
});
