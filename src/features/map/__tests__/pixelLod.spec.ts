/**
 * The points layer's level of detail against a brute-force reference: one
 * point per tier and grid cell (the last in index order) with the tier's
 * count there, in draw order (tier, then index), nothing hidden, lower tiers
 * dropped under an opaque point, and all points when it is not worth it.
 */
import { FLAG_IN_FILTER, FLAG_SELECTED } from '../flags';
import {
  boundsOfPositions,
  drawOrder,
  ILod,
  ILodStyle,
  lodLevel,
  MAX_CELLS,
  pixelLod,
  pointTier,
  tierOpaque
} from '../pixelLod';

/** Seeded clustered points (interleaved x, y) in about [-10, 10]. */
function points(n: number, seed = 7): Float32Array {
  let s = seed;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const pos = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const c = i % 5;
    pos[2 * i] = c * 4 - 8 + (rand() - 0.5) * 2;
    pos[2 * i + 1] = (c % 2) * 6 - 3 + (rand() - 0.5) * 2;
  }
  return pos;
}

const OPAQUE: ILodStyle = { dim: false, hasSelection: false };

/**
 * Reference, with Maps: per tier (ascending) the last point of each cell and
 * the tier's count there; a cell's lower tiers are dropped under an opaque
 * point of a higher tier. Returns [index, count] in draw order.
 */
function reference(
  pos: Float32Array,
  flags: Uint8Array | null,
  level: number,
  style: ILodStyle
): [number, number][] {
  const [x0, y0] = boundsOfPositions(pos, pos.length / 2);
  const tiers = [0, 1, 2, 3].map(() => new Map<string, [number, number]>());
  for (let i = 0; i < pos.length / 2; i++) {
    const t = pointTier(flags ? flags[i] : FLAG_IN_FILTER, style);
    if (t < 0) {
      continue;
    }
    const gx = Math.floor((pos[2 * i] - x0) * 2 ** level);
    const gy = Math.floor((pos[2 * i + 1] - y0) * 2 ** level);
    const key = `${gx},${gy}`;
    const before = tiers[t].get(key);
    tiers[t].set(key, [i, Math.min(255, (before ? before[1] : 0) + 1)]);
  }
  const out: [number, number][] = [];
  for (let t = 0; t < 4; t++) {
    for (const [key, rep] of tiers[t]) {
      let hidden = false;
      for (let u = t + 1; u < 4; u++) {
        hidden ||= tierOpaque(u, style) && tiers[u].has(key);
      }
      if (!hidden) {
        out.push(rep);
      }
    }
  }
  // Draw order: tier, then index.
  const tierOf = (i: number) =>
    pointTier(flags ? flags[i] : FLAG_IN_FILTER, style);
  return out.sort((a, b) => tierOf(a[0]) - tierOf(b[0]) || a[0] - b[0]);
}

function got(lod: ILod | null): [number, number][] {
  expect(lod).not.toBeNull();
  return Array.from(lod!.indices).map(i => [i, lod!.counts[i]]);
}

/** Flags: every third point outside the filter, every tenth selected. */
function mixedFlags(n: number): Uint8Array {
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    flags[i] =
      (i % 3 === 0 ? 0 : FLAG_IN_FILTER) | (i % 10 === 0 ? FLAG_SELECTED : 0);
  }
  return flags;
}

describe('pixelLod', () => {
  it('keeps the last point of every cell, in draw order, with its count', () => {
    const pos = points(20000);
    const bounds = boundsOfPositions(pos, 20000);
    for (const level of [2, 4, 5]) {
      const lod = pixelLod(pos, 20000, null, bounds, level, OPAQUE);
      expect(got(lod)).toEqual(reference(pos, null, level, OPAQUE));
      expect(lod!.indices.length).toBeLessThan(20000 * 0.9);
      // The counts account for every point (none is capped at this size).
      expect(lod!.indices.reduce((a, i) => a + lod!.counts[i], 0)).toBe(20000);
    }
  });

  it('leaves out points outside the filter and keeps those under them', () => {
    const pos = points(20000, 3);
    const flags = mixedFlags(20000);
    const bounds = boundsOfPositions(pos, 20000);
    const lod = pixelLod(pos, 20000, flags, bounds, 4, OPAQUE);
    expect(got(lod)).toEqual(reference(pos, flags, 4, OPAQUE));
    expect(Array.from(lod!.indices).every(i => i % 3 !== 0)).toBe(true);
  });

  it('keeps a selection and dimmed points in tiers, each cell showing its top', () => {
    const pos = points(30000, 5);
    const flags = mixedFlags(30000);
    const bounds = boundsOfPositions(pos, 30000);
    for (const style of [
      { dim: true, hasSelection: false },
      { dim: false, hasSelection: true },
      { dim: true, hasSelection: true }
    ]) {
      const lod = pixelLod(pos, 30000, flags, bounds, 4, style);
      const want = reference(pos, flags, 4, style);
      expect(got(lod)).toEqual(want);
      const tiers = Array.from(lod!.indices).map(i =>
        pointTier(flags[i], style)
      );
      // Drawn lowest tier first: selected over the rest, in-filter over dimmed.
      expect(tiers).toEqual([...tiers].sort((a, b) => a - b));
      expect(new Set(tiers).size).toBe(
        (style.dim ? 2 : 1) * (style.hasSelection ? 2 : 1)
      );
      // The top tier (selected, or in the filter) is never dropped: its
      // representatives count all of its points.
      const top = style.hasSelection ? 3 : 1;
      const topCount = Array.from(lod!.indices)
        .filter(i => pointTier(flags[i], style) === top)
        .reduce((a, i) => a + lod!.counts[i], 0);
      expect(topCount).toBe(
        Array.from(flags).filter(f => pointTier(f, style) === top).length
      );
    }
  });

  it('lists every drawn point in tier order when not reducing', () => {
    const flags = mixedFlags(1000);
    const style = { dim: false, hasSelection: true };
    const order = Array.from(drawOrder(flags, 1000, style)!);
    const want = [0, 1, 2, 3].flatMap(t =>
      Array.from({ length: 1000 }, (_, i) => i).filter(
        i => pointTier(flags[i], style) === t
      )
    );
    expect(order).toEqual(want);
    expect(order.some(i => i % 3 === 0 && i % 10 !== 0)).toBe(false);
    // One tier, nothing left out beyond what the shader hides: index order.
    expect(drawOrder(flags, 1000, OPAQUE)).toBeNull();
  });

  it('draws every point when the grid would be too large or saves little', () => {
    const pos = points(1000);
    const bounds = boundsOfPositions(pos, 1000);
    const tooFine = Math.ceil(Math.log2(Math.sqrt(MAX_CELLS) / 20)) + 1;
    expect(pixelLod(pos, 1000, null, bounds, tooFine, OPAQUE)).toBeNull();
    // Level 6 (a 1152 x 512 grid) on 1,000 spread points: nearly every point
    // has a cell of its own, so an index would save almost nothing.
    expect(pixelLod(pos, 1000, null, bounds, 6, OPAQUE)).toBeNull();
    expect(pixelLod(pos, 1000, null, bounds, 2, OPAQUE)).not.toBeNull();
  });

  it('picks a cell between half a pixel and a pixel', () => {
    for (const zoom of [-3.2, 0, 0.5, 4.99, 5]) {
      const cellPx = 2 ** zoom / 2 ** lodLevel(zoom);
      expect(cellPx).toBeGreaterThan(0.5);
      expect(cellPx).toBeLessThanOrEqual(1);
    }
  });
});
