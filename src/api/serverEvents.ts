/**
 * The Jupyter server events VisionLens sends (`/api/events/subscribe`), as a
 * typed union: the server side is `visionlens_jlab/jobs/events.py`.
 */
import { Event } from '@jupyterlab/services';

import { IJobEffects, JobDataChange, JobStatus } from './types';

/** The schema id of a job status change (the server names the same). */
export const JOB_EVENT_SCHEMA =
  'https://events.visionlens.dev/visionlens_jlab/job/v1';

/** A VisionLens job was queued, started or ended. */
export interface IJobEvent {
  readonly type: 'job';
  readonly id: string;
  readonly kind: string;
  readonly status: JobStatus;
  readonly dataset: string | null;
  /** What the job changed (null unless it is done, or the event was malformed). */
  readonly effects: IJobEffects | null;
}

/** The schema id of a batch of label edits (the server names the same). */
export const LABELS_EVENT_SCHEMA =
  'https://events.visionlens.dev/visionlens_jlab/labels/v1';

/** A batch of label edits was written (an edit, undo, redo, restore, Label Studio pull). */
export interface ILabelsEvent {
  readonly type: 'labels';
  readonly dataset: string;
  readonly batch: number;
  readonly kind: 'edit' | 'undo' | 'redo' | 'restore';
  /** The samples it touched (null: too many to list, any may have changed). */
  readonly sampleIds: readonly number[] | null;
}

/** The schema id of a dataset change (the server names the same). */
export const DATASET_EVENT_SCHEMA =
  'https://events.visionlens.dev/visionlens_jlab/dataset/v1';

/** How a dataset changed: an ingest ended, a delete, an import or analysis ended. */
export type DatasetChange = 'created' | 'removed' | 'changed';

/**
 * A dataset was created, removed, or given new models or results, by this
 * lab, another one, a notebook or the command line (all write through the server).
 */
export interface IDatasetEvent {
  readonly type: 'dataset';
  readonly dataset: string;
  readonly change: DatasetChange;
  /** The job that made the change (null for a delete). */
  readonly job: string | null;
}

/** Every VisionLens server event. */
export type VisionLensEvent = IJobEvent | ILabelsEvent | IDatasetEvent;

const DATASET_CHANGES: ReadonlySet<string> = new Set([
  'created',
  'removed',
  'changed'
]);

const LABEL_KINDS: ReadonlySet<string> = new Set([
  'edit',
  'undo',
  'redo',
  'restore'
]);

const DATA_CHANGES: ReadonlySet<string> = new Set([
  'samples',
  'predictions',
  'evaluation',
  'fields'
]);

const STATUSES: ReadonlySet<string> = new Set([
  'queued',
  'running',
  'done',
  'failed',
  'cancelled'
]);

/** The VisionLens event an emission carries, or null (another schema, or malformed). */
export function visionLensEvent(
  emission: Event.Emission
): VisionLensEvent | null {
  if (emission.schema_id === LABELS_EVENT_SCHEMA) {
    return labelsEvent(emission);
  }
  if (emission.schema_id === DATASET_EVENT_SCHEMA) {
    return datasetEvent(emission);
  }
  if (emission.schema_id !== JOB_EVENT_SCHEMA) {
    return null;
  }
  const { id, kind, status, dataset } = emission;
  if (
    typeof id !== 'string' ||
    typeof kind !== 'string' ||
    typeof status !== 'string' ||
    !STATUSES.has(status)
  ) {
    return null;
  }
  return {
    type: 'job',
    id,
    kind,
    status: status as JobStatus,
    dataset: typeof dataset === 'string' ? dataset : null,
    effects: jobEffects(emission.effects)
  };
}

/**
 * A job's `effects` as the server sent them, or null when it sent none or
 * not of that shape; data kinds this lab does not know are left out.
 */
export function jobEffects(raw: unknown): IJobEffects | null {
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  const { data, datasets } = raw as { [key: string]: unknown };
  if (!Array.isArray(data)) {
    return null;
  }
  return {
    data: data.filter(
      (d): d is JobDataChange => typeof d === 'string' && DATA_CHANGES.has(d)
    ),
    datasets: datasets === 'created' || datasets === 'changed' ? datasets : null
  };
}

function labelsEvent(emission: Event.Emission): ILabelsEvent | null {
  const { dataset, batch, kind } = emission;
  const ids = emission.sample_ids;
  if (
    typeof dataset !== 'string' ||
    typeof batch !== 'number' ||
    typeof kind !== 'string' ||
    !LABEL_KINDS.has(kind)
  ) {
    return null;
  }
  const listed = Array.isArray(ids) && ids.every(id => typeof id === 'number');
  return {
    type: 'labels',
    dataset,
    batch,
    kind: kind as ILabelsEvent['kind'],
    sampleIds: listed ? (ids as number[]) : null
  };
}

function datasetEvent(emission: Event.Emission): IDatasetEvent | null {
  const { dataset, change, job } = emission;
  if (
    typeof dataset !== 'string' ||
    typeof change !== 'string' ||
    !DATASET_CHANGES.has(change)
  ) {
    return null;
  }
  return {
    type: 'dataset',
    dataset,
    change: change as DatasetChange,
    job: typeof job === 'string' ? job : null
  };
}
