/**
 * The geometry of drawing a new rotated box or polyline and of adding or
 * deleting a polyline's points, in image pixels, why a gesture leaves
 * nothing to send (said in the view's hint row instead), and the drawing
 * layers' size (image pixels as their units).
 *
 * A rotated box is drawn as in CVAT: its first edge (the heading, DOTA's
 * first two corners) from one point to another, then its width: how far the
 * pointer is from that edge's line, on either side.
 */
import { MIN_OBB_SIDE, polylineSegmentAt } from './pointShapes';

/** Fewest points of a polyline (a line has two ends). */
export const MIN_POLYLINE_POINTS = 2;

/** The first edge of a rotated box being drawn: `[x0, y0, x1, y1]`. */
export type DrawnEdge = [number, number, number, number];

/**
 * The rotated box whose first edge is `edge` and whose opposite edge goes
 * through `(x, y)`'s projection on the edge's normal: corners in order
 * `edge` start, `edge` end, then the two across (clockwise on screen when
 * the pointer is to the edge's right), to a hundredth of a pixel.
 */
export function obbFromEdge(edge: DrawnEdge, x: number, y: number): number[] {
  const [x0, y0, x1, y1] = edge;
  const length = Math.hypot(x1 - x0, y1 - y0);
  if (!length) {
    return [x0, y0, x1, y1, x1, y1, x0, y0].map(round);
  }
  // the unit normal of the edge, and the pointer's signed distance along it
  const [nx, ny] = [-(y1 - y0) / length, (x1 - x0) / length];
  const d = (x - x0) * nx + (y - y0) * ny;
  const [ox, oy] = [nx * d, ny * d];
  return [x0, y0, x1, y1, x1 + ox, y1 + oy, x0 + ox, y0 + oy].map(round);
}

/** Why the edge `edge` cannot start a rotated box (too short), or null. */
export function edgeProblem(edge: DrawnEdge): string | null {
  const [x0, y0, x1, y1] = edge;
  return Math.hypot(x1 - x0, y1 - y0) < MIN_OBB_SIDE
    ? `The first edge is under ${MIN_OBB_SIDE} pixels: drag it (or click its two ends) farther apart.`
    : null;
}

/**
 * Why the rotated box `obb` (from `obbFromEdge`) is not sent, or null: a
 * side under `MIN_OBB_SIDE` (no width: the pointer is on the edge's line) or
 * a corner outside the `width` x `height` image.
 */
export function obbDrawProblem(
  obb: readonly number[],
  width: number,
  height: number
): string | null {
  const side = (i: number, j: number) =>
    Math.hypot(obb[2 * j] - obb[2 * i], obb[2 * j + 1] - obb[2 * i + 1]);
  if (side(0, 1) < MIN_OBB_SIDE) {
    return edgeProblem([obb[0], obb[1], obb[2], obb[3]]);
  }
  if (side(1, 2) < MIN_OBB_SIDE) {
    return `The rotated box has no width (under ${MIN_OBB_SIDE} pixels): move the pointer away from its first edge, then click.`;
  }
  const outside = obb.some((v, i) => v < 0 || v > (i % 2 ? height : width));
  return outside
    ? 'A corner of the rotated box is outside the image: make it narrower or draw it farther in.'
    : null;
}

/** Why the points `points` are not sent as a new polyline, or null. */
export function polylineDrawProblem(points: readonly number[]): string | null {
  return points.length < 2 * MIN_POLYLINE_POINTS
    ? `A line needs at least ${MIN_POLYLINE_POINTS} points: click another one (Escape drops it).`
    : null;
}

/** `points` with a new point at `(x, y)` (inside the image) after point `after`. */
export function withPolylinePointAdded(
  points: readonly number[],
  after: number,
  x: number,
  y: number,
  width: number,
  height: number
): number[] {
  return [
    ...points.slice(0, 2 * after + 2),
    round(clamp(x, width)),
    round(clamp(y, height)),
    ...points.slice(2 * after + 2)
  ];
}

/**
 * `points` without point `point`, or null when that would leave the line
 * fewer than `MIN_POLYLINE_POINTS` (delete the object instead).
 */
export function withoutPolylinePoint(
  points: readonly number[],
  point: number
): number[] | null {
  if (points.length <= 2 * MIN_POLYLINE_POINTS) {
    return null;
  }
  return [...points.slice(0, 2 * point), ...points.slice(2 * point + 2)];
}

/** What deleting a point of a line that has only two says. */
export const LAST_POINTS_HINT = `A line keeps at least ${MIN_POLYLINE_POINTS} points: delete the object instead (Delete).`;

/** A coordinate inside `[0, size]`. */
/** Size an edit layer's SVG to the image: its user units are image pixels. */
export function fitLayer(
  node: SVGSVGElement,
  width: number,
  height: number
): void {
  node.setAttribute('viewBox', `0 0 ${width} ${height}`);
  node.setAttribute('width', String(width));
  node.setAttribute('height', String(height));
}

export function clamp(v: number, size: number): number {
  return Math.min(Math.max(v, 0), size);
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/**
 * An Alt-click on the selected polyline `points` (`onPoint`: the point under
 * it, else null: the line): a point goes, or a new one is put on the segment
 * under `(x, y)` (`slack`: the reach in image pixels). The new points, why
 * there are none (the line keeps two), or null where the click hit neither.
 */
export function polylineAltClick(
  points: readonly number[],
  onPoint: number | null,
  x: number,
  y: number,
  slack: number,
  [width, height]: [number, number]
): { points: number[] } | { problem: string } | null {
  if (onPoint !== null) {
    const fewer = withoutPolylinePoint(points, onPoint);
    return fewer ? { points: fewer } : { problem: LAST_POINTS_HINT };
  }
  const after = polylineSegmentAt(points, x, y, slack);
  return after === null
    ? null
    : { points: withPolylinePointAdded(points, after, x, y, width, height) };
}
