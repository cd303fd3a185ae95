import { brushOperation, MaskBitmap, nextBrushSize } from '../brushRaster';
import { afterSaved } from '../boxEditing';
import { IAnnotation } from '../../../model/tokens';
import {
  decodeRuns,
  encodeRuns,
  runsExtent,
  runsFromString
} from '../../../ui/labels/rle';

/** A reproducible pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Distance from (px, py) to the segment a-b, plainly. */
function distance(
  px: number,
  py: number,
  [ax, ay]: [number, number],
  [bx, by]: [number, number]
): number {
  const dx = bx - ax;
  const dy = by - ay;
  const l2 = dx * dx + dy * dy;
  const t = l2 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
  const c = Math.max(0, Math.min(1, t));
  return Math.hypot(px - ax - c * dx, py - ay - c * dy);
}

/**
 * The plain reference of a stroke: every pixel visited, set to `value`
 * when its centre is within `r` of a segment or a point lies in it.
 */
function referenceStroke(
  bits: Uint8Array,
  width: number,
  height: number,
  points: [number, number][],
  r: number,
  value: 0 | 1
): Uint8Array {
  const out = bits.slice();
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const hit = points.some(
        (p, i) =>
          distance(x + 0.5, y + 0.5, i ? points[i - 1] : p, p) <= r ||
          (Math.floor(p[0]) === x && Math.floor(p[1]) === y)
      );
      if (hit) {
        out[x * height + y] = value;
      }
    }
  }
  return out;
}

/** Whether (px, py) is inside `polygon` (even-odd ray casting), plainly. */
function inside(polygon: number[], px: number, py: number): boolean {
  let odd = false;
  const n = polygon.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const [xi, yi, xj, yj] = [
      polygon[2 * i],
      polygon[2 * i + 1],
      polygon[2 * j],
      polygon[2 * j + 1]
    ];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) {
      odd = !odd;
    }
  }
  return odd;
}

function annotation(extra: Partial<IAnnotation>): IAnnotation {
  return {
    ann_id: 7,
    label: 'cat',
    bbox: [2, 3, 10, 12],
    source: 'ground_truth',
    ...extra
  } as IAnnotation;
}

