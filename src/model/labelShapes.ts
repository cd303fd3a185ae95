/**
 * What an object's mask and keypoints and a sample's classifications are, as
 * drawable shapes, read from the server's untrusted JSON: the decisions the
 * canvas renderers and the chips follow (what is drawn, and how), kept free
 * of the DOM so that they are tested on their own.
 */
import { GROUND_TRUTH, IClassification, IKeypointClass } from './tokens';

/** A COCO RLE: compressed counts (a string) or run lengths, column-major. */
export interface IRleMask {
  kind: 'rle';
  height: number;
  width: number;
  counts: string | readonly number[];
}

/** COCO polygons: each a flat `[x1, y1, x2, y2, ...]` of 3 points or more. */
export interface IPolygonMask {
  kind: 'polygons';
  polygons: readonly (readonly number[])[];
}

/** A drawable mask. */
export type MaskShape = IRleMask | IPolygonMask;

const isFiniteNumber = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v);

/**
 * A flat `[x1, y1, x2, y2, ...]` (a rotated box's corners, a polyline) as
 * x, y pairs, or null when it is not an even list of finite numbers.
 */
export function xyPoints(flat: unknown): [number, number][] | null {
  if (!Array.isArray(flat) || flat.length % 2 || !flat.every(isFiniteNumber)) {
    return null;
  }
  const points: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    points.push([flat[i], flat[i + 1]]);
  }
  return points;
}

/**
 * The mask of a `segmentation` value, or null (none, or not a mask: nothing
 * is drawn). Polygons with an odd or short coordinate list, or a non-number,
 * are left out; an RLE needs a positive integer size and string counts or
 * non-negative integer runs.
 */
export function maskOf(segmentation: unknown): MaskShape | null {
  if (Array.isArray(segmentation)) {
    const polygons = segmentation.filter(
      (p): p is number[] =>
        Array.isArray(p) &&
        p.length >= 6 &&
        p.length % 2 === 0 &&
        p.every(isFiniteNumber)
    );
    return polygons.length ? { kind: 'polygons', polygons } : null;
  }
  if (!segmentation || typeof segmentation !== 'object') {
    return null;
  }
  const { size, counts } = segmentation as { size?: unknown; counts?: unknown };
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every(v => Number.isInteger(v) && (v as number) > 0)
  ) {
    return null;
  }
  const ok =
    typeof counts === 'string' ||
    (Array.isArray(counts) &&
      counts.every(v => Number.isInteger(v) && (v as number) >= 0));
  if (!ok) {
    return null;
  }
  return {
    kind: 'rle',
    height: size[0] as number,
    width: size[1] as number,
    counts: counts as string | number[]
  };
}

/** How a keypoint is drawn: filled (visible), hollow (labelled, hidden). */
export type KeypointMark = 'filled' | 'hollow';

/** One keypoint to draw. */
export interface IKeypointDot {
  /** Its index in the class's points (0-based). */
  index: number;
  x: number;
  y: number;
  mark: KeypointMark;
}

/**
 * The keypoints of a flat COCO `[x, y, v, ...]` that are drawn: v = 2
 * filled, v = 1 hollow, v = 0 (not labelled) and anything else not at all.
 */
export function keypointDots(keypoints: unknown): IKeypointDot[] {
  if (!Array.isArray(keypoints)) {
    return [];
  }
  const dots: IKeypointDot[] = [];
  for (let i = 0; i + 2 < keypoints.length; i += 3) {
    const [x, y, v] = [keypoints[i], keypoints[i + 1], keypoints[i + 2]];
    if (!isFiniteNumber(x) || !isFiniteNumber(y) || (v !== 1 && v !== 2)) {
      continue;
    }
    dots.push({ index: i / 3, x, y, mark: v === 2 ? 'filled' : 'hollow' });
  }
  return dots;
}

/**
 * The skeleton's segments between drawn keypoints (COCO's 1-based pairs):
 * a segment with an unlabelled or missing end is not drawn.
 */
export function skeletonSegments(
  dots: readonly IKeypointDot[],
  keypointClass: IKeypointClass | undefined
): [IKeypointDot, IKeypointDot][] {
  const skeleton = keypointClass?.skeleton;
  if (!Array.isArray(skeleton) || dots.length < 2) {
    return [];
  }
  const byIndex = new Map(dots.map(d => [d.index, d]));
  const out: [IKeypointDot, IKeypointDot][] = [];
  for (const pair of skeleton) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      continue;
    }
    const a = byIndex.get(Number(pair[0]) - 1);
    const b = byIndex.get(Number(pair[1]) - 1);
    if (a && b) {
      out.push([a, b]);
    }
  }
  return out;
}

/** One classification chip. */
export interface IClassChip {
  label: string;
  source: string;
  /** Ground truth (solid chip) or a model's prediction (dashed, with score). */
  groundTruth: boolean;
  score: number | null;
  /** A prediction whose label is not a ground-truth label of the image. */
  differs: boolean;
  /** What the chip says. */
  text: string;
}

/** What a chip needs of the view: visible sources and the threshold. */
export interface IChipStyle {
  isBoxVisible(source: string, score: number | null): boolean;
}

/**
 * The chips of a sample's classifications: every visible ground-truth label,
 * then each visible model's best predictions (up to `perModel`, above the
 * threshold), marked when they differ from the ground truth (only when the
 * image has a ground-truth label to differ from).
 */
export function classificationChips(
  classifications: readonly IClassification[] | undefined,
  style: IChipStyle,
  perModel = 1
): IClassChip[] {
  const all = (classifications ?? []).filter(
    c => c && typeof c.label === 'string' && typeof c.source === 'string'
  );
  const truth = new Set(
    all.filter(c => c.source === GROUND_TRUTH).map(c => c.label)
  );
  const chips: IClassChip[] = [];
  const taken = new Map<string, number>();
  for (const c of all) {
    const gt = c.source === GROUND_TRUTH;
    const score = isFiniteNumber(c.score) ? c.score : null;
    if (!style.isBoxVisible(c.source, gt ? null : score)) {
      continue;
    }
    if (!gt) {
      const n = taken.get(c.source) ?? 0;
      if (n >= perModel) {
        continue;
      }
      taken.set(c.source, n + 1);
    }
    chips.push({
      label: c.label,
      source: c.source,
      groundTruth: gt,
      score: gt ? null : score,
      differs: !gt && truth.size > 0 && !truth.has(c.label),
      text: gt || score === null ? c.label : `${c.label} ${score.toFixed(2)}`
    });
  }
  return chips;
}
