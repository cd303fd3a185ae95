/**
 * The last line of the ingest form: what a finished ingest or predictions
 * import wrote, and, in words, what its report says went wrong. A job that
 * ends `done` may still have found no image at all (its boxes then float
 * over placeholders), so "Done" is said only when the report is clean.
 */
import { fmtInt } from '../../base/dom';
import { IIngestSummary } from '../../api/interfaces';
import { IReportItem } from '../../api/types';

/**
 * Report codes that only say a value was defaulted or derived while every
 * record was kept: counted in the report, not worth a warning in the form.
 */
const MINOR_CODES: ReadonlySet<string> = new Set([
  'coco_missing_iscrowd',
  'coco_missing_annotation_id',
  'coco_empty_bbox',
  'coco_image_size_from_file',
  'coco_bbox_from_segmentation',
  'coco_bbox_from_keypoints',
  'image_without_annotation'
]);

/** How many report rows the status names before "and N more". */
const MAX_NAMED = 3;

/** What the form shows when a job ended `done`. */
export interface IIngestStatus {
  text: string;
  /** `warning` when the report holds an error or a warning that is not minor. */
  level: 'done' | 'warning';
}

/** What was ingested: a dataset, or a model's predictions on a dataset. */
export type IngestTarget =
  | { kind: 'dataset'; name: string }
  | { kind: 'predictions'; dataset: string; model: string };

/**
 * The status line of a finished job from its result (the server's ingest
 * summary; null or partial when the server sent none).
 */
export function ingestStatus(
  target: IngestTarget,
  summary: Partial<IIngestSummary> | null | undefined
): IIngestStatus {
  const rows = [...(summary?.errors ?? []), ...(summary?.warnings ?? [])];
  const important = rows.filter(r => !MINOR_CODES.has(r.code));
  const what =
    target.kind === 'dataset'
      ? `'${target.name}'`
      : `predictions of '${target.model}' on '${target.dataset}'`;
  if (important.length) {
    const named = important.slice(0, MAX_NAMED).map(describe);
    const more = important.length - named.length;
    if (more > 0) {
      named.push(`and ${more} more`);
    }
    const verb = target.kind === 'dataset' ? 'Ingested' : 'Added';
    return {
      level: 'warning',
      text: `${verb} ${what} with warnings: ${named.join('; ')}. See its report.`
    };
  }
  const parts =
    target.kind === 'dataset'
      ? [
          plural(summary?.samples, 'sample'),
          plural(summary?.annotations, 'label')
        ]
      : [plural(summary?.predictions, 'prediction')];
  if (rows.length) {
    parts.push(`${plural(rows.length, 'note')} in its report`);
  }
  const known = parts.filter(p => p !== '');
  const detail = known.length ? ` (${known.join(', ')})` : '';
  return { level: 'done', text: `Done: ${what}${detail}` };
}

/** One report row in words: its message, with its count when above one. */
function describe(row: IReportItem): string {
  const count = row.count ?? 1;
  return count > 1 ? `${fmtInt(count)} × ${row.message}` : row.message;
}

function plural(n: number | undefined, noun: string): string {
  return n === undefined ? '' : `${fmtInt(n)} ${noun}${n === 1 ? '' : 's'}`;
}
