/**
 * The renderer of rotated boxes: each object's four corners (`obb`, image
 * pixels, in the source's order) as a closed outline in its class colour,
 * predictions dashed like boxes, with a tick on the first edge so that the
 * box's heading (DOTA's first corner) reads at a glance. The corners are
 * untrusted: a list of anything but four finite x, y pairs draws nothing.
 */
import { xyPoints } from '../../model/labelShapes';
import { GROUND_TRUTH } from '../../model/tokens';
import { ICanvasLabelRenderer, strokePoints } from './canvasLayer';

/** The corners of a rotated box as four points, or null when they are not. */
export function obbCorners(obb: unknown): [number, number][] | null {
  const points = xyPoints(obb);
  return points && points.length === 4 ? points : null;
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
      strokePoints(ctx, corners, true);
      // the heading: the first edge drawn again, thicker
      ctx.setLineDash([]);
      ctx.lineWidth = 2 * width;
      strokePoints(ctx, corners.slice(0, 2), false);
      drawn++;
    }
    return drawn;
  }
};
