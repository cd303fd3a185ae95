/**
 * Pure helpers of the evaluation panel: the filter a confusion-matrix cell sets,
 * table sorting, and PR-curve geometry. No DOM here (unit-tested).
 */
import { GROUND_TRUTH, IFilter, ILabelFilter } from '../../model/tokens';
import { IClassRow, IEvaluationReport } from '../../api/types';

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

/** The current filter with its label conditions replaced by `label`. */
export function withLabelFilter(filter: IFilter, label: ILabelFilter): IFilter {
  return { ...filter, labels: [label] };
}

/** Columns of the per-class table, in display order. */
export const CLASS_COLUMNS: (keyof IClassRow & string)[] = [
  'class',
  'AP',
  'precision',
  'recall',
  'tp',
  'fp',
  'fn',
  'num_gt'
];

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
