/**
 * The points layer's level of detail against a brute-force reference: one
 * point per grid cell (the last in draw order among the filtered-in ones),
 * ascending, nothing outside the filter, and all points when it is not worth it.
 */
import { FLAG_IN_FILTER } from '../flags';
import { boundsOfPositions, lodLevel, MAX_CELLS, pixelLod } from '../pixelLod';

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

/** Reference: cell key -> last filtered-in point, with a Map. */
function reference(
  pos: Float32Array,
  flags: Uint8Array | null,
  level: number
): number[] {
  const [x0, y0] = boundsOfPositions(pos, pos.length / 2);
  const last = new Map<string, number>();
  for (let i = 0; i < pos.length / 2; i++) {
    if (flags && !(flags[i] & FLAG_IN_FILTER)) {
      continue;
    }
    const gx = Math.floor((pos[2 * i] - x0) * 2 ** level);
    const gy = Math.floor((pos[2 * i + 1] - y0) * 2 ** level);
    last.set(`${gx},${gy}`, i);
  }
  return Array.from(last.values()).sort((a, b) => a - b);
}

describe('pixelLod', () => {
  it('keeps the last point of every cell, in draw order', () => {
    const pos = points(20000);
    const bounds = boundsOfPositions(pos, 20000);
    for (const level of [2, 4, 5]) {
      const got = pixelLod(pos, 20000, null, bounds, level);
      expect(got).not.toBeNull();
      expect(Array.from(got!)).toEqual(reference(pos, null, level));
      expect(got!.length).toBeLessThan(20000 * 0.9);
    }
  });

  it('leaves out points outside the filter and keeps those under them', () => {
    const pos = points(20000, 3);
    const flags = new Uint8Array(20000);
    for (let i = 0; i < flags.length; i++) {
      flags[i] = i % 3 === 0 ? 0 : FLAG_IN_FILTER;
    }
    const bounds = boundsOfPositions(pos, 20000);
    const got = Array.from(pixelLod(pos, 20000, flags, bounds, 4)!);
    expect(got).toEqual(reference(pos, flags, 4));
    expect(got.every(i => i % 3 !== 0)).toBe(true);
    // Every cell that shows a point when all are drawn still shows one.
    const all = reference(pos, flags, 4).length;
    expect(got.length).toBe(all);
  });

  it('draws every point when the grid would be too large or saves little', () => {
    const pos = points(1000);
    const bounds = boundsOfPositions(pos, 1000);
    const tooFine = Math.ceil(Math.log2(Math.sqrt(MAX_CELLS) / 20)) + 1;
    expect(pixelLod(pos, 1000, null, bounds, tooFine)).toBeNull();
    // Level 6 (a 1152 x 512 grid) on 1,000 spread points: nearly every point
    // has a cell of its own, so an index would save almost nothing.
    expect(pixelLod(pos, 1000, null, bounds, 6)).toBeNull();
    expect(pixelLod(pos, 1000, null, bounds, 2)).not.toBeNull();
  });

  it('picks a cell between half a pixel and a pixel', () => {
    for (const zoom of [-3.2, 0, 0.5, 4.99, 5]) {
      const cellPx = 2 ** zoom / 2 ** lodLevel(zoom);
      expect(cellPx).toBeGreaterThan(0.5);
      expect(cellPx).toBeLessThanOrEqual(1);
    }
  });
});
