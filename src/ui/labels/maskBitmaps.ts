/**
 * The drawn form of RLE masks: a canvas of the mask's region in the class
 * colour (translucent fill, opaque outline; predictions hatched with a
 * dashed outline), made once per mask, colour and resolution and kept in a
 * bounded cache. Tiles ask for them lazily: a missing bitmap is made in
 * short slices after the frame (never one long task for a page of masks),
 * and the tile is redrawn when it is ready.
 */
import { IRleMask } from '../../model/labelShapes';
import { IMaskRaster, maskRuns, rasterizeRuns } from './rle';

/** Fill and outline opacity (0-255) of ground-truth and predicted masks. */
const FILL_ALPHA = 96;
const HATCH_ALPHA = 150;
const HATCH_GAP_ALPHA = 24;
const OUTLINE_ALPHA = 255;

/** How long one slice of lazy work may run (ms), well under a long task. */
const SLICE_MS = 8;

/** Bytes of bitmaps kept (RGBA of the masks' regions). */
const CACHE_BYTES = 48 * 1024 * 1024;

/** A mask ready to draw: its canvas and where it goes, in image pixels. */
export interface IMaskBitmap {
  image: CanvasImageSource;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** RGB of a CSS colour (any syntax the canvas reads), cached. */
const rgbCache = new Map<string, [number, number, number]>();

function rgbOf(color: string): [number, number, number] {
  let rgb = rgbCache.get(color);
  if (!rgb) {
    const ctx = document.createElement('canvas').getContext('2d');
    rgb = [128, 128, 128];
    if (ctx) {
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, 1, 1);
      const d = ctx.getImageData(0, 0, 1, 1).data;
      rgb = [d[0], d[1], d[2]];
    }
    rgbCache.set(color, rgb);
  }
  return rgb;
}

/**
 * The alpha of raster pixel (i, j) of a mask: 0 outside; the outline (a set
 * pixel with an unset 4-neighbour, or on the crop's edge); the fill, or for
 * a prediction diagonal hatching and a dashed outline.
 */
export function maskPixelAlpha(
  raster: IMaskRaster,
  i: number,
  j: number,
  predicted: boolean
): number {
  const { width: w, height: h, data } = raster;
  if (!data[j * w + i]) {
    return 0;
  }
  const edge =
    i === 0 ||
    j === 0 ||
    i === w - 1 ||
    j === h - 1 ||
    !data[j * w + i - 1] ||
    !data[j * w + i + 1] ||
    !data[(j - 1) * w + i] ||
    !data[(j + 1) * w + i];
  const gx = i + raster.left;
  const gy = j + raster.top;
  if (edge) {
    return !predicted || Math.floor((gx + gy) / 4) % 2 === 0
      ? OUTLINE_ALPHA
      : HATCH_GAP_ALPHA;
  }
  if (!predicted) {
    return FILL_ALPHA;
  }
  return (gx + gy) % 6 < 2 ? HATCH_ALPHA : HATCH_GAP_ALPHA;
}

/** Paint a raster into a new canvas in `color`. */
function paint(
  raster: IMaskRaster,
  color: string,
  predicted: boolean
): IMaskBitmap | null {
  if (!raster.width || !raster.height) {
    return null;
  }
  const canvas = document.createElement('canvas');
  canvas.width = raster.width;
  canvas.height = raster.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) {
    return null;
  }
  const [r, g, b] = rgbOf(color);
  const image = ctx.createImageData(raster.width, raster.height);
  const px = image.data;
  for (let j = 0; j < raster.height; j++) {
    for (let i = 0; i < raster.width; i++) {
      const alpha = maskPixelAlpha(raster, i, j, predicted);
      if (alpha) {
        const o = (j * raster.width + i) * 4;
        px[o] = r;
        px[o + 1] = g;
        px[o + 2] = b;
        px[o + 3] = alpha;
      }
    }
  }
  ctx.putImageData(image, 0, 0);
  const s = raster.step;
  return {
    image: canvas,
    x: raster.left * s,
    y: raster.top * s,
    width: raster.width * s,
    height: raster.height * s
  };
}

/** A request for one mask's bitmap. */
export interface IMaskRequest {
  mask: IRleMask;
  color: string;
  predicted: boolean;
  /** Image pixels per bitmap pixel (1: full size). */
  step: number;
}

function keyOf(r: IMaskRequest): string {
  const counts =
    typeof r.mask.counts === 'string' ? r.mask.counts : r.mask.counts.join(',');
  return `${r.mask.height}x${r.mask.width}/${r.step}/${r.predicted ? 'p' : 'g'}/${r.color}/${counts}`;
}

/** Made bitmaps (null: an unreadable or empty mask) and their bytes,
 * least recently used first. */
const made = new Map<string, { bitmap: IMaskBitmap | null; bytes: number }>();
let madeBytes = 0;
const pending = new Map<string, IMaskRequest>();
/** The callbacks of the waiting draws, each with the bitmaps it still waits for. */
const waiting = new Map<() => void, Set<string>>();
let scheduled = false;

function make(request: IMaskRequest, key: string): IMaskBitmap | null {
  const runs = maskRuns(request.mask);
  const { height, width } = request.mask;
  const raster = runs ? rasterizeRuns(runs, height, width, request.step) : null;
  const bitmap = raster
    ? paint(raster, request.color, request.predicted)
    : null;
  const bytes = raster ? raster.width * raster.height * 4 : 0;
  made.set(key, { bitmap, bytes });
  madeBytes += bytes;
  for (const [old, held] of made) {
    if (madeBytes <= CACHE_BYTES || old === key) {
      break;
    }
    made.delete(old);
    madeBytes -= held.bytes;
  }
  return bitmap;
}

/** Make pending bitmaps for one slice, then tell the waiting tiles. */
function runSlice(): void {
  scheduled = false;
  const start = performance.now();
  for (const [key, request] of pending) {
    pending.delete(key);
    make(request, key);
    if (performance.now() - start > SLICE_MS) {
      break;
    }
  }
  if (pending.size) {
    schedule();
  }
  // Draw again only what has all its bitmaps now (not every tile each slice).
  const ready: (() => void)[] = [];
  for (const [callback, keys] of waiting) {
    for (const key of keys) {
      if (made.has(key)) {
        keys.delete(key);
      }
    }
    if (!keys.size) {
      waiting.delete(callback);
      ready.push(callback);
    }
  }
  ready.forEach(callback => callback());
}

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    setTimeout(runSlice, 0);
  }
}

/**
 * The bitmap of a mask: made now when `onReady` is null (one image: the
 * sample view), else the cached one or undefined, made in a later slice;
 * `onReady` is called once every bitmap it was given for is made.
 */
export function maskBitmap(
  request: IMaskRequest,
  onReady: (() => void) | null
): IMaskBitmap | null | undefined {
  const key = keyOf(request);
  const held = made.get(key);
  if (held) {
    made.delete(key); // most recently used last
    made.set(key, held);
    return held.bitmap;
  }
  if (!onReady) {
    return make(request, key);
  }
  pending.set(key, request);
  const keys = waiting.get(onReady) ?? new Set<string>();
  keys.add(key);
  waiting.set(onReady, keys);
  schedule();
  return undefined;
}
