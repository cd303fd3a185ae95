/**
 * The geometry of editing the objects whose shape is a list of points, in
 * image pixels: a rotated box's four corners (`obb`) and a polyline's points,
 * and the `reshape` operation they send (visionlens_jlab/edits/object_changes.py:
 * the box follows the points' extent).
 *
 * A rotated box is edited as in CVAT: a corner dragged resizes the box in its
 * own frame (the opposite corner and the angle stay, so a rectangle stays a
 * rectangle), a round handle beyond its first edge (DOTA's "head") rotates it
 * about its centre, and a drag inside moves it. A polyline's point is dragged
 * on its own; a drag on the line moves the whole line.
 */
import { EditOperation, IAnnotation } from '../../model/tokens';

/** The point columns a reshape sends. */
export type PointColumn = 'obb' | 'polyline';

/** An object's points: which column, and the flat `[x1, y1, x2, ...]`. */
export interface IPointShape {
  column: PointColumn;
  points: number[];
}

/** What a press on a selected rotated box or polyline grabs. */
export type PointHandle =
  { kind: 'point'; point: number } | { kind: 'rotate' } | { kind: 'body' };

/** Smallest side of a resized rotated box, in image pixels. */
export const MIN_OBB_SIDE = 2;

/** The rotated box's corners or the polyline's points of `a` (copies), or null. */
export function pointShapeOf(a: IAnnotation): IPointShape | null {
  for (const column of ['obb', 'polyline'] as const) {
    const flat = a[column];
    const fits =
      Array.isArray(flat) &&
      flat.length >= (column === 'obb' ? 8 : 4) &&
      flat.length % 2 === 0 &&
      flat.every(v => typeof v === 'number' && Number.isFinite(v));
    if (fits && (column === 'polyline' || flat.length === 8)) {
      return { column, points: [...flat] };
    }
  }
  return null;
}

/**
 * Where the rotation handle of the rotated box `obb` sits: `reach` pixels
 * beyond the middle of its first edge, away from the centre.
 */
export function rotationHandle(
  obb: readonly number[],
  reach: number
): [number, number] {
  const [cx, cy] = centreOf(obb);
  const [mx, my] = [(obb[0] + obb[2]) / 2, (obb[1] + obb[3]) / 2];
  const length = Math.hypot(mx - cx, my - cy);
  if (!length) {
    return [mx, my - reach];
  }
  return [mx + ((mx - cx) / length) * reach, my + ((my - cy) / length) * reach];
}

/**
 * The part of `shape` under `(x, y)` (`slack`: a press's reach in image
 * pixels; `reach`: how far the rotation handle sits out): a point first,
 * then a rotated box's rotation handle, then its inside or the line itself.
 */
export function pointHandleAt(
  shape: IPointShape,
  x: number,
  y: number,
  slack: number,
  reach: number
): PointHandle | null {
  const { column, points } = shape;
  const near = (px: number, py: number) =>
    Math.abs(px - x) <= slack && Math.abs(py - y) <= slack;
  for (let i = 0; i < points.length; i += 2) {
    if (near(points[i], points[i + 1])) {
      return { kind: 'point', point: i / 2 };
    }
  }
  if (column === 'obb') {
    if (near(...rotationHandle(points, reach))) {
      return { kind: 'rotate' };
    }
    return insideQuad(points, x, y) ? { kind: 'body' } : null;
  }
  return polylineSegmentAt(points, x, y, slack) === null
    ? null
    : { kind: 'body' };
}

/**
 * The segment of the polyline `points` within `slack` of `(x, y)`: the
 * index of the point it starts at, or null.
 */
export function polylineSegmentAt(
  points: readonly number[],
  x: number,
  y: number,
  slack: number
): number | null {
  for (let i = 0; i + 3 < points.length; i += 2) {
    if (segmentDistance(x, y, points.slice(i, i + 4)) <= slack) {
      return i / 2;
    }
  }
  return null;
}

/**
 * The rotated box `obb` with corner `corner` dragged to `(x, y)`: the
 * opposite corner stays and the sides keep their directions (a rectangle
 * stays a rectangle at the same angle; a quadrilateral that is not a
 * parallelogram becomes one). Null when a side would be under
 * `MIN_OBB_SIDE` or a corner would leave the `width` x `height` image (the
 * drag keeps its last good shape).
 */
export function obbWithCornerAt(
  obb: readonly number[],
  corner: number,
  x: number,
  y: number,
  width: number,
  height: number
): number[] | null {
  const at = (k: number): [number, number] => [
    obb[2 * ((k + 4) % 4)],
    obb[2 * ((k + 4) % 4) + 1]
  ];
  const [ox, oy] = at(corner + 2);
  const [nx, ny] = at(corner + 1);
  const [px, py] = at(corner - 1);
  // P - O = a (N - O) + b (Prev - O): the new corner in the box's own frame
  const [ux, uy, vx, vy] = [nx - ox, ny - oy, px - ox, py - oy];
  const det = ux * vy - uy * vx;
  if (!det) {
    return null;
  }
  const [dx, dy] = [x - ox, y - oy];
  const a = (dx * vy - dy * vx) / det;
  const b = (ux * dy - uy * dx) / det;
  const sideA = Math.abs(a) * Math.hypot(ux, uy);
  const sideB = Math.abs(b) * Math.hypot(vx, vy);
  if (sideA < MIN_OBB_SIDE || sideB < MIN_OBB_SIDE) {
    return null;
  }
  const out = [...obb];
  const put = (k: number, qx: number, qy: number) => {
    out[2 * ((k + 4) % 4)] = qx;
    out[2 * ((k + 4) % 4) + 1] = qy;
  };
  put(corner + 1, ox + a * ux, oy + a * uy);
  put(corner - 1, ox + b * vx, oy + b * vy);
  put(corner, ox + a * ux + b * vx, oy + a * uy + b * vy);
  return insideImage(out, width, height);
}

