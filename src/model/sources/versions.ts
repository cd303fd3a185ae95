/**
 * Named versions of a dataset's labels as the versions panel reads and makes
 * them: the list, a new version, and the diff of two (with a model, its
 * evaluation deltas). A restore changes the labels, so it is an edit
 * (`restoreVersion` in `./edits`), told to every panel like one.
 */
import { VisionLensAPIError } from '../../api/restTransport';
import {
  ILabelVersion,
  IVersionDiff,
  IVersionDiffQuery,
  IVisionLensModel
} from '../tokens';

/** The saved versions of `dataset`, oldest first. */
export function listVersions(
  model: IVisionLensModel,
  dataset: string,
  signal?: AbortSignal
): Promise<ILabelVersion[]> {
  return model.client.listVersions(dataset, signal);
}

/**
 * Name `dataset`'s labels as they are now as a new version. Nothing changes
 * in the labels, so no panel is told.
 */
export function saveVersion(
  model: IVisionLensModel,
  dataset: string,
  message: string
): Promise<ILabelVersion> {
  return model.client.saveVersion(dataset, message);
}

/** A diff, or the server's reason for refusing it (a model without predictions). */
export type DiffOutcome =
  { kind: 'done'; diff: IVersionDiff } | { kind: 'refused'; message: string };

/**
 * What changed in `dataset` between two versions (and, with `query.model`,
 * in that model's evaluation); a refusal (400, 404) comes back as its reason.
 */
export async function diffVersions(
  model: IVisionLensModel,
  dataset: string,
  query: IVersionDiffQuery,
  signal?: AbortSignal
): Promise<DiffOutcome> {
  try {
    const diff = await model.client.diffVersions(dataset, query, signal);
    return { kind: 'done', diff };
  } catch (error) {
    if (error instanceof VisionLensAPIError && error.status < 500) {
      return { kind: 'refused', message: error.message };
    }
    throw error;
  }
}
