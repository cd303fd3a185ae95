/**
 * Pure helpers of the evaluation panel: the filter a confusion-matrix cell sets,
 * the per-class columns of each iou type, the sigmas
 * field, table sorting, and PR-curve geometry. No DOM here (unit-tested).
 */
import { EVALUATED_KINDS } from '../../model/labels';
import { GROUND_TRUTH, IFilter, ILabelFilter } from '../../model/tokens';
import { iouTypeOf } from '../../model/sources/evaluations';
import {
  IClassRow,
  IEvaluationReport,
  IEvaluationRequest,
  IModelInfo,
  IouType
} from '../../api/types';

/** The label of the background row/column of the confusion matrix. */
export const BACKGROUND = 'background';

/**
 * The label filter selecting the boxes counted in one confusion-matrix cell.
 *
 * Rows are true classes, columns predicted classes (see
 * visionlens_jlab/evaluate/analysis.py): the diagonal holds TPs, (true,
 * predicted) off-diagonal cells class confusions, the background row other FPs
 * and the background column missed ground truth not explained by a confusion.
 */
export function cellLabelFilter(
  report: Pick<IEvaluationReport, 'key' | 'model'>,
  trueLabel: string,
  predicted: string
): ILabelFilter | null {
  const key = report.key;
  if (trueLabel === BACKGROUND && predicted === BACKGROUND) {
    return null;
  }
  if (predicted === BACKGROUND) {
    return {
      source: GROUND_TRUTH,
      classes: [trueLabel],
      eval: { key, status: ['fn'], confused: false }
    };
  }
  if (trueLabel === BACKGROUND) {
    return {
      source: report.model,
      classes: [predicted],
      eval: {
        key,
        status: ['fp'],
        error: ['duplicate', 'localization', 'background']
      }
    };
  }
  if (trueLabel === predicted) {
    return {
      source: report.model,
      classes: [predicted],
      eval: { key, status: ['tp'] }
    };
  }
  return {
    source: report.model,
    classes: [predicted],
    eval: {
      key,
      status: ['fp'],
      error: ['class_confusion'],
      confused_with: [trueLabel]
    }
  };
}

/**
 * The whole filter a confusion-matrix cell sets, or null for the empty
 * corner: only the cell's boxes, whatever was filtered before (a cell counts
 * over every sample, so keeping an earlier filter would show fewer boxes than
 * it says).
 */
export function cellFilter(
  report: Pick<IEvaluationReport, 'key' | 'model'>,
  trueLabel: string,
  predicted: string
): IFilter | null {
  const label = cellLabelFilter(report, trueLabel, predicted);
  return label ? { labels: [label] } : null;
}

/**
 * The filter a TIDE bar sets: the objects of that error type in the report's
 * evaluation (a `Miss` is a ground-truth object, the others predictions).
 */
export function tideFilter(
  report: Pick<IEvaluationReport, 'key' | 'model'>,
  errorType: string
): IFilter {
  return {
    labels: [
      {
        source: errorType === 'Miss' ? GROUND_TRUTH : report.model,
        eval: { key: report.key, tide: [errorType] }
      }
    ]
  };
}

/** The iou types the evaluate form offers, in its order. */
export const IOU_TYPES: readonly IouType[] = EVALUATED_KINDS.map(
  k => k.iouType
);

/** The count columns of the per-class table (integers, not metrics). */
export const COUNT_COLUMNS: readonly string[] = ['tp', 'fp', 'fn', 'num_gt'];

/**
 * Columns of the per-class table, in display order: the per-class AP the
 * server adds depends on the protocol and iou type (visionlens_jlab/evaluate/
 * report.py: COCO AP50, AP75, AR100; keypoints AR20; VOC AP_11point).
 */
export function classColumns(
  report: Pick<IEvaluationReport, 'protocol' | 'iou_type'>
): string[] {
  const extra =
    report.protocol === 'voc'
      ? ['AP_11point']
      : ['AP50', 'AP75', iouTypeOf(report) === 'keypoints' ? 'AR20' : 'AR100'];
  return ['class', 'AP', ...extra, 'precision', 'recall', ...COUNT_COLUMNS];
}

/** The sigmas field read: numbers to send, none (server default), or why not. */
export type SigmasInput =
  { ok: true; sigmas: number[] | null } | { ok: false; error: string };

/**
 * Parse the comma-separated OKS sigmas of the evaluate form: empty means the
 * server's default; otherwise every item must be a positive finite number.
 */
