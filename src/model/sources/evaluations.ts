/**
 * Evaluations of a dataset: the list, one report, and running one (a job
 * whose end changes the dataset's data: `dataChanged` is emitted).
 */
import {
  IEvaluationReport,
  IEvaluationRequest,
  IEvaluationSummary,
  IJob,
  IVisionLensModel
} from '../tokens';

/** The evaluations stored for a dataset. */
export function listEvaluations(
  model: IVisionLensModel,
  dataset: string,
  signal?: AbortSignal
): Promise<IEvaluationSummary[]> {
  return model.client.listEvaluations(dataset, signal);
}

/** The report of one evaluation. */
export function evaluationReport(
  model: IVisionLensModel,
  dataset: string,
  key: string
): Promise<IEvaluationReport> {
  return model.client.getEvaluation(dataset, key);
}

/**
 * Run an evaluation to its end and resolve with its key; the dataset's data
 * changed (evaluation facets): `dataChanged` is emitted.
 */
export async function runEvaluation(
  model: IVisionLensModel,
  dataset: string,
  request: IEvaluationRequest,
  onUpdate: (job: IJob) => void
): Promise<string> {
  const started = await model.client.startEvaluation(dataset, request);
  const job = await model.client.waitForJob(started, { onUpdate });
  model.notifyDataChanged({ dataset, kind: 'evaluation', ids: null });
  return String(job.result?.key ?? '');
}
