/**
 * The density view computed on the CPU: every point's square added into a
 * per-pixel RGBA sum, drawn as one texture (DensityLayer.ts).
 *
 * In the density view points add up (additive blending), so no point hides
 * another and no level of detail keeps the picture: a million blended points
 * cost about a second a frame in software GL (SwiftShader). Adding them here
 * costs one pass over the points per frame, and the GPU draws one quad. The
 * sums follow what the GPU does with additive blending into an 8-bit
 * framebuffer (each point adds its premultiplied colour rounded to a byte;
 * the sum saturates at 255) and the point rules of the points layer (a
 * square of `pointSize` pixels around the point, 2 px larger when selected;
 * opacity 0.25, times 0.15 outside the filter and 0.3 unselected).
 */
import { FLAG_IN_FILTER, FLAG_SELECTED } from './flags';

/** The view in device pixels: the data point at the centre, pixels per
 * data unit, and the framebuffer size. */
export interface ISplatView {
  centerX: number;
  centerY: number;
  scale: number;
  width: number;
  height: number;
}

/** How the points are drawn (as in the points layer). */
export interface ISplatStyle {
  pointSize: number;
  /** Points outside the filter are drawn dimmed (else hidden). */
  dim: boolean;
  /** A selection is shown: selected points larger, the others faded. */
  hasSelection: boolean;
}

/** The points to add up. */
export interface ISplatPoints {
  count: number;
  positions: Float32Array;
  colors: Uint8Array;
  flags: Uint8Array;
}

/**
 * The 4 samples of a multisampled pixel (WebGL's default antialiasing; the
 * standard 4x pattern): along each axis they sit at offsets 1/8, 3/8, 5/8
 * and 7/8 of the pixel, so an axis has a lattice of sample positions every
 * quarter pixel. Sample k is at x offset (2 * X_SLOT[k] + 1) / 8 and y
 * offset (2 * k + 1) / 8; the tables give, for the lattice slots [a, b) of
 * one pixel (index a * 5 + b), the mask of the samples there.
 */
const X_SLOT = [1, 3, 0, 2];
const X_MASKS = slotMasks(j => 1 << X_SLOT.indexOf(j));
const Y_MASKS = slotMasks(j => 1 << j);

function slotMasks(bit: (slot: number) => number): Int32Array {
  const masks = new Int32Array(25);
  for (let a = 0; a < 5; a++) {
    for (let b = a; b < 5; b++) {
      for (let j = a; j < b; j++) {
        masks[a * 5 + b] |= bit(j);
      }
    }
  }
  return masks;
}

/** The low byte of each 16-bit lane, and 2 in each lane (rounding a mean of 4). */
const LANES = 0x00ff00ff;
const ROUND = 0x00020002;

/**
 * `x + y` byte by byte, each byte saturating at 255 (as an 8-bit
 * framebuffer adds): the low 7 bits add without crossing bytes, the top bit
 * and its carry are put back, and a byte that carried out is set to 255.
 * Words are int32 throughout (V8 keeps them unboxed).
 */
export function addSaturated(x: number, y: number): number {
  const low = (x & 0x7f7f7f7f) + (y & 0x7f7f7f7f);
  const sum = low ^ ((x ^ y) & 0x80808080);
  const carry = ((x & y) | ((x | y) & ~sum)) & 0x80808080;
  return sum | Math.imul(carry >>> 7, 0xff);
}

/** Opacity of a point in the density view. */
const DENSITY_ALPHA = 0.25;
/** Opacity factor of a point outside the filter (dimmed). */
const DIMMED_ALPHA = 0.15;
/** Opacity factor of an unselected point while a selection is shown. */
const UNSELECTED_ALPHA = 0.3;

/**
 * The density image of `points` in `view`: RGBA bytes, rows from the bottom
 * (as WebGL's framebuffer). `samples` (4 samples a pixel, each RGBA bytes
 * in one word) is reused between frames when its size fits.
 */