/**
 * The rotated box `obb` turned about its centre by the angle the pointer
 * swept from `(fromX, fromY)` to `(x, y)`; null when a corner would leave
 * the image.
 */
export function obbRotated(
  obb: readonly number[],
  fromX: number,
  fromY: number,
  x: number,
  y: number,
  width: number,
  height: number
): number[] | null {
  const [cx, cy] = centreOf(obb);
  const angle = Math.atan2(y - cy, x - cx) - Math.atan2(fromY - cy, fromX - cx);
  return obbTurned(obb, angle, width, height);
}

/**
 * The rotated box `obb` turned by `angle` radians (clockwise on screen)
 * about its centre; null when a corner would leave the image.
 */
export function obbTurned(
  obb: readonly number[],
  angle: number,
  width: number,
  height: number
): number[] | null {
  const [cx, cy] = centreOf(obb);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const out: number[] = [];
  for (let i = 0; i < obb.length; i += 2) {
    const [dx, dy] = [obb[i] - cx, obb[i + 1] - cy];
    out.push(cx + dx * cos - dy * sin, cy + dx * sin + dy * cos);
  }
  return insideImage(out, width, height);
}

/** `points` moved by `(dx, dy)`, stopped at the image's edges (the shape keeps its size). */
export function pointsMoved(
  points: readonly number[],
  dx: number,
  dy: number,
  width: number,
  height: number
): number[] {
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  const mx = clamp(dx, -Math.min(...xs), width - Math.max(...xs));
  const my = clamp(dy, -Math.min(...ys), height - Math.max(...ys));
  return points.map((v, i) => round(v + (i % 2 ? my : mx)));
}

/** `points` with point `point` at `(x, y)`, inside the image. */
export function withPointAt(
  points: readonly number[],
  point: number,
  x: number,
  y: number,
  width: number,
  height: number
): number[] {
  const out = [...points];
  out[2 * point] = round(clamp(x, 0, width));
  out[2 * point + 1] = round(clamp(y, 0, height));
  return out;
}

/** Whether two point lists are the same to a hundredth of a pixel. */
export function samePoints(
  a: readonly number[],
  b: readonly number[]
): boolean {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 0.005);
}

/** The operation giving `a` the points `points` in `column` (its box follows), refused if `a` changed. */
export function pointsOperation(
  a: IAnnotation,
  column: PointColumn,
  points: number[]
): EditOperation {
  const shape = column === 'obb' ? { obb: points } : { polyline: points };
  return {
    op: 'reshape',
    annotation_id: a.ann_id,
    ...shape,
    expected: { label: a.label, bbox: a.bbox }
  };
}

/**
 * The operation turning the rotated box `a` by `degrees` (clockwise on
 * screen) about its centre, or null when `a` is none; a corner turned out of
 * the image is the server's refusal to tell.
 */
export function rotateOperation(
  a: IAnnotation | null,
  degrees: number
): EditOperation | null {
  const shape = a && pointShapeOf(a);
  if (!a || shape?.column !== 'obb') {
    return null;
  }
  const angle = (degrees * Math.PI) / 180;
  const turned = obbTurned(shape.points, angle, Infinity, Infinity);
  return turned && pointsOperation(a, 'obb', turned);
}

/** The box of a flat point list: its extent, as the server takes a reshaped shape's. */
export function pointsExtent(
  points: readonly number[]
): [number, number, number, number] {
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  const [x, y] = [Math.min(...xs), Math.min(...ys)];
  return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
}

function centreOf(points: readonly number[]): [number, number] {
  const n = points.length / 2;
  let [sx, sy] = [0, 0];
  for (let i = 0; i < points.length; i += 2) {
    sx += points[i];
    sy += points[i + 1];
  }
  return [sx / n, sy / n];
}

/** `points` rounded to hundredths, or null when one lies outside the image. */
function insideImage(
  points: number[],
  width: number,
  height: number
): number[] | null {
  const rounded = points.map(round);
  const inside = rounded.every(
    (v, i) => v >= 0 && v <= (i % 2 ? height : width)
  );
  return inside ? rounded : null;
}

/** Whether `(x, y)` lies inside the convex quadrilateral `quad` (either winding). */
function insideQuad(quad: readonly number[], x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const j = (i + 1) % 4;
    const cross =
      (quad[2 * j] - quad[2 * i]) * (y - quad[2 * i + 1]) -
      (quad[2 * j + 1] - quad[2 * i + 1]) * (x - quad[2 * i]);
    if (cross && sign && Math.sign(cross) !== sign) {
      return false;
    }
    sign = sign || Math.sign(cross);
  }
  return true;
}

function segmentDistance(
  x: number,
  y: number,
  [x0, y0, x1, y1]: readonly number[]
): number {
  const [dx, dy] = [x1 - x0, y1 - y0];
  const length2 = dx * dx + dy * dy;
  const t = length2
    ? clamp(((x - x0) * dx + (y - y0) * dy) / length2, 0, 1)
    : 0;
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy));
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}
