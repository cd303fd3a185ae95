/**
 * The renderer of masks: polygons as canvas paths, RLE masks as cached
 * bitmaps (`maskBitmaps.ts`); a translucent fill and an outline in the class
 * colour, ground truth solid, predictions hatched with a dashed outline.
 */
import { maskOf } from '../../model/labelShapes';
import { GROUND_TRUTH } from '../../model/tokens';
import { ICanvasDrawOptions, ICanvasLabelRenderer } from './canvasLayer';
import { maskBitmap } from './maskBitmaps';

/** Opacity of a ground-truth polygon's fill. */
const FILL_OPACITY = 0.38;

/** Hatching of predicted polygons: a diagonal every `HATCH` screen px. */
const HATCH = 6;

const hatchTiles = new Map<string, HTMLCanvasElement>();

/** A tile of diagonal hatching in `color` (cached per colour). */
function hatchTile(color: string): HTMLCanvasElement {
  let tile = hatchTiles.get(color);
  if (!tile) {
    tile = document.createElement('canvas');
    tile.width = HATCH;
    tile.height = HATCH;
    const ctx = tile.getContext('2d');
    if (ctx) {
      ctx.strokeStyle = color;
      ctx.globalAlpha = 0.75;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      // The diagonal and its neighbours' corners: seamless when repeated.
      ctx.moveTo(0, HATCH);
      ctx.lineTo(HATCH, 0);
      ctx.moveTo(-1, 1);
      ctx.lineTo(1, -1);
      ctx.moveTo(HATCH - 1, HATCH + 1);
      ctx.lineTo(HATCH + 1, HATCH - 1);
      ctx.stroke();
    }
    hatchTiles.set(color, tile);
  }
  return tile;
}

/** The fill of a predicted polygon: hatching of constant screen size. */
function hatchFill(
  ctx: CanvasRenderingContext2D,
  color: string,
  unit: number
): CanvasPattern | string {
  const pattern = ctx.createPattern(hatchTile(color), 'repeat');
  if (!pattern) {
    return color;
  }
  if (typeof DOMMatrix !== 'undefined') {
    pattern.setTransform(new DOMMatrix().scale(unit));
  }
  return pattern;
}

/** The polygons of a mask as one path. */
function polygonPath(polygons: readonly (readonly number[])[]): Path2D {
  const path = new Path2D();
  for (const poly of polygons) {
    path.moveTo(poly[0], poly[1]);
    for (let i = 2; i + 1 < poly.length; i += 2) {
      path.lineTo(poly[i], poly[i + 1]);
    }
    path.closePath();
  }
  return path;
}

/** Draws the masks of the visible objects. */
export const maskRenderer: ICanvasLabelRenderer = {
  type: 'masks',
  carries: annotation =>
    annotation.segmentation !== undefined && annotation.segmentation !== null,
  draw(ctx, annotations, options: ICanvasDrawOptions) {
    const { style, unit } = options;
    let drawn = 0;
    for (const ann of annotations) {
      if (!style.isBoxVisible(ann.source, ann.score)) {
        continue;
      }
      const mask = maskOf(ann.segmentation);
      if (!mask) {
        continue;
      }
      const color = style.classColor(ann.label);
      const predicted = ann.source !== GROUND_TRUTH;
      if (mask.kind === 'polygons') {
        const path = polygonPath(mask.polygons);
        ctx.globalAlpha = predicted ? 1 : FILL_OPACITY;
        ctx.fillStyle = predicted ? hatchFill(ctx, color, unit) : color;
        ctx.fill(path);
        ctx.globalAlpha = 1;
        ctx.strokeStyle = color;
        ctx.lineWidth = (options.compact ? 1 : 1.5) * unit;
        ctx.setLineDash(predicted ? [4 * unit, 3 * unit] : []);
        ctx.stroke(path);
        drawn++;
        continue;
      }
      const bitmap = maskBitmap(
        { mask, color, predicted, step: options.maskStep },
        options.onMaskReady
      );
      if (bitmap === undefined) {
        drawn++; // on its way: drawn when ready
        continue;
      }
      if (!bitmap) {
        continue;
      }
      // An RLE of another size than the image is stretched over it.
      const sx = options.imageWidth / mask.width;
      const sy = options.imageHeight / mask.height;
      ctx.imageSmoothingEnabled = options.maskStep > 1;
      ctx.drawImage(
        bitmap.image,
        bitmap.x * sx,
        bitmap.y * sy,
        bitmap.width * sx,
        bitmap.height * sy
      );
      drawn++;
    }
    return drawn;
  }
};
