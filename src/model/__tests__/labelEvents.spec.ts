/**
 * Label edits made elsewhere reach every panel: the server's labels events
 * (tests/test_job_events.py sends real ones) become the model's `dataChanged`
 * with the samples they touched, except the batches this page wrote itself
 * (told already), and malformed events are ignored.
 */
import { Event, ServerConnection } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import { VisionLensClient } from '../../api/client';
import { LABELS_EVENT_SCHEMA } from '../../api/serverEvents';
import { IDatasetInfo } from '../../api/types';
import { VisionLensModel } from '../model';
import { rememberBatch } from '../sources/edits';
import { IDataChange } from '../tokens';

describe('label events', () => {
  it('tells the panels of batches written elsewhere, once, with their samples', async () => {
    const client = new VisionLensClient(ServerConnection.makeSettings());
    let listed = 0;
    client.listDatasets = async () => {
      listed += 1;
      return [] as IDatasetInfo[];
    };
    const events = new Signal<unknown, Event.Emission>({});
    const model = new VisionLensModel({ client, state: null, events });
    const changes: IDataChange[] = [];
    model.dataChanged.connect((_, c) => changes.push(c));
    const emit = (data: { [key: string]: unknown }) =>
      events.emit({ schema_id: LABELS_EVENT_SCHEMA, ...data });

    emit({ dataset: 'cars', batch: 4, kind: 'edit', sample_ids: [3, 9] });
    emit({ dataset: 'cars', batch: 5, kind: 'restore', sample_ids: null });
    rememberBatch(model, 'cars', 6); // this page's own: told when it was written
    emit({ dataset: 'cars', batch: 6, kind: 'undo', sample_ids: [3] });
    emit({ dataset: 'cars', batch: 'x', kind: 'edit', sample_ids: [] });
    emit({ dataset: 'cars', batch: 7, kind: 'rm -rf', sample_ids: [] });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(changes).toEqual([
      { dataset: 'cars', kind: 'labels', ids: [3, 9] },
      { dataset: 'cars', kind: 'labels', ids: null }
    ]);
    expect(listed).toBe(1); // the two batches told in one tick: one read of the list
    // the same batch number of another dataset is not this page's
    emit({ dataset: 'dogs', batch: 6, kind: 'edit', sample_ids: [1] });
    expect(changes[changes.length - 1]).toEqual({
      dataset: 'dogs',
      kind: 'labels',
      ids: [1]
    });
  });
});
