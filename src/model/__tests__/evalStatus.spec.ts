/**
 * TP/FP/FN statuses through the model's sources against a real Jupyter
 * server: the grid's page source and the sample view's `getSample` ask for
 * the boxes' statuses (`eval_status`) only with the colours on, of the model
 * `evalColourModel` picks, and get the server's statuses; a playing video's
 * frames read the colouring evaluation once, not once per frame.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { VisionLensClient } from '../../api/client';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { VisionLensModel } from '../model';
import {
  colouringEvaluation,
  FrameEvaluation,
  listEvaluations
} from '../sources/evaluations';
import { getSample, SamplesPageSource } from '../sources/samples';
import { IAnnotation, IFilter, IQueryOptions } from '../tokens';

/**
 * Two 64x48 images: image 1 has a cat the model finds (TP, TP) and a dog it
 * misses (FN); image 2 has a cat the model misses (FN) and a box where
 * there is nothing (FP).
 */
function writeDataset(dir: string): { labels: string; predictions: string } {
  const python = process.env.VISIONLENS_PYTHON || 'python';
  execFileSync(python, [
    '-c',
    'import sys; from PIL import Image\n' +
      'for i in (1, 2): Image.new("RGB", (64, 48), (90, 90, 90)).save(f"{sys.argv[1]}/img{i}.png")',
    dir
  ]);
  const images = [1, 2].map(id => ({
    id,
    file_name: `img${id}.png`,
    width: 64,
    height: 48
  }));
  const gt = (id: number, image_id: number, cat: number, bbox: number[]) => ({
    id,
    image_id,
    category_id: cat,
    bbox,
    area: bbox[2] * bbox[3],
    iscrowd: 0
  });
  const labels = path.join(dir, 'labels.json');
  fs.writeFileSync(
    labels,
    JSON.stringify({
      images,
      annotations: [
        gt(1, 1, 1, [4, 4, 20, 10]),
        gt(2, 1, 2, [40, 30, 8, 8]),
        gt(3, 2, 1, [40, 30, 10, 10])
      ],
      categories: [
        { id: 1, name: 'cat' },
        { id: 2, name: 'dog' }
      ]
    })
  );
  const predictions = path.join(dir, 'det.json');
  fs.writeFileSync(
    predictions,
    JSON.stringify([
      { image_id: 1, category_id: 1, bbox: [4, 4, 20, 10], score: 0.9 },
      { image_id: 2, category_id: 1, bbox: [2, 2, 10, 10], score: 0.8 }
    ])
  );
  return { labels, predictions };
}

/** "source label x": status, for comparing regardless of ids. */
function statuses(annotations: IAnnotation[]): Record<string, unknown> {
  return Object.fromEntries(
    annotations.map(a => [`${a.source} ${a.label} ${a.bbox[0]}`, a.status])
  );
}

