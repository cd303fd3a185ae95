/**
 * COCO run-length masks: the compressed counts string read into run lengths
 * (pycocotools' `rleFrString`), and the runs rasterized, at full size or
 * sampled every `step` pixels for a small tile, into a row-major bitmap of
 * the mask's bounding region (what a canvas draws). Runs are column-major
 * and start with a run of zeros, as COCO writes them.
 */
import { IRleMask } from '../../model/labelShapes';

/**
 * The run lengths of COCO's compressed counts: 6-bit groups offset by 48,
 * 5 bits of value each, 0x20 = more groups follow, 0x10 in the last group =
 * negative; from the third run on, a run is stored as the difference to the
 * one two places before. Null for a string that is not such counts.
 */
export function runsFromString(counts: string): number[] | null {
  const runs: number[] = [];
  let p = 0;
  while (p < counts.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= counts.length) {
        return null; // cut off in the middle of a value
      }
      const c = counts.charCodeAt(p) - 48;
      if (c < 0 || c > 63) {
        return null;
      }
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) {
        x -= 2 ** (5 * k); // sign extension of a negative value
      }
    }
    if (runs.length > 2) {
      x += runs[runs.length - 2];
    }
    if (x < 0) {
      return null;
    }
    runs.push(x);
  }
  return runs;
}

/** The run lengths of a mask (compressed or not), or null if unreadable. */
export function maskRuns(mask: IRleMask): number[] | null {
  return typeof mask.counts === 'string'
    ? runsFromString(mask.counts)
    : [...mask.counts];
}

/**
 * The full-size mask of `runs` over an `height` x `width` image, as COCO's
 * (and pycocotools' `decode`) column-major layout: pixel (x, y) at
 * `x * height + y`. Runs past the end are cut.
 */
export function decodeRuns(
  runs: readonly number[],
  height: number,
  width: number
): Uint8Array {
  const out = new Uint8Array(height * width);
  let at = 0;
  for (let i = 0; i < runs.length && at < out.length; i++) {
    const end = Math.min(out.length, at + runs[i]);
    if (i % 2 === 1) {
      out.fill(1, at, end);
    }
    at = end;
  }
  return out;
}

/** A mask sampled onto a grid, cropped to where it is set. */
export interface IMaskRaster {
  /** Image pixels per raster pixel. */
  step: number;
  /** The crop's first column and row, in raster pixels. */
  left: number;
  top: number;
  /** The crop's size in raster pixels (0 x 0 for an empty mask). */
  width: number;
  height: number;
  /** Row-major, `width * height`: 1 where the mask is set. */
  data: Uint8Array;
}

/**
 * Sample the mask every `step` image pixels (the raster pixel (i, j) is the
 * image pixel (i * step, j * step)) and crop it to its set pixels: the
 * runs are visited once and only the sampled columns written, so a large
 * image costs little at tile size.
 */
export function rasterizeRuns(
  runs: readonly number[],
  height: number,
  width: number,
  step = 1
): IMaskRaster {
  const s = Math.max(1, Math.floor(step));
  const cols = Math.ceil(width / s);
  const rows = Math.ceil(height / s);
  const full = new Uint8Array(cols * rows);
  const total = height * width;
  let minX = cols;
  let minY = rows;
  let maxX = -1;
  let maxY = -1;
  let at = 0;
  for (let i = 0; i < runs.length && at < total; i++) {
    const end = Math.min(total, at + runs[i]);
    if (i % 2 === 1 && end > at) {
      // Columns the run touches, only the sampled ones.
      const firstCol = Math.floor(at / height);
      const lastCol = Math.floor((end - 1) / height);
      for (let x = Math.ceil(firstCol / s) * s; x <= lastCol; x += s) {
        const y0 = Math.max(0, at - x * height);
        const y1 = Math.min(height, end - x * height); // exclusive
        const r0 = Math.ceil(y0 / s);
        const r1 = Math.ceil(y1 / s); // rows r with r * s in [y0, y1)
        if (r1 <= r0) {
          continue;
        }
        const cx = x / s;
        for (let r = r0; r < r1; r++) {
          full[r * cols + cx] = 1;
        }
        minX = Math.min(minX, cx);
        maxX = Math.max(maxX, cx);
        minY = Math.min(minY, r0);
        maxY = Math.max(maxY, r1 - 1);
      }
    }
    at = end;
  }
  if (maxX < 0) {
    return {
      step: s,
      left: 0,
      top: 0,
      width: 0,
      height: 0,
      data: full.subarray(0, 0)
    };
  }
  const w = maxX - minX + 1;
  const h = maxY - minY + 1;
  const data = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) {
    const from = (r + minY) * cols + minX;
    data.set(full.subarray(from, from + w), r * w);
  }
  return { step: s, left: minX, top: minY, width: w, height: h, data };
}

/**
 * The runs of a column-major bitmap (pixel (x, y) at `x * height + y`, as
 * `decodeRuns` gives): alternating lengths of 0s and 1s, starting with 0s
 * (a leading 0 when the first pixel is set), as pycocotools' `encode`.
 */
export function encodeRuns(bits: Uint8Array): number[] {
  const runs: number[] = [];
  let value = 0;
  let length = 0;
  for (let i = 0; i < bits.length; i++) {
    const bit = bits[i] ? 1 : 0;
    if (bit !== value) {
      runs.push(length);
      value = bit;
      length = 0;
    }
    length++;
  }
  runs.push(length);
  return runs;
}

/**
 * COCO's compressed counts of `runs` (pycocotools' `rleToString`), the
 * inverse of `runsFromString`: from the third run on, the difference to the
 * run two places before, in 5-bit groups offset by 48.
 */
export function runsToString(runs: readonly number[]): string {
  const chars: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    let x = runs[i] - (i > 2 ? runs[i - 2] : 0);
    let more = true;
    while (more) {
      // an arithmetic shift keeps the sign (Math.floor: past 32 bits too)
      let c = x & 0x1f;
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) {
        c |= 0x20;
      }
      chars.push(c + 48);
    }
  }
  // in slices: a large mask's counts exceed a call's argument limit
  let out = '';
  for (let i = 0; i < chars.length; i += 8192) {
    out += String.fromCharCode(...chars.slice(i, i + 8192));
  }
  return out;
}

/**
 * The box `[x, y, w, h]` (pixel edges) of the set pixels of `runs` over an
 * `height` x `width` image, as pycocotools' `toBbox`; null when none is set.
 */
export function runsExtent(
  runs: readonly number[],
  height: number,
  width: number
): [number, number, number, number] | null {
  const total = height * width;
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  let at = 0;
  for (let i = 0; i < runs.length && at < total; i++) {
    const end = Math.min(total, at + runs[i]);
    if (i % 2 === 1 && end > at) {
      const [c0, c1] = [
        Math.floor(at / height),
        Math.floor((end - 1) / height)
      ];
      x0 = Math.min(x0, c0);
      x1 = Math.max(x1, c1);
      // a run over a column's end covers its last row and the next one's first
      y0 = Math.min(y0, c1 > c0 ? 0 : at % height);
      y1 = Math.max(y1, c1 > c0 ? height - 1 : (end - 1) % height);
    }
    at = end;
  }
  return x1 < 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}
