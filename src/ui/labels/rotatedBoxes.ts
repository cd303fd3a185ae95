/**
 * The renderer of rotated boxes: each object's four corners (`obb`, image
 * pixels, in the source's order) as a closed outline in its class colour,
 * predictions dashed like boxes, with a tick on the first edge so that the
 * box's heading (DOTA's first corner) reads at a glance. The corners are
 * untrusted: a list of anything but four finite x, y pairs draws nothing.
 */
import { GROUND_TRUTH } from '../../model/tokens';
import { ICanvasLabelRenderer } from './canvasLayer';

/** The corners of a rotated box as four points, or null when they are not. */
export function obbCorners(obb: unknown): [number, number][] | null {
  if (!Array.isArray(obb) || obb.length !== 8) {
    return null;
  }
  if (!obb.every(v => typeof v === 'number' && Number.isFinite(v))) {
    return null;
  }
  const v = obb as number[];
  return [0, 2, 4, 6].map(i => [v[i], v[i + 1]]);
}

/** Draws the rotated boxes of the visible objects. */
export const rotatedBoxRenderer: ICanvasLabelRenderer = {
  type: 'rotated_boxes',
  carries: annotation => Array.isArray(annotation.obb),
  draw(ctx, annotations, options) {
    const { style, unit } = options;
    let drawn = 0;
    for (const ann of annotations) {
      if (!style.isBoxVisible(ann.source, ann.score)) {
        continue;
      }
      const corners = obbCorners(ann.obb);
      if (!corners) {
        continue;
      }
      const width = (options.compact ? 1 : 2) * unit;
      ctx.strokeStyle = style.classColor(ann.label);
      ctx.lineWidth = width;
      const predicted = ann.source !== GROUND_TRUTH;
      ctx.setLineDash(predicted ? [4 * unit, 3 * unit] : []);
      ctx.beginPath();
      ctx.moveTo(corners[0][0], corners[0][1]);
      for (const [x, y] of corners.slice(1)) {
        ctx.lineTo(x, y);
      }
      ctx.closePath();
      ctx.stroke();
      // the heading: the first edge drawn again, thicker
      ctx.setLineDash([]);
      ctx.lineWidth = 2 * width;
      ctx.beginPath();
      ctx.moveTo(corners[0][0], corners[0][1]);
      ctx.lineTo(corners[1][0], corners[1][1]);
      ctx.stroke();
      drawn++;
    }
    return drawn;
  }
};