describe('TP/FP/FN statuses through the sources', () => {
  let server: ITestServer;
  let model: VisionLensModel;
  const asked: IQueryOptions[] = [];

  beforeAll(async () => {
    server = await startServer();
    const client = new VisionLensClient(server.settings);
    const { labels, predictions } = writeDataset(server.dir);
    const wait = { intervalMs: 50 };
    const ingest = await client.ingest({
      source: labels,
      name: 'ev',
      format: 'coco'
    });
    await client.waitForJob(ingest.id, wait);
    // two models, "other" evaluated first: "det" is the newest evaluation
    for (const name of ['other', 'det']) {
      const preds = await client.importPredictions('ev', {
        source: predictions,
        model: name,
        format: 'coco'
      });
      await client.waitForJob(preds.id, wait);
      const evaluation = await client.startEvaluation('ev', {
        model: name,
        protocol: 'coco',
        iou: 0.5,
        plus_one: false
      });
      await client.waitForJob(evaluation.id, wait);
    }
    // the real client, its requests' options recorded
    const query = client.querySamples.bind(client);
    client.querySamples = (dataset, filter, options, signal) => {
      asked.push(options);
      return query(dataset, filter, options, signal);
    };
    model = new VisionLensModel({ client, state: null, saveDelay: 0 });
  }, 180000);

  afterAll(async () => {
    await server?.stop();
  }, 30000);

  it("picks the filter's evaluation, else the one picked, else the newest", async () => {
    const chosen = async (filter: IFilter) =>
      (await colouringEvaluation(model, 'ev', filter))?.model;
    expect(await chosen({})).toBe('det');
    const byModel = { labels: [{ eval: { model: 'other', status: ['fp'] } }] };
    expect(await chosen(byModel)).toBe('other');
    const { key } = (await listEvaluations(model, 'ev')).find(
      e => e.model === 'other'
    )!;
    const byKey = { labels: [{ source: 'other', eval: { key } }] };
    expect(await chosen(byKey)).toBe('other');
    // the Evaluation panel's report (the model's evalKey) when the filter names none
    model.setEvalKey(key);
    expect(await chosen({})).toBe('other');
    // ... and the filter's evaluation before it
    expect(await chosen({ labels: [{ eval: { model: 'det' } }] })).toBe('det');
    model.setEvalKey('no-such-evaluation');
    expect(await chosen({})).toBe('det');
    model.setEvalKey(null);
  });

  it('asks the grid pages for statuses only with the colours on', async () => {
    const query = { dataset: 'ev', filter: {}, sort: null, ranking: null };
    const signal = new AbortController().signal;
    asked.length = 0;
    const plain = await new SamplesPageSource(model, query).fetch(
      0,
      10,
      signal
    );
    expect(asked.map(o => o.eval_status)).toEqual([undefined]);
    const objects = plain.rows.flatMap(s => s?.annotations ?? []);
    expect(objects).toHaveLength(7);
    expect(objects.every(a => a.status === undefined)).toBe(true);
    const source = new SamplesPageSource(model, query);
    source.setEvalColours(true);
    const coloured = await source.fetch(0, 10, signal);
    const det = (await listEvaluations(model, 'ev')).find(
      e => e.model === 'det'
    )!;
    expect(asked.map(o => o.eval_status)).toEqual([undefined, det.key]);
    expect(statuses(coloured.rows.flatMap(s => s?.annotations ?? []))).toEqual({
      'ground_truth cat 4': 'tp',
      'ground_truth dog 40': 'fn',
      'det cat 4': 'tp',
      'ground_truth cat 40': 'fn',
      'det cat 2': 'fp',
      'other cat 4': null, // not judged by det's evaluation
      'other cat 2': null
    });
  });

  it("reads a video's colouring evaluation once per filter and choice", async () => {
    const client = model.client as VisionLensClient;
    const list = jest.spyOn(client, 'listEvaluations');
    try {
      const frames = new FrameEvaluation(model);
      const picked = await Promise.all(
        [1, 2, 3].map(() => frames.get('ev', {}))
      );
      expect(picked.map(e => e?.model)).toEqual(['det', 'det', 'det']);
      expect(list).toHaveBeenCalledTimes(1);
      const other = { labels: [{ eval: { model: 'other' } }] };
      expect((await frames.get('ev', other))?.model).toBe('other');
      expect((await frames.get('ev', other))?.model).toBe('other');
      expect(list).toHaveBeenCalledTimes(2); // another filter: read again, once
      const { key } = (await listEvaluations(model, 'ev')).find(
        e => e.model === 'other'
      )!;
      list.mockClear();
      model.setEvalKey(key); // the Evaluation panel's pick
      expect((await frames.get('ev', {}))?.model).toBe('other');
      frames.clear(); // an evaluation written or deleted
      expect((await frames.get('ev', {}))?.model).toBe('other');
      expect(list).toHaveBeenCalledTimes(2);
    } finally {
      model.setEvalKey(null);
      list.mockRestore();
    }
  });

  it('gets one sample with statuses only with the colours on', async () => {
    const page = await new SamplesPageSource(model, {
      dataset: 'ev',
      filter: {},
      sort: null,
      ranking: null
    }).fetch(0, 10, new AbortController().signal);
    const id = page.rows[1]?.sample_id ?? -1;
    const plain = await getSample(model, 'ev', id);
    expect(plain.annotations.every(a => a.status === undefined)).toBe(true);
    const det = (await listEvaluations(model, 'ev')).find(
      e => e.model === 'det'
    )!;
    const coloured = await getSample(model, 'ev', id, undefined, det);
    expect(statuses(coloured.annotations)).toEqual({
      'ground_truth cat 40': 'fn',
      'det cat 2': 'fp',
      'other cat 2': null
    });
  });
});
