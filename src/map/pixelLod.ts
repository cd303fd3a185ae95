/**
 * Level of detail for the points layer: at most one point per screen pixel.
 *
 * Zoomed out, a million 2-px points land on a few hundred thousand pixels,
 * and a point drawn under later ones changes nothing on screen; in software
 * GL (SwiftShader) each still costs a vertex, a primitive setup and its
 * pixels. So, while every point is drawn opaque, the layer draws only the
 * last point (in draw order) of each cell of a grid whose cell is at most
 * one pixel: the picture is the same up to which of two points overlapping
 * by a sub-pixel amount shows. The grid is anchored in data space and its
 * cell is a power of two, so a pan reuses it and a zoom rebuilds it only
 * when it crosses a power of two.
 */
import { FLAG_IN_FILTER } from './flags';

/** Grid cells at most (an Int32Array of 32 MB); zoomed in further, every
 * point is drawn (few overlap there, and those outside the view are clipped). */
export const MAX_CELLS = 1 << 23;

/** A level keeping fewer than this share of the points is worth an index. */
const WORTH_IT = 0.9;

/** Data bounds `[x0, y0, x1, y1]` of interleaved x, y positions. */
export type Bounds = [number, number, number, number];

/** The grid level for a view at `zoom` (log2 pixels per data unit): its
 * cell, 2^-level data units, is between half a pixel and one pixel. */
export function lodLevel(zoom: number): number {
  return Math.ceil(zoom);
}

/** Bounds of the first `count` interleaved x, y positions. */
export function boundsOfPositions(
  positions: Float32Array,
  count: number
): Bounds {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < count; i++) {
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    if (x < x0) {
      x0 = x;
    }
    if (x > x1) {
      x1 = x;
    }
    if (y < y0) {
      y0 = y;
    }
    if (y > y1) {
      y1 = y;
    }
  }
  return [x0, y0, x1, y1];
}

/**
 * Indices, ascending (the draw order), of the points to draw at `level`: in
 * each grid cell the last point that is in the filter (`flags` bit
 * FLAG_IN_FILTER; every point when `flags` is null). Null when drawing every
 * point is as good: the grid would exceed MAX_CELLS, or the level keeps
 * nearly all points anyway.
 */
export function pixelLod(
  positions: Float32Array,
  count: number,
  flags: Uint8Array | null,
  bounds: Bounds,
  level: number
): Uint32Array | null {
  const inv = 2 ** level;
  const [x0, y0, x1, y1] = bounds;
  const gw = Math.floor((x1 - x0) * inv) + 1;
  const gh = Math.floor((y1 - y0) * inv) + 1;
  if (!(gw * gh <= MAX_CELLS) || count === 0) {
    return null;
  }
  // Cell -> last point + 1 (0: empty), so a fresh zeroed array is the empty grid.
  const grid = new Int32Array(gw * gh);
  for (let i = 0; i < count; i++) {
    if (flags !== null && (flags[i] & FLAG_IN_FILTER) === 0) {
      continue;
    }
    const gx = Math.floor((positions[2 * i] - x0) * inv);
    const gy = Math.floor((positions[2 * i + 1] - y0) * inv);
    grid[gy * gw + gx] = i + 1;
  }
  // Mark the kept points, then list them in index order (no sort needed).
  const keep = new Uint8Array(count);
  let kept = 0;
  for (let c = 0; c < grid.length; c++) {
    const p = grid[c];
    if (p !== 0) {
      keep[p - 1] = 1;
      kept++;
    }
  }
  if (kept > WORTH_IT * count) {
    return null;
  }
  const out = new Uint32Array(kept);
  let k = 0;
  for (let i = 0; i < count; i++) {
    if (keep[i] !== 0) {
      out[k++] = i;
    }
  }
  return out;
}
