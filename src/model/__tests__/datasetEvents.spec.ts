/**
 * Datasets created, removed or changed elsewhere (another tab, a notebook, the
 * CLI: tests/test_outside_writes_events.py sends real ones) reach the datasets
 * list: each dataset event reads the list again, a removed current dataset is
 * forgotten, and malformed events are ignored.
 */
import { Event, ServerConnection } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import { VisionLensClient } from '../../api/client';
import { DATASET_EVENT_SCHEMA, JOB_EVENT_SCHEMA } from '../../api/serverEvents';
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
    expect(listed).toBe(2); // the two removals of one tick: one read
  });

  it('reads the list once for a change told by its job event and its dataset event', async () => {
    const client = new VisionLensClient(ServerConnection.makeSettings());
    let listed = 0;
    client.listDatasets = async () => {
      listed += 1;
      return [{ name: `v${listed}` }] as IDatasetInfo[];
    };
    client.listJobs = async () => [];
    const events = new Signal<unknown, Event.Emission>({});
    const model = new VisionLensModel({ client, state: null, events });
    const nextTask = () => new Promise(resolve => setTimeout(resolve, 0));
    // as the server declares them: both change the datasets list
    const jobDone = (id: string, kind: string) =>
      events.emit({
        schema_id: JOB_EVENT_SCHEMA,
        id,
        kind,
        status: 'done',
        dataset: 'bikes',
        effects: {
          data: kind === 'ingest' ? ['samples'] : ['predictions'],
          datasets: kind === 'ingest' ? 'created' : 'changed'
        }
      });
    const datasetEvent = (job: string | null) =>
      events.emit({
        schema_id: DATASET_EVENT_SCHEMA,
        dataset: 'bikes',
        change: 'created',
        job
      });

    // as the server sends them: the job's end, then its dataset event (two messages)
    jobDone('j1', 'ingest');
    await nextTask();
    datasetEvent('j1');
    await nextTask();
    expect(listed).toBe(1);
    expect(model.datasets.map(d => d.name)).toEqual(['v1']);

    // the other order, and another job's change: read again
    datasetEvent('j2');
    await nextTask();
    jobDone('j2', 'predictions');
    await nextTask();
    expect(listed).toBe(2);

    // a delete (no job) and calls of one tick share one read
    datasetEvent(null);
    const reads = [model.refreshDatasets(), model.refreshDatasets()];
    await Promise.all(reads);
    expect(listed).toBe(3);
    expect(model.datasets.map(d => d.name)).toEqual(['v3']);
  });

  it('reads again for a job whose read failed', async () => {
    const client = new VisionLensClient(ServerConnection.makeSettings());
    let listed = 0;
    client.listDatasets = async () => {
      listed += 1;
      if (listed === 1) {
        throw new Error('server away');
      }
      return [] as IDatasetInfo[];
    };
    const model = new VisionLensModel({ client, state: null, events: null });
    await expect(model.refreshDatasets('j1')).rejects.toThrow('server away');
    await model.refreshDatasets('j1');
    expect(listed).toBe(2);
  });
});
