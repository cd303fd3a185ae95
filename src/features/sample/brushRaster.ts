/**
 * The mask brush and eraser, free of the DOM: a mask as a bitmap at the
 * image's full size (column-major, as COCO's RLE runs), a stroke painted
 * into it or erased from it (every pixel whose centre lies within the
 * brush's radius of the stroke's path, and the pixel under each point), and
 * the mask it gives back as COCO's compressed RLE with the operation that
 * keeps it: `reshape` for an object that had a mask (its box follows the
 * mask's extent), `mask` for a box without one (the box stays).
 */
import { EditOperation, IAnnotation } from '../../model/tokens';
import { maskOf } from '../../model/labelShapes';
import {
  decodeRuns,
  encodeRuns,
  maskRuns,
  runsToString
} from '../../ui/labels/rle';

/** The brush sizes [ and ] step through (image pixels across). */
export const BRUSH_SIZES = [
  1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256
];

/** The size after `size` one step smaller (-1) or larger (+1). */
export function nextBrushSize(size: number, by: -1 | 1): number {
  if (by > 0) {
    return (
      BRUSH_SIZES.find(s => s > size) ?? BRUSH_SIZES[BRUSH_SIZES.length - 1]
    );
  }
  return [...BRUSH_SIZES].reverse().find(s => s < size) ?? BRUSH_SIZES[0];
}

/** A mask in COCO's compressed RLE form. */
export interface ICompressedRle {
  size: [number, number];
  counts: string;
}

/** A mask being painted: one byte per image pixel, pixel (x, y) at `x * height + y`. */
export class MaskBitmap {
  constructor(width: number, height: number, bits?: Uint8Array) {
    this.width = width;
    this.height = height;
    this.bits = bits ?? new Uint8Array(width * height);
  }

  readonly width: number;
  readonly height: number;
  readonly bits: Uint8Array;

  /**
   * The mask of a `segmentation` (an RLE or polygons; none: empty) on a
   * `width` x `height` image; null for an RLE of another size, which the
   * brush cannot paint on.
   */
  static of(
    segmentation: unknown,
    width: number,
    height: number
  ): MaskBitmap | null {
    const mask = maskOf(segmentation);
    const out = new MaskBitmap(width, height);
    if (mask?.kind === 'polygons') {
      mask.polygons.forEach(p => out.fillPolygon(p));
    } else if (mask) {
      const runs = maskRuns(mask);
      if (mask.height !== height || mask.width !== width || !runs) {
        return null;
      }
      out.bits.set(decodeRuns(runs, height, width));
    }
    return out;
  }

  /** Set pixels. */
  get area(): number {
    let n = 0;
    for (let i = 0; i < this.bits.length; i++) {
      n += this.bits[i];
    }
    return n;
  }

  /**
   * Set (1) or clear (0) the pixels within `radius` of the path through
   * `points`; how many changed.
   */
  stroke(
    points: readonly [number, number][],
    radius: number,
    value: 0 | 1
  ): number {
    let changed = 0;
    points.forEach(([x, y], i) => {
      const [px, py] = i ? points[i - 1] : [x, y];
      changed += this._capsule(px, py, x, y, radius, value);
      changed += this._set(Math.floor(x), Math.floor(y), value);
    });
    return changed;
  }

  /** The set pixels' extent `[x, y, w, h]` (pixel edges; zeros when empty). */
  extent(): [number, number, number, number] {
    let [x0, y0, x1, y1] = [this.width, this.height, -1, -1];
    for (let x = 0; x < this.width; x++) {
      const column = this.bits.subarray(x * this.height, (x + 1) * this.height);
      const first = column.indexOf(1);
      if (first >= 0) {
        [x0, x1] = [Math.min(x0, x), x];
        y0 = Math.min(y0, first);
        y1 = Math.max(y1, column.lastIndexOf(1));
      }
    }
    return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
  }

  /**
   * Set the pixels whose centre a polygon `[x1, y1, x2, ...]` encloses (even
   * and odd crossings of each row's centre line).
   */
  fillPolygon(polygon: readonly number[]): void {
    const n = polygon.length / 2;
    for (let y = 0; y < this.height; y++) {
      const cy = y + 0.5;
      const crossings: number[] = [];
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n;
        const [x0, y0] = [polygon[2 * i], polygon[2 * i + 1]];
        const [x1, y1] = [polygon[2 * j], polygon[2 * j + 1]];
        if (y0 <= cy !== y1 <= cy) {
          crossings.push(x0 + ((cy - y0) * (x1 - x0)) / (y1 - y0));
        }
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        // pixels x with x + 0.5 in [left, right)
        const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
        const to = Math.min(this.width, Math.ceil(crossings[k + 1] - 0.5));
        for (let x = from; x < to; x++) {
          this.bits[x * this.height + y] = 1;
        }
      }
    }
  }

  /** The mask as COCO's compressed RLE (pycocotools' `encode`). */
  rle(): ICompressedRle {
    return {
      size: [this.height, this.width],
      counts: runsToString(encodeRuns(this.bits))
    };
  }

  private _set(x: number, y: number, value: 0 | 1): number {
    const at = x * this.height + y;
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) {
      return 0;
    }
    const changed = this.bits[at] === value ? 0 : 1;
    this.bits[at] = value;
    return changed;
  }

  /** The pixels whose centre lies within `r` of the segment (ax, ay)-(bx, by). */
  private _capsule(
    ax: number,
    ay: number,
    bx: number,
    by: number,
    r: number,
    value: 0 | 1
  ): number {
    let changed = 0;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r));
    const x1 = Math.min(this.width - 1, Math.ceil(Math.max(ax, bx) + r));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
    const y1 = Math.min(this.height - 1, Math.ceil(Math.max(ay, by) + r));
    const dx = bx - ax;
    const dy = by - ay;
    const length2 = dx * dx + dy * dy;
    const r2 = r * r;
    for (let x = x0; x <= x1; x++) {
      const column = x * this.height;
      for (let y = y0; y <= y1; y++) {
        if (
          this.bits[column + y] !== value &&
          segmentDistance2(x + 0.5, y + 0.5, ax, ay, dx, dy, length2) <= r2
        ) {
          this.bits[column + y] = value;
          changed++;
        }
      }
    }
    return changed;
  }
}

/** Squared distance of (px, py) to the segment from (ax, ay) along (dx, dy). */
export function segmentDistance2(
  px: number,
  py: number,
  ax: number,
  ay: number,
  dx: number,
  dy: number,
  length2: number
): number {
  const t =
    length2 > 0
      ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2))
      : 0;
  const ex = px - (ax + t * dx);
  const ey = py - (ay + t * dy);
  return ex * ex + ey * ey;
}

/**
 * The operation keeping a brushed mask as `object`'s: `reshape` when it had
 * a mask (the box follows), `mask` when it was a bare box (the box stays);
 * refused by the server if the object changed since it was shown.
 */
export function brushOperation(
  object: IAnnotation,
  segmentation: ICompressedRle
): EditOperation {
  const change = {
    annotation_id: object.ann_id,
    segmentation,
    expected: { label: object.label, bbox: object.bbox }
  };
  return maskOf(object.segmentation)
    ? { op: 'reshape', ...change }
    : { op: 'mask', ...change };
}
