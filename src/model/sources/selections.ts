/**
 * Selections of what to label next: start a run (a job, followed to its
 * end), the dataset's stored runs, and one run with its chosen rows.
 */
import {
  IJob,
  ISelectionRecord,
  ISelectionRequest,
  IVisionLensModel
} from '../tokens';

/**
 * Start a selection (`onStarted` gets the job, to cancel it), follow it to
 * its end and resolve with the stored record and its rows.
 */
export async function runSelection(
  model: IVisionLensModel,
  dataset: string,
  request: ISelectionRequest,
  follow: { onStarted: (job: IJob) => void; onUpdate: (job: IJob) => void }
): Promise<ISelectionRecord> {
  const job = await model.client.startSelection(dataset, request);
  follow.onStarted(job);
  const done = await model.client.waitForJob(job, {
    onUpdate: follow.onUpdate
  });
  const id = (done.result as { id?: unknown } | null)?.id;
  if (typeof id !== 'number') {
    throw new Error('The selection job ended without a stored selection.');
  }
  return model.client.getSelection(dataset, id);
}

/** The dataset's stored selections, newest first (without their rows). */
export function listSelections(
  model: IVisionLensModel,
  dataset: string,
  signal?: AbortSignal
): Promise<ISelectionRecord[]> {
  return model.client.listSelections(dataset, signal);
}

/** One stored selection with its chosen rows (rank order). */
export function readSelection(
  model: IVisionLensModel,
  dataset: string,
  id: number,
  signal?: AbortSignal
): Promise<ISelectionRecord> {
  return model.client.getSelection(dataset, id, signal);
}
