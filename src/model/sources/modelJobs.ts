/**
 * The model jobs the lab starts: a model's predictions over a dataset or a
 * view of it. The job shows in the jobs panel, which is refreshed at once.
 */
import { IJob, IPredictRequest, IVisionLensModel } from '../tokens';

/** Start a predictions job on `dataset`; the jobs list refreshes to show it. */
export async function startPredict(
  model: IVisionLensModel,
  dataset: string,
  request: IPredictRequest
): Promise<IJob> {
  const job = await model.client.predict(dataset, request);
  void model.jobs.refresh();
  return job;
}
