/**
 * Label edits as the panels make them (`model/sources/edits.ts`), through the
 * REST client against a real Jupyter server: a move is written and told to the
 * other panels, an edit whose object changed in another tab comes back as a
 * conflict with the object as it is now (nothing written), applying it over
 * the new state works, an invalid one is refused with the server's reason,
 * undo and redo, and the classes an object may take.
 */

import { Signal } from '@lumino/signaling';

import { VisionLensClient } from '../../api/client';
import { ITestServer, startServer } from '../../__tests__/jupyterServer';
import { ingestPets } from '../../__tests__/petsDataset';
import {
  conflictNow,
  datasetClasses,
  editLabels,
  redoEdit,
  undoEdit
} from '../sources/edits';
import { IDataChange, isObjectConflict, IVisionLensModel } from '../tokens';

describe('label edits from the lab', () => {
  let server: ITestServer;
  let client: VisionLensClient;
  const changes: IDataChange[] = [];
  let refreshed = 0;
  let model: IVisionLensModel;

  beforeAll(async () => {
    server = await startServer();
    client = new VisionLensClient(server.settings);
    await ingestPets(client, server.dir);
    // The parts of the shared model the edit source uses, over the real client.
    model = {
      client,
      datasets: [],
      dataset: 'pets',
      // (the browse state of a saved version follows the open dataset)
      datasetChanged: new Signal<unknown, string | null>({}),
      notifyDataChanged: (change: IDataChange) => changes.push(change),
      refreshDatasets: async () => {
        refreshed += 1;
        return [];
      }
    } as unknown as IVisionLensModel;
  }, 120000);

  afterAll(async () => {
    await server?.stop();
  });

  async function catOf(sampleId: number) {
    const sample = await client.getSample('pets', sampleId);
    return sample.annotations[0];
  }

  it('writes a move and tells the other panels which sample changed', async () => {
    const cat = await catOf(1);
    const outcome = await editLabels(
      model,
      'pets',
      [
        {
          op: 'move',
          annotation_id: cat.ann_id,
          bbox: [10, 8, 20, 10],
          expected: { bbox: cat.bbox }
        }
      ],
      [1]
    );
    expect(outcome.kind).toBe('done');
    expect((await catOf(1)).bbox).toEqual([10, 8, 20, 10]);
    expect(changes[changes.length - 1]).toEqual({
      dataset: 'pets',
      kind: 'labels',
      ids: [1]
    });
    expect(refreshed).toBeGreaterThan(0);
  });

  it('answers a conflict when the object changed in another tab, writing nothing', async () => {
    const seen = await catOf(1);
    // another tab relabels it first
    await client.applyEdits('pets', [
      { op: 'relabel', annotation_id: seen.ann_id, label: 'dog' }
    ]);
    const before = changes.length;
    const outcome = await editLabels(
      model,
      'pets',
      [
        {
          op: 'delete',
          annotation_id: seen.ann_id,
          expected: { label: seen.label, bbox: seen.bbox }
        }
      ],
      [1]
    );
    expect(outcome.kind).toBe('conflict');
    if (outcome.kind !== 'conflict' || !isObjectConflict(outcome.conflict)) {
      throw new Error('not an object conflict');
    }
    expect(outcome.conflict.conflict.annotation_id).toBe(seen.ann_id);
    expect(outcome.conflict.conflict.current?.label).toBe('dog');
    expect(conflictNow(outcome.conflict).text).toBe(
      `Changed in another tab: now dog at [${outcome.conflict.conflict.current!.bbox.map(v => Math.round(v)).join(', ')}].`
    );
    expect(changes.length).toBe(before);
    expect((await catOf(1)).label).toBe('dog');
    // "Apply mine": the same delete, expecting the state it has now
    const current = outcome.conflict.conflict.current!;
    const again = await editLabels(
      model,
      'pets',
      [
        {
          op: 'delete',
          annotation_id: seen.ann_id,
          expected: { label: current.label, bbox: current.bbox }
        }
      ],
      [1]
    );
    expect(again.kind).toBe('done');
    expect((await client.getSample('pets', 1)).annotations).toEqual([]);
  });

  it('refuses an invalid edit with the reason and undoes and redoes', async () => {
    const refused = await editLabels(
      model,
      'pets',
      [{ op: 'add', sample_id: 2, label: 'unicorn', bbox: [1, 1, 5, 5] }],
      [2]
    );
    expect(refused.kind).toBe('refused');
    if (refused.kind === 'refused') {
      expect(refused.message).toContain('unicorn');
    }
    expect((await undoEdit(model, 'pets')).kind).toBe('done');
    expect((await catOf(1)).label).toBe('dog'); // the delete undone
    expect((await redoEdit(model, 'pets')).kind).toBe('done');
    expect((await client.getSample('pets', 1)).annotations).toEqual([]);
    expect(changes[changes.length - 1]).toEqual({
      dataset: 'pets',
      kind: 'labels',
      ids: null
    });
  });

  it('reads the classes an object may take', async () => {
    expect(await datasetClasses(model, 'pets')).toEqual(['cat', 'dog']);
    expect(await datasetClasses(model, 'no-such-dataset')).toEqual([]);
  });

  it("tells a sample's tag conflict (the second shape a 409 may take)", () => {
    const conflict = {
      message: 'conflict: the tags of sample 3 changed',
      conflict: { index: null, sample_id: 3, tags: ['b', 'a'] }
    };
    expect(isObjectConflict(conflict)).toBe(false);
    expect(conflictNow(conflict)).toEqual({
      current: null,
      text: 'The tags of sample 3 changed in another tab: now [a, b].'
    });
    const gone = {
      ...conflict,
      conflict: { ...conflict.conflict, tags: null }
    };
    expect(conflictNow(gone).text).toBe(
      'The tags of sample 3 changed in another tab: the sample was deleted.'
    );
  });

  it("tells a sample's image-label conflict (the third shape a 409 may take)", () => {
    const conflict = {
      message: 'conflict: the image labels of sample 4 (ground_truth) changed',
      conflict: {
        index: 0,
        sample_id: 4,
        source: 'ground_truth',
        labels: ['dog']
      }
    };
    expect(isObjectConflict(conflict)).toBe(false);
    expect(conflictNow(conflict)).toEqual({
      current: null,
      text: 'The image labels of sample 4 changed in another tab: now [dog].'
    });
    const gone = {
      ...conflict,
      conflict: { ...conflict.conflict, labels: null }
    };
    expect(conflictNow(gone).text).toBe(
      'The image labels of sample 4 changed in another tab: the sample was deleted.'
    );
  });
});