export function parseSigmas(text: string): SigmasInput {
  const trimmed = text.trim();
  if (!trimmed) {
    return { ok: true, sigmas: null };
  }
  const sigmas: number[] = [];
  for (const item of trimmed.split(',')) {
    const token = item.trim();
    // Number('') is 0 and Number('0x1') is 1: only plain decimals count.
    const value = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(token)
      ? Number(token)
      : NaN;
    if (!Number.isFinite(value) || value <= 0) {
      return {
        ok: false,
        error: `Sigmas: "${token}" is not a positive number (give a comma-separated list, e.g. 0.025, 0.079).`
      };
    }
    sigmas.push(value);
  }
  return { ok: true, sigmas };
}

/** The form's choice for a classification model (image labels, no objects). */
export const CLASSIFICATION = 'classification';

/**
 * The evaluations the form offers for a model: a classification for a model of
 * image labels only; otherwise bbox, plus segm with masks and keypoints with
 * keypoints. Every iou type when the listing does not say (no `label_types`).
 */
export function evaluationKinds(
  model: Pick<IModelInfo, 'label_types'> | undefined
): string[] {
  const types = model?.label_types;
  if (!types) {
    return [...IOU_TYPES];
  }
  if (types.boxes === 0 && types.classifications > 0) {
    return [CLASSIFICATION];
  }
  // every object is a box; the other kinds only where the model has some
  return EVALUATED_KINDS.filter(
    k => k.labelType === 'boxes' || types[k.labelType] > 0
  ).map(k => k.iouType);
}

/** The evaluate form's fields, as the user left them. */
export interface IEvaluateForm {
  model: string;
  protocol: string;
  iou: string;
  plusOne: boolean;
  iouType: string;
  sigmas: string;
}

/** The request the evaluate form describes, or the first thing wrong with it. */
export function evaluationRequest(
  form: IEvaluateForm
): { ok: true; request: IEvaluationRequest } | { ok: false; error: string } {
  if (!form.model) {
    return { ok: false, error: 'Choose a model with predictions.' };
  }
  if (form.iouType === CLASSIFICATION) {
    // the server evaluates a classification model's image labels, whatever the iou type
    return {
      ok: true,
      request: {
        model: form.model,
        protocol: 'coco',
        iou: 0.5,
        plus_one: false
      }
    };
  }
  const iouType = IOU_TYPES.find(t => t === form.iouType);
  if (!iouType) {
    return { ok: false, error: `Unknown IoU type "${form.iouType}".` };
  }
  const protocol = form.protocol === 'voc' ? 'voc' : 'coco';
  if (protocol === 'voc' && iouType !== 'bbox') {
    return {
      ok: false,
      error: `${iouType} is evaluated with the COCO protocol only.`
    };
  }
  const iou = form.iou.trim() ? Number(form.iou) : NaN;
  if (!(iou > 0 && iou < 1)) {
    return { ok: false, error: 'IoU: a number between 0 and 1 (exclusive).' };
  }
  const request: IEvaluationRequest = {
    model: form.model,
    protocol,
    iou,
    plus_one: form.plusOne,
    iou_type: iouType
  };
  if (iouType === 'keypoints') {
    const parsed = parseSigmas(form.sigmas);
    if (!parsed.ok) {
      return parsed;
    }
    if (parsed.sigmas) {
      request.sigmas = parsed.sigmas;
    }
  }
  return { ok: true, request };
}

/** Rows sorted by `column`; nulls always last, ties by class name. */
export function sortRows(
  rows: readonly IClassRow[],
  column: string,
  descending: boolean
): IClassRow[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[column];
    const y = b[column];
    if (x === null || x === undefined) {
      return y === null || y === undefined ? a.class.localeCompare(b.class) : 1;
    }
    if (y === null || y === undefined) {
      return -1;
    }
    const c =
      typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y));
    return c !== 0 ? sign * c : a.class.localeCompare(b.class);
  });
}

/** SVG polyline points of a PR curve in a `width` x `height` box (y down). */
export function curvePoints(
  recall: readonly number[],
  precision: readonly number[],
  width: number,
  height: number
): string {
  const n = Math.min(recall.length, precision.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = (recall[i] * width).toFixed(1);
    const y = ((1 - precision[i]) * height).toFixed(1);
    out.push(`${x},${y}`);
  }
  return out.join(' ');
}

/** A metric for display: 3 decimals, or "n/a" when undefined (null or -1). */
export function fmtMetric(value: number | null | undefined): string {
  if (value === null || value === undefined || value < 0 || isNaN(value)) {
    return 'n/a';
  }
  return value.toFixed(3);
}
