/**
 * Evaluations of a dataset: the list, one report, and running one (a job
 * whose end changes the dataset's data: `dataChanged` is emitted).
 */
import {
  IClassificationReport,
  IEvaluationReport,
  IEvaluationRequest,
  IEvaluationSummary,
  IFilter,
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

/**
 * The model whose evaluation colours boxes as TP/FP/FN: the one the
 * filter's evaluation condition names (`labels[].eval.model`, or the model of
 * its stored `key`), else the model of the newest evaluation; null without
 * any. The server then reads that model's latest evaluation.
 */
export async function evalColourModel(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter,
  signal?: AbortSignal
): Promise<string | null> {
  const evaluations = await listEvaluations(model, dataset, signal);
  for (const label of filter.labels ?? []) {
    const cond = label['eval'] as { key?: unknown; model?: unknown } | null;
    const named = evaluations.find(
      e => e.model === cond?.model || e.key === cond?.key
    );
    if (named) {
      return named.model;
    }
  }
  return evaluations.find(e => e.latest)?.model ?? null;
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
 * What an evaluation job ends with: the key of the stored report (object
 * labels), or a classification model's whole report (not stored).
 */
export type EvaluationOutcome =
  | { kind: 'stored'; key: string }
  | { kind: 'classification'; report: IClassificationReport };

/**
 * Run an evaluation to its end; the dataset's data changed (evaluation
 * facets): `dataChanged` is emitted.
 */
export async function runEvaluation(
  model: IVisionLensModel,
  dataset: string,
  request: IEvaluationRequest,
  onUpdate: (job: IJob) => void
): Promise<EvaluationOutcome> {
  const started = await model.client.startEvaluation(dataset, request);
  const job = await model.client.waitForJob(started, { onUpdate });
  const result = job.result ?? {};
  if (result['kind'] === 'classification') {
    return {
      kind: 'classification',
      report: result as unknown as IClassificationReport
    };
  }
  model.jobEnded(job);
  return { kind: 'stored', key: String(result['key'] ?? '') };
}
