/**
 * Embeddings and duplicates: the embedding models, computing embeddings (a
 * job, followed in the jobs panel) and the duplicates job and its result.
 */
import {
  IDuplicatesRequest,
  IDuplicatesResult,
  IEmbeddingModel,
  IEmbedRequest,
  IJob,
  IVisionLensModel
} from '../tokens';

/** The embedding models the server offers. */
export function embeddingModels(
  model: IVisionLensModel
): Promise<IEmbeddingModel[]> {
  return model.client.listModels();
}

/** Start computing embeddings; the jobs list is refreshed to show it. */
export async function startEmbedding(
  model: IVisionLensModel,
  dataset: string,
  request: IEmbedRequest
): Promise<IJob> {
  const job = await model.client.embed(dataset, request);
  void model.jobs.refresh();
  return job;
}

/** The last duplicates result of a dataset, or null when none ran. */
export function lastDuplicates(
  model: IVisionLensModel,
  dataset: string
): Promise<IDuplicatesResult | null> {
  return model.client.lastDuplicates(dataset);
}

/**
 * Run the duplicates job to its end and resolve with its result; it writes
 * `computed.*` sample fields, so `dataChanged` is emitted.
 */
export async function findDuplicates(
  model: IVisionLensModel,
  dataset: string,
  request: IDuplicatesRequest,
  onUpdate: (job: IJob) => void
): Promise<IDuplicatesResult | null> {
  const job = await model.client.findDuplicates(dataset, request);
  void model.jobs.refresh();
  const ended = await model.client.waitForJob(job, { onUpdate });
  const result = await lastDuplicates(model, dataset);
  model.jobEnded(ended);
  return result;
}
