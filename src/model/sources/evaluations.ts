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
  IouType,
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
 * The evaluation whose statuses colour the labels as TP/FP/FN: the one the
 * filter's evaluation condition names (its stored `key`, or the latest of
 * its `model`), else the one chosen in the Evaluation panel
 * (`model.evalKey`, FiftyOne's eval key), else the newest; null without any.
 */
export async function colouringEvaluation(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter,
  signal?: AbortSignal
): Promise<IEvaluationSummary | null> {
  const evaluations = await listEvaluations(model, dataset, signal);
  for (const label of filter.labels ?? []) {
    const cond = label['eval'] as { key?: unknown; model?: unknown } | null;
    const named =
      evaluations.find(e => e.key === cond?.key) ??
      evaluations.find(e => e.model === cond?.model && e.latest);
    if (named) {
      return named;
    }
  }
  return (
    evaluations.find(e => e.key === model.evalKey) ??
    evaluations.find(e => e.latest) ??
    null
  );
}

/**
 * The colouring evaluation (`colouringEvaluation`) of a video's frames while
 * it plays: read once per dataset, filter and chosen evaluation, not once per
 * frame, and again after `clear()` (an evaluation written or deleted).
 */
export class FrameEvaluation {
  constructor(private readonly _model: IVisionLensModel) {}

  /** The evaluation whose statuses colour the frames of `dataset`. */
  get(dataset: string, filter: IFilter): Promise<IEvaluationSummary | null> {
    const key = JSON.stringify([
      dataset,
      this._model.evalKey,
      filter.labels ?? []
    ]);
    if (this._key !== key || this._value === null) {
      this._key = key;
      this._value = colouringEvaluation(this._model, dataset, filter).catch(
        () => null
      );
    }
    return this._value;
  }

  /** Read it again next time. */
  clear(): void {
    this._value = null;
  }

  private _key = '';
  private _value: Promise<IEvaluationSummary | null> | null = null;
}

/** An evaluation's iou type (bbox for a report stored before segm/keypoints evaluation). */
export function iouTypeOf(e: { iou_type?: IouType }): IouType {
  return e.iou_type ?? 'bbox';
}

/** How an evaluation is named in lists, titles and legends: "m1 · COCO segm @0.5". */
export function evaluationLabel(
  e: Pick<IEvaluationSummary, 'model' | 'protocol' | 'iou'> & {
    iou_type?: IouType;
    stale?: boolean;
  }
): string {
  const stale = e.stale ? ' (stale)' : '';
  return `${e.model} · ${e.protocol.toUpperCase()} ${iouTypeOf(e)} @${e.iou}${stale}`;
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
