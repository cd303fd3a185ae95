/**
 * Lasso and rectangle bookkeeping: the shape drawn in screen pixels, its
 * data-coordinate polygon for the server's select route, and how the
 * answer combines with the current selection (Shift adds, Alt subtracts).
 */

export type SelectMode = 'replace' | 'add' | 'subtract';
export type Point = [number, number];

/** The selection mode of a pointer gesture's modifier keys. */
export function modeFromModifiers(e: {
  shiftKey: boolean;
  altKey: boolean;
}): SelectMode {
  if (e.altKey) {
    return 'subtract';
  }
  return e.shiftKey ? 'add' : 'replace';
}

/** The selection after a shape selected `ids` in `mode`. */
export function combineSelection(
  current: ReadonlySet<number>,
  ids: ArrayLike<number>,
  mode: SelectMode
): Set<number> {
  if (mode === 'replace') {
    return new Set(Array.from(ids));
  }
  const next = new Set(current);
  for (let i = 0; i < ids.length; i++) {
    if (mode === 'add') {
      next.add(ids[i]);
    } else {
      next.delete(ids[i]);
    }
  }
  return next;
}

/** Minimum distance in pixels between two recorded lasso vertices. */
export const MIN_STEP_PX = 3;
/** Lasso vertices sent at most (a long drag is thinned evenly). */
export const MAX_VERTICES = 512;

/** A lasso being drawn in screen pixels. */
export class LassoPath {
  readonly points: Point[] = [];

  /** Record a pointer position; returns whether it was kept. */
  add(x: number, y: number): boolean {
    const last = this.points[this.points.length - 1];
    if (last && Math.hypot(x - last[0], y - last[1]) < MIN_STEP_PX) {
      return false;
    }
    this.points.push([x, y]);
    return true;
  }

  /** Whether the shape encloses anything (3+ vertices and some area). */
  get isValid(): boolean {
    return this.points.length >= 3 && Math.abs(polygonArea(this.points)) > 4;
  }

  /** The vertices to send, at most `MAX_VERTICES`. */
  thinned(): Point[] {
    return thin(this.points, MAX_VERTICES);
  }
}

/** Signed area (shoelace); positive counter-clockwise in y-up coordinates. */
export function polygonArea(points: readonly Point[]): number {
  let area = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    area += (points[j][0] + points[i][0]) * (points[j][1] - points[i][1]);
  }
  return -area / 2;
}

/** Every k-th point so that at most `max` remain (first point kept). */
export function thin(points: readonly Point[], max: number): Point[] {
  if (points.length <= max) {
    return points.slice();
  }
  const step = points.length / max;
  const out: Point[] = [];
  for (let k = 0; k < max; k++) {
    out.push(points[Math.floor(k * step)]);
  }
  return out;
}

/** `[x0, y0, x1, y1]` with x0 <= x1 and y0 <= y1 from two corners. */
export function rectFromCorners(
  a: Point,
  b: Point
): [number, number, number, number] {
  return [
    Math.min(a[0], b[0]),
    Math.min(a[1], b[1]),
    Math.max(a[0], b[0]),
    Math.max(a[1], b[1])
  ];
}

/**
 * Screen vertices to data coordinates with `unproject` (the deck.gl
 * viewport's), rounded to float32 precision the server compares against.
 */
export function toData(
  points: readonly Point[],
  unproject: (p: Point) => number[]
): Point[] {
  return points.map(p => {
    const [x, y] = unproject(p);
    return [Math.fround(x), Math.fround(y)];
  });
}

/** Bounding box `[xmin, ymin, xmax, ymax]` of the points at `indices`. */
export function boundsOf(
  positions: Float32Array,
  indices: Iterable<number>
): [number, number, number, number] | null {
  let xmin = Infinity;
  let ymin = Infinity;
  let xmax = -Infinity;
  let ymax = -Infinity;
  for (const i of indices) {
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    xmin = Math.min(xmin, x);
    xmax = Math.max(xmax, x);
    ymin = Math.min(ymin, y);
    ymax = Math.max(ymax, y);
  }
  return xmin <= xmax ? [xmin, ymin, xmax, ymax] : null;
}
