/**
 * The canvas layer of a label overlay: masks and keypoints are drawn on a
 * canvas under the SVG boxes (a page of masks as SVG paths or images would
 * cost thousands of elements). The canvas covers the same box as the image
 * and draws in image pixels, letterboxed like `object-fit: contain`; over a
 * crop (a patch tile) it draws the crop's region of the image.
 */
import { KeypointClasses, LabelType } from '../../model/labels';
import { IAnnotation } from '../../model/tokens';
import { ILabelStyle, ImageRegion } from './overlay';

/** What a canvas renderer draws with. */
export interface ICanvasDrawOptions {
  style: ILabelStyle;
  /** Image pixels per screen pixel (to keep lines a constant width). */
  unit: number;
  /** The image's size in pixels (an RLE of another size is scaled to it). */
  imageWidth: number;
  imageHeight: number;
  /** A tile: thinner lines. */
  compact: boolean;
  keypointClasses: KeypointClasses;
  /** The object whose keypoint names are drawn (the one hovered); none when absent. */
  namedObject?: IAnnotation | null;
  /** Image pixels per pixel of an RLE mask's bitmap (1: full size). */
  maskStep: number;
  /**
   * Null: make RLE bitmaps now; else they are made lazily and this is
   * called when some are ready (draw again then).
   */
  onMaskReady: (() => void) | null;
}

/** Draws one label type of a sample's objects on a canvas. */
export interface ICanvasLabelRenderer {
  readonly type: LabelType;
  /** Whether an object has a label of this type (cheap: no parsing). */
  carries(annotation: IAnnotation): boolean;
  /** Draw the visible labels of `annotations`; returns how many were drawn. */
  draw(
    ctx: CanvasRenderingContext2D,
    annotations: readonly IAnnotation[],
    options: ICanvasDrawOptions
  ): number;
}

/** Where the canvas is and how sharp it draws. */
export interface ICanvasLayout {
  /** The canvas's size on the page, in CSS pixels. */
  cssWidth: number;
  cssHeight: number;
  /** Canvas pixels per CSS pixel. */
  pixelRatio: number;
  /** The part of the image the canvas shows (a crop); all of it when absent. */
  region?: ImageRegion;
}

/** Stroke a path through `points` (closed: back to the first). */
export function strokePoints(
  ctx: CanvasRenderingContext2D,
  points: readonly (readonly [number, number])[],
  closed: boolean
): void {
  ctx.beginPath();
  ctx.moveTo(points[0][0], points[0][1]);
  for (const [x, y] of points.slice(1)) {
    ctx.lineTo(x, y);
  }
  if (closed) {
    ctx.closePath();
  }
  ctx.stroke();
}

/** Create the canvas of an overlay. */
export function createLabelCanvas(className: string): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.className = className;
  canvas.setAttribute('aria-hidden', 'true');
  return canvas;
}

/**
 * Clear `canvas` and draw the objects of an image of `width` x `height` px
 * with the renderers of the `shown` types; nothing without a size. Returns
 * how many labels each type drew.
 */
export function drawLabelCanvas(
  canvas: HTMLCanvasElement,
  renderers: readonly ICanvasLabelRenderer[],
  width: number | null,
  height: number | null,
  annotations: readonly IAnnotation[],
  layout: ICanvasLayout,
  shown: ReadonlySet<LabelType>,
  options: Omit<ICanvasDrawOptions, 'unit' | 'imageWidth' | 'imageHeight'>
): Map<LabelType, number> {
  const drawn = new Map<LabelType, number>();
  const wanted =
    width && height
      ? renderers.filter(r => shown.has(r.type) && annotations.some(r.carries))
      : [];
  // Boxes only (most datasets): a canvas that is still empty is not touched.
  if (!wanted.length && !Number(canvas.dataset.drawn ?? 0)) {
    return drawn;
  }
  const pw = Math.max(1, Math.round(layout.cssWidth * layout.pixelRatio));
  const ph = Math.max(1, Math.round(layout.cssHeight * layout.pixelRatio));
  if (canvas.width !== pw || canvas.height !== ph) {
    canvas.width = pw; // also clears it
    canvas.height = ph;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) {
    return drawn;
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, pw, ph);
  if (!width || !height || !wanted.length) {
    canvas.dataset.drawn = '0';
    return drawn;
  }
  // Image pixels to canvas pixels: fit and centre the part shown, as the
  // image (or the crop of it) is; what lies outside it falls off the canvas.
  const [rx, ry, rw, rh] = layout.region ?? [0, 0, width, height];
  const scale = Math.min(layout.cssWidth / rw, layout.cssHeight / rh);
  const ox = (layout.cssWidth - rw * scale) / 2 - rx * scale;
  const oy = (layout.cssHeight - rh * scale) / 2 - ry * scale;
  const r = layout.pixelRatio;
  ctx.setTransform(r * scale, 0, 0, r * scale, r * ox, r * oy);
  const draw: ICanvasDrawOptions = {
    ...options,
    unit: 1 / Math.max(scale, 1e-6),
    imageWidth: width,
    imageHeight: height
  };
  let total = 0;
  for (const renderer of wanted) {
    ctx.save();
    const n = renderer.draw(ctx, annotations, draw);
    ctx.restore();
    drawn.set(renderer.type, n);
    total += n;
  }
  canvas.dataset.drawn = String(total);
  return drawn;
}
