/**
 * The geometry of editing what is not a box, in image pixels: a polygon
 * mask's vertices (drag one, add one on an edge, delete one) and an object's
 * keypoints (drag one, toggle whether it is visible), and the `reshape` and
 * `keypoints` operations they send (visionlens_jlab/edits/object_changes.py:
 * the box of a reshaped polygon follows its extent, keypoints keep the box).
 */
import { EditOperation, IAnnotation } from '../../model/tokens';
import { keypointDots, maskOf } from '../../model/labelShapes';

/** What a press on a selected object's shape grabs. */
export type ShapeHandle =
  | { kind: 'vertex'; polygon: number; vertex: number }
  /** A point on the edge after vertex `after`: a new vertex goes there. */
  | { kind: 'edge'; polygon: number; after: number }
  | { kind: 'keypoint'; point: number };

/** The polygons of `a`'s mask (copies), or null when it has none or an RLE. */
export function polygonsOf(a: IAnnotation): number[][] | null {
  const mask = maskOf(a.segmentation);
  return mask?.kind === 'polygons' ? mask.polygons.map(p => [...p]) : null;
}

/** Whether `a` has a shape the stage edits point by point. */
export function isReshapable(a: IAnnotation): boolean {
  return polygonsOf(a) !== null || keypointDots(a.keypoints).length > 0;
}

/**
 * The part of `a`'s shape under `(x, y)` (`slack`: the reach in image
 * pixels): a labelled keypoint first, then a polygon vertex, then an edge.
 */
export function shapeHandleAt(
  a: IAnnotation,
  x: number,
  y: number,
  slack: number
): ShapeHandle | null {
  const near = (px: number, py: number) =>
    Math.abs(px - x) <= slack && Math.abs(py - y) <= slack;
  for (const dot of keypointDots(a.keypoints)) {
    if (near(dot.x, dot.y)) {
      return { kind: 'keypoint', point: dot.index };
    }
  }
  const polygons = polygonsOf(a) ?? [];
  for (const [polygon, p] of polygons.entries()) {
    for (let i = 0; i < p.length; i += 2) {
      if (near(p[i], p[i + 1])) {
        return { kind: 'vertex', polygon, vertex: i / 2 };
      }
    }
  }
  for (const [polygon, p] of polygons.entries()) {
    const n = p.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const d = segmentDistance(
        x,
        y,
        p[2 * i],
        p[2 * i + 1],
        p[2 * j],
        p[2 * j + 1]
      );
      if (d <= slack) {
        return { kind: 'edge', polygon, after: i };
      }
    }
  }
  return null;
}

/** `polygons` with vertex `vertex` of polygon `polygon` at `(x, y)`, inside the image. */
export function withVertexAt(
  polygons: readonly number[][],
  polygon: number,
  vertex: number,
  x: number,
  y: number,
  width: number,
  height: number
): number[][] {
  return polygons.map((p, k) => {
    if (k !== polygon) {
      return [...p];
    }
    const out = [...p];
    out[2 * vertex] = pixel(x, width);
    out[2 * vertex + 1] = pixel(y, height);
    return out;
  });
}

/** `polygons` with a new vertex at `(x, y)` after vertex `after` of polygon `polygon`. */
export function withVertexAdded(
  polygons: readonly number[][],
  polygon: number,
  after: number,
  x: number,
  y: number,
  width: number,
  height: number
): number[][] {
  return polygons.map((p, k) =>
    k === polygon
      ? [
          ...p.slice(0, 2 * after + 2),
          pixel(x, width),
          pixel(y, height),
          ...p.slice(2 * after + 2)
        ]
      : [...p]
  );
}

/**
 * `polygons` without vertex `vertex` of polygon `polygon`, or null when that
 * would leave it fewer than three points (delete the object instead).
 */
export function withoutVertex(
  polygons: readonly number[][],
  polygon: number,
  vertex: number
): number[][] | null {
  if (polygons[polygon].length <= 6) {
    return null;
  }
  return polygons.map((p, k) =>
    k === polygon
      ? [...p.slice(0, 2 * vertex), ...p.slice(2 * vertex + 2)]
      : [...p]
  );
}

/** `keypoints` (COCO's flat `[x, y, v, ...]`) with point `point` at `(x, y)`, inside the image. */
export function withKeypointAt(
  keypoints: readonly number[],
  point: number,
  x: number,
  y: number,
  width: number,
  height: number
): number[] {
  const out = [...keypoints];
  out[3 * point] = pixel(x, width);
  out[3 * point + 1] = pixel(y, height);
  return out;
}

/** `keypoints` with point `point` visible (2) made hidden (1), or hidden made visible. */
export function withVisibilityToggled(
  keypoints: readonly number[],
  point: number
): number[] {
  const out = [...keypoints];
  out[3 * point + 2] = out[3 * point + 2] === 2 ? 1 : 2;
  return out;
}

/** The operation giving `a` the mask `polygons` (its box follows), refused if `a` changed. */
export function reshapeOperation(
  a: IAnnotation,
  polygons: number[][]
): EditOperation {
  return {
    op: 'reshape',
    annotation_id: a.ann_id,
    segmentation: polygons,
    expected: { label: a.label, bbox: a.bbox }
  };
}

/** The operation giving `a` the keypoints `points`, refused if `a` changed. */
export function keypointsOperation(
  a: IAnnotation,
  points: number[]
): EditOperation {
  return {
    op: 'keypoints',
    annotation_id: a.ann_id,
    keypoints: points,
    expected: { label: a.label, bbox: a.bbox }
  };
}

/** A coordinate inside `[0, size]`, to a hundredth of a pixel. */
function pixel(v: number, size: number): number {
  return Math.round(Math.min(Math.max(v, 0), size) * 100) / 100;
}

function segmentDistance(
  x: number,
  y: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number
): number {
  const [dx, dy] = [x1 - x0, y1 - y0];
  const length2 = dx * dx + dy * dy;
  const t = length2
    ? Math.min(Math.max(((x - x0) * dx + (y - y0) * dy) / length2, 0), 1)
    : 0;
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy));
}
