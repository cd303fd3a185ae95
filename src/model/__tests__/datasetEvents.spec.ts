/**
 * Datasets created, removed or changed elsewhere (another tab, a notebook, the
 * CLI: tests/test_outside_writes_events.py sends real ones) reach the datasets
 * list: each dataset event reads the list again, a removed current dataset is
 * forgotten, and malformed events are ignored.
 */
import { Event, ServerConnection } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import { VisionLensClient } from '../../api/client';
import { DATASET_EVENT_SCHEMA } from '../../api/serverEvents';
import { IDatasetInfo } from '../../api/types';
import { VisionLensModel } from '../model';

describe('dataset events', () => {
  it('reads the datasets list again and forgets a removed current dataset', async () => {
    const client = new VisionLensClient(ServerConnection.makeSettings());
    let listed = 0;
    client.listDatasets = async () => {
      listed += 1;
      return [] as IDatasetInfo[];
    };
    const events = new Signal<unknown, Event.Emission>({});
    const model = new VisionLensModel({ client, state: null, events });
    const emit = (data: { [key: string]: unknown }) =>
      events.emit({ schema_id: DATASET_EVENT_SCHEMA, ...data });

    model.setDataset('cars');
    emit({ dataset: 'bikes', change: 'created', job: 'j1' });
    emit({ dataset: 'cars', change: 'renamed', job: null });
    emit({ dataset: 7, change: 'removed', job: null });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(listed).toBe(1);
    expect(model.dataset).toBe('cars');

    emit({ dataset: 'bikes', change: 'removed', job: null });
    expect(model.dataset).toBe('cars'); // another dataset's delete
    emit({ dataset: 'cars', change: 'removed', job: null });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.dataset).toBeNull();
    expect(listed).toBe(3);
  });
});
