/**
 * Deleting a view's labels of one source, or its samples: the counts a
 * confirmation shows and the deletion itself (one undoable batch of the edit
 * log; every open view follows through the server's labels event).
 */
import {
  IDeleteLabelsResult,
  IDeleteModelResult,
  IDeleteSamplesResult,
  IFilter,
  IVisionLensModel
} from '../tokens';

/** How many labels of `source` the view `filter` of `dataset` holds. */
export async function countViewLabels(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter,
  source: string
): Promise<number> {
  const counted = await model.client.deleteViewLabels(dataset, {
    filter,
    source,
    dry_run: true
  });
  return counted.deleted;
}

/** Delete the labels of `source` on the view `filter` of `dataset`. */
export function deleteViewLabels(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter,
  source: string
): Promise<IDeleteLabelsResult> {
  return model.client.deleteViewLabels(dataset, { filter, source });
}

/** How many samples, and labels of every source, the view `filter` holds. */
export async function countViewSamples(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter
): Promise<{ samples: number; labels: number }> {
  const counted = await model.client.deleteViewSamples(dataset, {
    filter,
    dry_run: true
  });
  return { samples: counted.samples, labels: counted.labels };
}

/** Delete the samples of the view `filter` of `dataset` (undoable). */
export function deleteViewSamples(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter
): Promise<IDeleteSamplesResult> {
  return model.client.deleteViewSamples(dataset, { filter });
}

/** What deleting `name` from `dataset` would take (nothing is deleted). */
export function countModel(
  model: IVisionLensModel,
  dataset: string,
  name: string
): Promise<IDeleteModelResult> {
  return model.client.deleteModel(dataset, name, true);
}

/** Delete model `name` from `dataset`: every prediction of it (not undoable). */
export function deleteModel(
  model: IVisionLensModel,
  dataset: string,
  name: string
): Promise<IDeleteModelResult> {
  return model.client.deleteModel(dataset, name);
}