export function splatDensity(
  points: ISplatPoints,
  view: ISplatView,
  style: ISplatStyle,
  samples: Int32Array | null = null
): { rgba: Uint8ClampedArray; samples: Int32Array } {
  const { width, height, scale } = view;
  const size = width * height * 4;
  const acc =
    samples && samples.length === size ? samples : new Int32Array(size);
  acc.fill(0);
  const { positions, colors, flags } = points;
  const ox = width / 2 - view.centerX * scale;
  const oy = height / 2 - view.centerY * scale;
  for (let i = 0; i < points.count; i++) {
    const flag = flags[i];
    const inFilter = (flag & FLAG_IN_FILTER) !== 0;
    if (!inFilter && !style.dim) {
      continue;
    }
    // Window coordinates (y up); a point whose centre is outside is clipped.
    const wx = ox + positions[2 * i] * scale;
    const wy = oy + positions[2 * i + 1] * scale;
    if (!(wx >= 0 && wx <= width && wy >= 0 && wy <= height)) {
      continue;
    }
    let a = (colors[4 * i + 3] / 255) * DENSITY_ALPHA;
    let side = style.pointSize;
    if (!inFilter) {
      a *= DIMMED_ALPHA;
    }
    if (style.hasSelection) {
      if (flag & FLAG_SELECTED) {
        side += 2;
      } else {
        a *= UNSELECTED_ALPHA;
      }
    }
    // The point's premultiplied colour as RGBA bytes in one word.
    const add =
      Math.round(colors[4 * i] * a) |
      (Math.round(colors[4 * i + 1] * a) << 8) |
      (Math.round(colors[4 * i + 2] * a) << 16) |
      (Math.round(255 * a) << 24);
    // The lattice slots [l0, l1) the square covers along each axis (a slot
    // l is at (l + 0.5) / 4), then per pixel the samples in both.
    const half = side / 2;
    const x0 = Math.ceil(4 * (wx - half) - 0.5);
    const x1 = Math.ceil(4 * (wx + half) - 0.5);
    const y0 = Math.ceil(4 * (wy - half) - 0.5);
    const y1 = Math.ceil(4 * (wy + half) - 0.5);
    const cMin = Math.max(0, x0 >> 2);
    const cMax = Math.min(width - 1, (x1 - 1) >> 2);
    const rMax = Math.min(height - 1, (y1 - 1) >> 2);
    for (let row = Math.max(0, y0 >> 2); row <= rMax; row++) {
      const rows =
        Y_MASKS[Math.max(y0 - 4 * row, 0) * 5 + Math.min(y1 - 4 * row, 4)];
      for (let col = cMin; col <= cMax; col++) {
        let mask =
          rows &
          X_MASKS[Math.max(x0 - 4 * col, 0) * 5 + Math.min(x1 - 4 * col, 4)];
        for (let q = (row * width + col) * 4; mask !== 0; mask >>= 1, q++) {
          if (mask & 1) {
            acc[q] = addSaturated(acc[q], add);
          }
        }
      }
    }
  }
  // The resolve: each pixel is the mean of its 4 samples, byte by byte
  // (two bytes at a time in 16-bit lanes, which hold a sum of 4).
  const rgba = new Uint8ClampedArray(width * height * 4);
  const out = new Int32Array(rgba.buffer);
  for (let p = 0, q = 0; p < out.length; p++, q += 4) {
    const s0 = acc[q];
    const s1 = acc[q + 1];
    const s2 = acc[q + 2];
    const s3 = acc[q + 3];
    const lo =
      (s0 & LANES) + (s1 & LANES) + (s2 & LANES) + (s3 & LANES) + ROUND;
    const hi =
      ((s0 >>> 8) & LANES) +
      ((s1 >>> 8) & LANES) +
      ((s2 >>> 8) & LANES) +
      ((s3 >>> 8) & LANES) +
      ROUND;
    out[p] = ((lo >>> 2) & LANES) | (((hi >>> 2) & LANES) << 8);
  }
  return { rgba, samples: acc };
}
