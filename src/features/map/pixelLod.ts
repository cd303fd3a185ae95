/**
 * Level of detail for the points layer: one point per tier and screen pixel.
 *
 * Zoomed out, a million 2-px points land on a few hundred thousand pixels; in
 * software GL (SwiftShader) each point still costs a vertex, a primitive
 * setup and its pixels, so the layer draws one representative per cell of a
 * grid whose cell is at most one pixel. The grid is anchored in data space and
 * its cell is a power of two, so a pan reuses it and a zoom rebuilds it only
 * when it crosses a power of two.
 *
 * Points are drawn in tiers (draw priority, lowest first): dimmed before
 * in-filter, unselected before selected. In each cell a tier keeps its last
 * point, with the number of the tier's points in that cell: the layer draws a
 * translucent representative as that many stacked copies would composite
 * (alpha 1 - (1 - a)^k), so a dense cell stays as opaque as when every point
 * is drawn. A tier under an opaque point of a higher tier in the same cell is
 * left out. (The additive density view is added up per pixel instead:
 * densitySplat.ts.)
 */
import { FLAG_IN_FILTER, FLAG_SELECTED } from './flags';

/** Grid cells at most (an Int32Array of 32 MB); zoomed in further, every
 * point is drawn (few overlap there, and those outside the view are clipped). */
export const MAX_CELLS = 1 << 23;

/** A level keeping fewer than this share of the points is worth an index. */
const WORTH_IT = 0.9;

/** Tiers: 2 (selected) + 1 (in the filter), drawn in ascending order. */
const TIERS = 4;

/** Data bounds `[x0, y0, x1, y1]` of interleaved x, y positions. */
export type Bounds = [number, number, number, number];

/** How the points are drawn, as far as the level of detail cares. */
export interface ILodStyle {
  /** Points outside the filter are drawn dimmed (else hidden). */
  dim: boolean;
  /** A selection is shown: selected points on top, the others faded. */
  hasSelection: boolean;
}

/** The points one frame draws. */
export interface ILod {
  /** Point indices in draw order (tier, then index). */
  indices: Uint32Array;
  /** Per point: how many points of its tier its cell holds (up to 255; 0
   * for points not drawn). */
  counts: Uint8Array;
}

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

/** The draw tier of a point with flags byte `flag` (-1: hidden). */
export function pointTier(flag: number, style: ILodStyle): number {
  const inFilter = (flag & FLAG_IN_FILTER) !== 0;
  if (!inFilter && !style.dim) {
    return -1;
  }
  const selected = style.hasSelection && (flag & FLAG_SELECTED) !== 0;
  return (selected ? 2 : 0) + (inFilter ? 1 : 0);
}

/** Whether points of `tier` are drawn opaque (they hide what is under them). */
export function tierOpaque(tier: number, style: ILodStyle): boolean {
  const inFilter = (tier & 1) !== 0;
  const selected = (tier & 2) !== 0;
  return inFilter && (selected || !style.hasSelection);
}

/** Tier of every point (-1 hidden) and how many points each tier has. */
function tiersOf(
  flags: Uint8Array | null,
  count: number,
  style: ILodStyle
): { tier: Int8Array; sizes: number[] } {
  const tier = new Int8Array(count);
  const sizes = new Array<number>(TIERS).fill(0);
  const byFlag = new Int8Array(256);
  for (let f = 0; f < 256; f++) {
    byFlag[f] = pointTier(f, style);
  }
  for (let i = 0; i < count; i++) {
    const t = byFlag[flags === null ? FLAG_IN_FILTER : flags[i]];
    tier[i] = t;
    if (t >= 0) {
      sizes[t]++;
    }
  }
  return { tier, sizes };
}

/**
 * Every drawn point in draw order (tier, then index), for frames without a
 * level of detail; null when that is index order with nothing left out
 * beyond what the shader hides (a single tier).
 */
export function drawOrder(
  flags: Uint8Array | null,
  count: number,
  style: ILodStyle
): Uint32Array | null {
  const { tier, sizes } = tiersOf(flags, count, style);
  if (sizes.filter(s => s > 0).length <= 1) {
    return null;
  }
  const start = [0];
  for (let t = 1; t < TIERS; t++) {
    start.push(start[t - 1] + sizes[t - 1]);
  }
  const out = new Uint32Array(start[TIERS - 1] + sizes[TIERS - 1]);
  for (let i = 0; i < count; i++) {
    const t = tier[i];
    if (t >= 0) {
      out[start[t]++] = i;
    }
  }
  return out;
}

/**
 * The points to draw at `level` (see the module comment). Null when drawing
 * every point is as good: the grid would exceed MAX_CELLS, or the level keeps
 * nearly all drawn points anyway.
 */
export function pixelLod(
  positions: Float32Array,
  count: number,
  flags: Uint8Array | null,
  bounds: Bounds,
  level: number,
  style: ILodStyle
): ILod | null {
  const inv = 2 ** level;
  const [x0, y0, x1, y1] = bounds;
  const gw = Math.floor((x1 - x0) * inv) + 1;
  const gh = Math.floor((y1 - y0) * inv) + 1;
  if (!(gw * gh <= MAX_CELLS) || count === 0) {
    return null;
  }
  const { tier, sizes } = tiersOf(flags, count, style);
  const cell = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    cell[i] =
      Math.floor((positions[2 * i + 1] - y0) * inv) * gw +
      Math.floor((positions[2 * i] - x0) * inv);
  }
  // Cell -> last point + 1 of the tier at hand (0: empty), and its count.
  const last = new Int32Array(gw * gh);
  const inCell = new Uint16Array(gw * gh);
  // Cells holding an opaque point of a higher tier.
  const covered = new Uint8Array(gw * gh);
  const counts = new Uint8Array(count);
  const kept: Uint32Array[] = [];
  let total = 0;
  // Highest tier first, so a lower tier knows the cells covered above it.
  for (let t = TIERS - 1; t >= 0; t--) {
    if (sizes[t] === 0) {
      continue;
    }
    for (let i = 0; i < count; i++) {
      if (tier[i] === t) {
        const c = cell[i];
        last[c] = i + 1;
        if (inCell[c] < 0xffff) {
          inCell[c]++;
        }
      }
    }
    const opaque = tierOpaque(t, style);
    const reps: number[] = [];
    for (let i = 0; i < count; i++) {
      if (tier[i] === t) {
        const c = cell[i];
        if (last[c] === i + 1 && covered[c] === 0) {
          reps.push(i);
          counts[i] = Math.min(inCell[c], 255);
        }
      }
    }
    for (const i of reps) {
      const c = cell[i];
      if (opaque) {
        covered[c] = 1;
      }
    }
    // Reset only the cells this tier touched.
    for (let i = 0; i < count; i++) {
      if (tier[i] === t) {
        last[cell[i]] = 0;
        inCell[cell[i]] = 0;
      }
    }
    kept.push(Uint32Array.from(reps));
    total += reps.length;
  }
  const drawn = sizes.reduce((a, b) => a + b, 0);
  if (total > WORTH_IT * drawn) {
    return null;
  }
  const indices = new Uint32Array(total);
  let k = 0;
  for (let j = kept.length - 1; j >= 0; j--) {
    indices.set(kept[j], k);
    k += kept[j].length;
  }
  return { indices, counts };
}
