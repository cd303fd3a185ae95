/**
 * How many labels of each type a sample has, by side (ground truth,
 * predictions): the grid's hover card. Counted like they are drawn: only
 * visible sources above the score threshold, a mask only when it reads as
 * one (`maskOf`), keypoints only with at least one labelled point.
 */
import { IChipStyle, maskOf } from './labelShapes';
import { GROUND_TRUTH, ILabelTypeCounts, ISample, LABEL_KINDS } from './tokens';

/** The labels of one side of a sample, by label type. */
export type ILabelCounts = ILabelTypeCounts;

/** A sample's visible labels: ground truth and every visible model together. */
export interface ISampleLabelCounts {
  groundTruth: ILabelCounts;
  predictions: ILabelCounts;
}

/** A count of 0 for every label type. */
export function noLabelCounts(): ILabelCounts {
  return Object.fromEntries(
    LABEL_KINDS.map(k => [k.labelType, 0])
  ) as unknown as ILabelCounts;
}

/** Whether a flat `[x, y, v, ...]` has a labelled (v > 0) point. */
function hasLabelledPoint(points: unknown): boolean {
  if (!Array.isArray(points)) {
    return false;
  }
  for (let i = 2; i < points.length; i += 3) {
    if (typeof points[i] === 'number' && points[i] > 0) {
      return true;
    }
  }
  return false;
}

/** Count the visible labels of `sample` by type and side. */
export function labelCounts(
  style: IChipStyle,
  sample: Pick<ISample, 'annotations' | 'classifications' | 'mask_sources'>
): ISampleLabelCounts {
  const out = { groundTruth: noLabelCounts(), predictions: noLabelCounts() };
  const side = (source: string) =>
    source === GROUND_TRUTH ? out.groundTruth : out.predictions;
  for (const ann of sample.annotations ?? []) {
    if (!style.isBoxVisible(ann.source, ann.score)) {
      continue;
    }
    const counts = side(ann.source);
    counts.boxes++;
    if (ann.segmentation !== undefined && maskOf(ann.segmentation)) {
      counts.masks++;
    }
    if (hasLabelledPoint(ann.keypoints)) {
      counts.keypoints++;
    }
    if (Array.isArray(ann.obb)) {
      counts.rotated_boxes++;
    }
    if (Array.isArray(ann.polyline)) {
      counts.polylines++;
    }
  }
  for (const source of sample.mask_sources ?? []) {
    if (style.isBoxVisible(source, null)) {
      side(source).label_maps++;
    }
  }
  for (const c of sample.classifications ?? []) {
    const gt = c.source === GROUND_TRUTH;
    if (style.isBoxVisible(c.source, gt ? null : c.score)) {
      side(c.source).classifications++;
    }
  }
  return out;
}

const plural = (n: number, one: string, many: string) =>
  `${n} ${n === 1 ? one : many}`;

/**
 * "3 boxes · 2 rotated · 3 masks · 1 label map · 1 with keypoints · 1 classification": the non-zero
 * counts of one side (boxes always, so an image without objects says
 * "0 boxes").
 */
export function countsText(counts: ILabelCounts): string {
  const parts = [plural(counts.boxes, 'box', 'boxes')];
  if (counts.rotated_boxes) {
    parts.push(`${counts.rotated_boxes} rotated`);
  }
  if (counts.polylines) {
    parts.push(plural(counts.polylines, 'line', 'lines'));
  }
  if (counts.masks) {
    parts.push(plural(counts.masks, 'mask', 'masks'));
  }
  if (counts.label_maps) {
    parts.push(plural(counts.label_maps, 'label map', 'label maps'));
  }
  if (counts.keypoints) {
    parts.push(`${counts.keypoints} with keypoints`);
  }
  if (counts.classifications) {
    parts.push(
      plural(counts.classifications, 'classification', 'classifications')
    );
  }
  return parts.join(' · ');
}