describe('the mask brush', () => {
  it('paints and erases as the plain reference does, on random strokes', () => {
    const rnd = random(11);
    for (let k = 0; k < 150; k++) {
      const width = 1 + Math.floor(rnd() * 30);
      const height = 1 + Math.floor(rnd() * 30);
      const bits = new Uint8Array(width * height).map(() =>
        rnd() < 0.3 ? 1 : 0
      );
      // points may lie outside the image (a stroke leaving it)
      const points: [number, number][] = Array.from(
        { length: 1 + Math.floor(rnd() * 5) },
        () => [rnd() * (width + 6) - 3, rnd() * (height + 6) - 3]
      );
      const radius = [0.5, 1, 1.5, 3, 7][Math.floor(rnd() * 5)];
      const value = rnd() < 0.5 ? 1 : 0;
      const bitmap = new MaskBitmap(width, height, bits.slice());
      const changed = bitmap.stroke(points, radius, value);
      const want = referenceStroke(bits, width, height, points, radius, value);
      expect(Array.from(bitmap.bits)).toEqual(Array.from(want));
      expect(changed).toBe(want.filter((v, i) => v !== bits[i]).length);
    }
  });

  it('paints at least the pixel under a click of the smallest brush', () => {
    const bitmap = new MaskBitmap(5, 4);
    expect(bitmap.stroke([[3.95, 0.02]], 0.5, 1)).toBe(1);
    expect(bitmap.bits[3 * 4 + 0]).toBe(1);
    expect(bitmap.area).toBe(1);
  });

  it('fills polygons at pixel centres as the plain reference does', () => {
    const polygons = [
      [1, 1, 9.5, 2, 6, 8.2],
      [0, 0, 12, 0, 12, 9, 0, 9],
      [2.5, 1.5, 10.3, 1.5, 10.3, 3.5, 4, 3.5, 4, 7, 2.5, 7]
    ];
    for (const polygon of polygons) {
      const bitmap = new MaskBitmap(12, 9);
      bitmap.fillPolygon(polygon);
      let area = 0;
      for (let x = 0; x < 12; x++) {
        for (let y = 0; y < 9; y++) {
          const want = inside(polygon, x + 0.5, y + 0.5) ? 1 : 0;
          expect([x, y, bitmap.bits[x * 9 + y]]).toEqual([x, y, want]);
          area += want;
        }
      }
      expect(bitmap.area).toBe(area);
      expect(area).toBeGreaterThan(0);
    }
  });

  it('reads an RLE of the image size and gives it back as COCO counts', () => {
    const bitmap = new MaskBitmap(6, 5);
    bitmap.stroke(
      [
        [1, 1],
        [4.5, 3]
      ],
      1,
      1
    );
    const rle = bitmap.rle();
    expect(rle.size).toEqual([5, 6]);
    const again = MaskBitmap.of(rle, 6, 5)!;
    expect(Array.from(again.bits)).toEqual(Array.from(bitmap.bits));
    // uncompressed runs too; another size cannot be painted; none is empty
    const runs = runsFromString(rle.counts)!;
    expect(
      Array.from(MaskBitmap.of({ size: [5, 6], counts: runs }, 6, 5)!.bits)
    ).toEqual(Array.from(bitmap.bits));
    expect(MaskBitmap.of(rle, 5, 6)).toBeNull();
    expect(MaskBitmap.of(undefined, 6, 5)!.area).toBe(0);
  });

  it('keeps a 1080p mask exact through its counts', () => {
    const [width, height] = [1920, 1080];
    const bitmap = new MaskBitmap(width, height);
    const rnd = random(3);
    for (let s = 0; s < 40; s++) {
      const points: [number, number][] = Array.from({ length: 6 }, () => [
        rnd() * width,
        rnd() * height
      ]);
      bitmap.stroke(points, 2 + rnd() * 40, s % 3 ? 1 : 0);
    }
    const rle = bitmap.rle();
    expect(rle.counts.length).toBeGreaterThan(8192); // several slices
    const decoded = decodeRuns(runsFromString(rle.counts)!, height, width);
    expect(decoded.findIndex((v, i) => v !== bitmap.bits[i])).toBe(-1);
  });

  it('gives the extent of the set pixels from the runs as the plain reference', () => {
    const rnd = random(5);
    for (let k = 0; k < 200; k++) {
      const width = 1 + Math.floor(rnd() * 12);
      const height = 1 + Math.floor(rnd() * 12);
      const density = rnd() * 0.2;
      const bits = new Uint8Array(width * height).map(() =>
        rnd() < density ? 1 : 0
      );
      let [x0, y0, x1, y1] = [width, height, -1, -1];
      bits.forEach((v, i) => {
        if (v) {
          const [x, y] = [Math.floor(i / height), i % height];
          [x0, y0] = [Math.min(x0, x), Math.min(y0, y)];
          [x1, y1] = [Math.max(x1, x), Math.max(y1, y)];
        }
      });
      const want = x1 < 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
      expect(runsExtent(encodeRuns(bits), height, width)).toEqual(want);
      expect(new MaskBitmap(width, height, bits).extent()).toEqual(
        want ?? [0, 0, 0, 0]
      );
    }
  });

  it('gives the extent of the set pixels', () => {
    const bitmap = new MaskBitmap(10, 8);
    expect(bitmap.extent()).toEqual([0, 0, 0, 0]);
    bitmap.fillPolygon([2, 3, 7, 3, 7, 6, 2, 6]);
    expect(bitmap.extent()).toEqual([2, 3, 5, 3]);
  });

  it('steps the size through its list and stops at the ends', () => {
    expect(nextBrushSize(16, 1)).toBe(24);
    expect(nextBrushSize(16, -1)).toBe(12);
    expect(nextBrushSize(10, 1)).toBe(12);
    expect(nextBrushSize(10, -1)).toBe(8);
    expect(nextBrushSize(1, -1)).toBe(1);
    expect(nextBrushSize(256, 1)).toBe(256);
  });

  it('reshapes an object with a mask, gives a bare box its mask', () => {
    const rle = { size: [5, 6] as [number, number], counts: '0>' };
    const masked = annotation({ segmentation: [[2, 3, 12, 3, 12, 15]] });
    expect(brushOperation(masked, rle)).toEqual({
      op: 'reshape',
      annotation_id: 7,
      segmentation: rle,
      expected: { label: 'cat', bbox: [2, 3, 10, 12] }
    });
    expect(brushOperation(annotation({}), rle).op).toBe('mask');
  });

  it('lets the next stroke start from the saved one before the sample is read again', () => {
    const bitmap = new MaskBitmap(20, 16);
    bitmap.fillPolygon([4, 5, 9, 5, 9, 11, 4, 11]);
    const rle = bitmap.rle();
    const masked = annotation({ segmentation: [[2, 3, 12, 3, 12, 15]] });
    const reshaped = afterSaved(masked, [brushOperation(masked, rle)]);
    expect(reshaped.segmentation).toBe(rle);
    expect(reshaped.bbox).toEqual([4, 5, 5, 6]); // the mask's extent, as the server's
    const bare = annotation({});
    const given = afterSaved(bare, [brushOperation(bare, rle)]);
    expect(given.segmentation).toBe(rle);
    expect(given.bbox).toEqual(bare.bbox); // a box given a mask keeps its box
  });
});
