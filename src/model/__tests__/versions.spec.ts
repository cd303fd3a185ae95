/**
 * Versions of a dataset's labels as the versions panel reads and makes them
 * (`model/sources/versions.ts`, and the restore of `model/sources/edits.ts`),
 * through the REST client against a real Jupyter server: save a version,
 * edit, diff it against the current labels (counts per class and a model's
 * evaluation deltas, read into the panel's rows), a diff refused with the
 * server's reason, a restore told to every panel, and the sample tags diffed
 * and restored with the labels.
 */

import { Signal } from '@lumino/signaling';

import { VisionLensClient } from '../../api/client';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { ingestPets } from '../../__tests__/petsDataset';
import { diffRows, evaluationRows, trend } from '../../features/versions/logic';
import { editLabels, restoreVersion } from '../sources/edits';
import { diffVersions, listVersions, saveVersion } from '../sources/versions';
import { IDataChange, IVisionLensModel } from '../tokens';

describe('label versions from the lab', () => {
  let server: ITestServer;
  let client: VisionLensClient;
  const changes: IDataChange[] = [];
  let model: IVisionLensModel;

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    const files = await ingestPets(client, server.dir);
    const predictions = await client.importPredictions('pets', {
      source: files.predictions,
      model: 'copycat',
      format: 'coco'
    });
    await client.waitForJob(predictions.id, { intervalMs: 50 });
    // The parts of the shared model the sources use, over the real client.
    model = {
      client,
      datasets: [],
      dataset: 'pets',
      // (the browse state of a saved version follows the open dataset)
      datasetChanged: new Signal<unknown, string | null>({}),
      notifyDataChanged: (change: IDataChange) => changes.push(change),
      refreshDatasets: async () => []
    } as unknown as IVisionLensModel;
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  });

  async function catOf(sampleId: number) {
    const sample = await client.getSample('pets', sampleId);
    return sample.annotations.filter(a => a.source === 'ground_truth')[0];
  }

  it('saves a version with its message and counts, and lists it', async () => {
    expect(await listVersions(model, 'pets')).toEqual([]);
    const saved = await saveVersion(model, 'pets', 'as ingested');
    expect(saved).toMatchObject({
      version: 1,
      message: 'as ingested',
      samples: 2,
      annotations: 2
    });
    const listed = await listVersions(model, 'pets');
    expect(listed.map(v => [v.version, v.message])).toEqual([
      [1, 'as ingested']
    ]);
  });

  it('diffs a version against the current labels, per class and with a model', async () => {
    const cat = await catOf(1);
    const edit = await editLabels(
      model,
      'pets',
      [{ op: 'relabel', annotation_id: cat.ann_id, label: 'dog' }],
      [1]
    );
    expect(edit.kind).toBe('done');

    const plain = await diffVersions(model, 'pets', { from: 1, to: 'current' });
    if (plain.kind !== 'done') {
      throw new Error(plain.message);
    }
    expect(plain.diff).toMatchObject({
      added: 0,
      removed: 0,
      relabelled: 1,
      moved: 0,
      samples_changed: 1,
      sample_tags: { added: 0, removed: 0 }
    });
    expect(plain.diff.evaluation).toBeUndefined();
    expect(diffRows(plain.diff)).toEqual([
      { label: 'cat', added: 0, removed: 0, relabelled: 1, moved: 0 }
    ]);

    const evaluated = await diffVersions(model, 'pets', {
      from: 1,
      to: 'current',
      model: 'copycat'
    });
    if (evaluated.kind !== 'done') {
      throw new Error(evaluated.message);
    }
    const rows = evaluationRows(evaluated.diff.evaluation!);
    expect(rows.map(r => r.label)).toEqual(['cat', 'dog']);
    // Two dog objects now for the one dog prediction: the dogs' recall halves;
    // the cat has no object left, so its AP is undefined.
    const dogRecall = rows[1].cells.find(c => c.stat === 'recall')!;
    expect(dogRecall).toMatchObject({ from: 1, to: 0.5, delta: -0.5 });
    expect(trend('recall', dogRecall.delta)).toBe('down');
    const catAp = rows[0].cells.find(c => c.stat === 'AP')!;
    expect(catAp.from).toBeCloseTo(1, 5);
    expect(catAp.to).toBeNull();
    expect(catAp.delta).toBeNull();
    expect(rows[1].cells.map(c => c.delta)).toEqual(
      ['AP', 'precision', 'recall'].map(
        s => evaluated.diff.evaluation!.by_class.dog.delta[s]
      )
    );
  });

  it('answers a refused diff with the server’s reason', async () => {
    const outcome = await diffVersions(model, 'pets', {
      from: 1,
      to: 'current',
      model: 'nope'
    });
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.message).toMatch(/copycat/);
  });

  it('restores a version and tells every panel that any sample may have changed', async () => {
    changes.length = 0;
    const outcome = await restoreVersion(model, 'pets', 1);
    expect(outcome.kind).toBe('done');
    expect(outcome.kind === 'done' && outcome.result.kind).toBe('restore');
    expect((await catOf(1)).label).toBe('cat');
    expect(changes).toEqual([{ dataset: 'pets', kind: 'labels', ids: null }]);

    const again = await restoreVersion(model, 'pets', 1);
    expect(again.kind).toBe('refused');
    expect(changes).toHaveLength(1);
  });

  it('diffs and restores the tags of whole samples with the labels', async () => {
    await client.tags('pets', { ids: [2] }, ['recheck'], []);
    const outcome = await diffVersions(model, 'pets', {
      from: 1,
      to: 'current'
    });
    if (outcome.kind !== 'done') {
      throw new Error(outcome.message);
    }
    expect(outcome.diff).toMatchObject({
      samples_changed: 1,
      sample_tags: { added: 1, removed: 0 }
    });
    expect((await client.getSample('pets', 2)).tags).toContain('recheck');
    expect((await restoreVersion(model, 'pets', 1)).kind).toBe('done');
    expect((await client.getSample('pets', 2)).tags).not.toContain('recheck');
  });
});
