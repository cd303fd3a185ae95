/**
 * Jobs that end anywhere reach every panel once (issue #32, item 3): the
 * model's `dataChanged` and datasets list follow the server's job events and
 * the jobs list, with a client that answers what a test sets. What a job
 * changed is what the server says (its `effects`, issue #48 item 2): the
 * jobs here are shaped as the server sends them, effects only once done. The real
 * server's events are tests/test_job_events.py's; panels in Chromium are
 * ui-tests/tests/staleState.spec.ts's.
 */
import { Event, ServerConnection } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import { VisionLensClient } from '../../api/client';
import { JOB_EVENT_SCHEMA, visionLensEvent } from '../../api/serverEvents';
import { IDatasetInfo, IJob, IJobEffects, JobStatus } from '../../api/types';
import { jobEffect } from '../jobEffects';
import { VisionLensModel } from '../model';
import { IDataChange } from '../tokens';
import { wireJob } from '../../__tests__/wireJob';

/** What the server declares for the kinds these tests run. */
const DECLARED: Readonly<Record<string, IJobEffects>> = {
  ingest: { data: ['samples'], datasets: 'created' },
  evaluate: { data: ['evaluation'], datasets: 'changed' },
  duplicates: { data: ['fields'], datasets: null },
  thumbnails: { data: [], datasets: null }
};

/** A job as `GET /jobs` lists it: its kind's effects once it is done. */
function job(
  id: string,
  kind: string,
  status: JobStatus,
  dataset: string | null = 'cars',
  effects: IJobEffects | undefined = DECLARED[kind]
): IJob {
  const told = status === 'done' ? (effects ?? null) : null;
  return wireJob({ id, kind, status, dataset, effects: told });
}

/** A model over a client whose jobs list and datasets list a test sets. */
function setUp(initial: IJob[]) {
  const server = { jobs: initial, listed: 0 };
  const client = new VisionLensClient(ServerConnection.makeSettings());
  client.listJobs = async () => server.jobs.map(j => ({ ...j }));
  client.listDatasets = async () => {
    server.listed += 1;
    return [] as IDatasetInfo[];
  };
  const events = new Signal<unknown, Event.Emission>({});
  const model = new VisionLensModel({ client, state: null, events });
  const changes: IDataChange[] = [];
  model.dataChanged.connect((_, c) => changes.push(c));
  const emit = (j: IJob) =>
    events.emit({
      schema_id: JOB_EVENT_SCHEMA,
      id: j.id,
      kind: j.kind,
      status: j.status,
      dataset: j.dataset ?? null,
      effects: j.effects
        ? { data: [...j.effects.data], datasets: j.effects.datasets }
        : null
    });
  return { server, model, changes, emit };
}

/** Let the refreshes the events started settle. */
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

describe('job effects', () => {
  it('maps a job that ended well to what the server says it changed', () => {
    expect(jobEffect(job('1', 'evaluate', 'done'))).toEqual({
      dataset: 'cars',
      kinds: ['evaluation'],
      datasets: true
    });
    expect(jobEffect(job('2', 'duplicates', 'done'))).toEqual({
      dataset: 'cars',
      kinds: ['fields'],
      datasets: false
    });
    // No table of kinds here: a kind the lab never heard of, writing two kinds.
    const both: IJobEffects = {
      data: ['predictions', 'fields'],
      datasets: null
    };
    expect(jobEffect(job('8', 'new-kind', 'done', 'cars', both))).toEqual({
      dataset: 'cars',
      kinds: ['predictions', 'fields'],
      datasets: false
    });
    expect(jobEffect(job('3', 'evaluate', 'failed'))).toBeNull();
    expect(jobEffect(job('4', 'thumbnails', 'done'))).toBeNull();
    expect(jobEffect(job('5', 'ingest', 'done', null))).toBeNull();
    // a done job whose server told no effects changed nothing the lab knows of
    expect(
      jobEffect({ ...job('6', 'ingest', 'done'), effects: null })
    ).toBeNull();
  });

  it('reads only well-formed VisionLens events', () => {
    const emission = {
      schema_id: JOB_EVENT_SCHEMA,
      id: '7',
      kind: 'ingest',
      status: 'done',
      dataset: 'cars',
      effects: { data: ['samples', 'holograms'], datasets: 'created' }
    };
    expect(visionLensEvent(emission)).toEqual({
      type: 'job',
      id: '7',
      kind: 'ingest',
      status: 'done',
      dataset: 'cars',
      effects: { data: ['samples'], datasets: 'created' } // unknown data left out
    });
    expect(visionLensEvent({ ...emission, status: 'exploded' })).toBeNull();
    expect(visionLensEvent({ ...emission, schema_id: 'other' })).toBeNull();
    const malformed = { ...emission, effects: { data: 'samples' } };
    expect(visionLensEvent(malformed)).toMatchObject({ effects: null });
    const queued = { ...emission, status: 'queued', effects: null };
    expect(visionLensEvent(queued)).toMatchObject({ effects: null });
  });

  it('announces a job that ended elsewhere once, from its events', async () => {
    const { server, model, changes, emit } = setUp([]);
    const evaluation = job('2', 'evaluate', 'queued');
    server.jobs = [evaluation];
    emit(evaluation);
    emit({ ...evaluation, status: 'running' });
    await settle();
    expect(changes).toEqual([]);
    expect(model.jobs.jobs.map(j => j.status)).toEqual(['queued']); // listed

    server.jobs = [job('2', 'evaluate', 'done')]; // now with its effects
    emit(server.jobs[0]);
    await settle();
    expect(changes).toEqual([
      { dataset: 'cars', kind: 'evaluation', ids: null }
    ]);
    expect(server.listed).toBe(1); // the models in the list changed
    expect(model.jobs.jobs.map(j => j.status)).toEqual(['done']);

    // The panel that waited on it says so too: still one announcement.
    model.jobEnded(server.jobs[0]);
    emit(server.jobs[0]);
    await settle();
    expect(changes).toHaveLength(1);
  });

  it('announces a job a panel waited on before its event came', async () => {
    const { server, model, changes, emit } = setUp([]);
    const duplicates = job('3', 'duplicates', 'done');
    model.jobEnded(duplicates);
    expect(changes).toEqual([{ dataset: 'cars', kind: 'fields', ids: null }]);
    emit(duplicates);
    await settle();
    expect(changes).toHaveLength(1);
    expect(server.listed).toBe(0); // duplicates change no dataset's summary

    // a failed job changes nothing
    emit(job('4', 'ingest', 'failed'));
    await settle();
    expect(changes).toHaveLength(1);
    expect(server.listed).toBe(0);
  });

  it('announces each kind of data a job wrote, once', async () => {
    const { server, changes, emit } = setUp([]);
    const effects: IJobEffects = {
      data: ['predictions', 'fields'],
      datasets: 'changed'
    };
    const run = job('9', 'new-kind', 'done', 'cars', effects);
    emit(run);
    emit(run);
    await settle();
    expect(changes).toEqual([
      { dataset: 'cars', kind: 'predictions', ids: null },
      { dataset: 'cars', kind: 'fields', ids: null }
    ]);
    expect(server.listed).toBe(1);
  });
});
