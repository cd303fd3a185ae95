/**
 * Dataset-level reads and writes of the datasets panel: detail (the ingest
 * report), vector spaces, ingest, predictions import and delete, and the
 * dataset changes the server tells of.
 */
import { Event } from '@jupyterlab/services';
import { ISignal } from '@lumino/signaling';

import { visionLensEvent } from '../../api/serverEvents';
import {
  IDatasetDetail,
  IFileFormats,
  IIngestRequest,
  IJob,
  IPredictionsRequest,
  IVectorSpace,
  IVisionLensModel,
  IWaitForJobOptions
} from '../tokens';

/** The server's formats, asked once per model (they change with a restart only). */
const formatsOf = new WeakMap<IVisionLensModel, Promise<IFileFormats>>();

/**
 * The formats ingest reads, plugins' included, and export writes; asked again
 * after a failure.
 */
export function fileFormats(model: IVisionLensModel): Promise<IFileFormats> {
  let held = formatsOf.get(model);
  if (!held) {
    held = model.client.formats();
    formatsOf.set(model, held);
    held.catch(() => formatsOf.delete(model));
  }
  return held;
}

/** A dataset with its ingest report. */
export function datasetDetail(
  model: IVisionLensModel,
  name: string
): Promise<IDatasetDetail> {
  return model.client.getDataset(name);
}

/** The vector spaces (embeddings) of a dataset. */
export function vectorSpaces(
  model: IVisionLensModel,
  name: string,
  signal?: AbortSignal
): Promise<IVectorSpace[]> {
  return model.client.listSpaces(name, signal);
}

/** Delete a dataset; the model forgets it when it was the current one. */
export async function deleteDataset(
  model: IVisionLensModel,
  name: string
): Promise<void> {
  await model.client.deleteDataset(name);
  if (model.dataset === name) {
    model.setDataset(null);
  }
}

/**
 * Follow the server's dataset events: a dataset created, removed or changed
 * anywhere (another tab, a notebook, `visionlens ingest` or `delete` in a
 * terminal) reads the datasets list again, and a removed current dataset is
 * forgotten as this page's own delete does.
 */
export function followDatasetChanges(
  model: IVisionLensModel,
  events: ISignal<unknown, Event.Emission> | null
): void {
  events?.connect((_, emission) => {
    const event = visionLensEvent(emission);
    if (event?.type !== 'dataset') {
      return;
    }
    if (event.change === 'removed' && model.dataset === event.dataset) {
      model.setDataset(null);
    }
    // A job's change was told by its job event too: one read for both.
    model.refreshDatasets(event.job ?? undefined).catch(() => undefined); // the next event tries again
  });
}

/**
 * Start an ingest, call `onStarted` once the server took it, and follow the
 * job until it ends (rejects with a `JobError` when it fails).
 */
export async function ingest(
  model: IVisionLensModel,
  body: IIngestRequest,
  follow: IWaitForJobOptions & { onStarted?: (job: IJob) => void }
): Promise<IJob> {
  const job = await model.client.ingest(body);
  follow.onStarted?.(job);
  const ended = await model.client.waitForJob(job, follow);
  model.jobEnded(ended);
  return ended;
}

/**
 * Start an import of a model's predictions into `dataset` and follow the job
 * like {@link ingest}.
 */
export async function importPredictions(
  model: IVisionLensModel,
  dataset: string,
  body: IPredictionsRequest,
  follow: IWaitForJobOptions & { onStarted?: (job: IJob) => void }
): Promise<IJob> {
  const job = await model.client.importPredictions(dataset, body);
  follow.onStarted?.(job);
  const ended = await model.client.waitForJob(job, follow);
  model.jobEnded(ended);
  return ended;
}
