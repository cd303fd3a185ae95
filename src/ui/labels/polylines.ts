/**
 * The renderer of polylines (CVAT polylines, lane markings): each object's
 * points (`polyline`, image pixels) joined in order as an open line in its
 * class colour, predictions dashed, its first point marked so that the line's
 * direction reads. The points are untrusted: anything but at least two finite
 * x, y pairs draws nothing.
 */
import { xyPoints } from '../../model/labelShapes';
import { GROUND_TRUTH } from '../../model/tokens';
import { ICanvasLabelRenderer, strokePoints } from './canvasLayer';

/** The points of a polyline as x, y pairs, or null when they are not. */
export function linePoints(polyline: unknown): [number, number][] | null {
  const points = xyPoints(polyline);
  return points && points.length >= 2 ? points : null;
}

/** Draws the polylines of the visible objects. */
export const polylineRenderer: ICanvasLabelRenderer = {
  type: 'polylines',
  carries: annotation => Array.isArray(annotation.polyline),
  draw(ctx, annotations, options) {
    const { style, unit } = options;
    let drawn = 0;
    for (const ann of annotations) {
      if (!style.isBoxVisible(ann.source, ann.score)) {
        continue;
      }
      const points = linePoints(ann.polyline);
      if (!points) {
        continue;
      }
      const color = style.classColor(ann.label);
      const width = (options.compact ? 1.5 : 2.5) * unit;
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.setLineDash(ann.source !== GROUND_TRUTH ? [4 * unit, 3 * unit] : []);
      strokePoints(ctx, points, false);
      ctx.setLineDash([]);
      ctx.beginPath(); // the start: where the line's direction begins
      ctx.arc(points[0][0], points[0][1], 1.5 * width, 0, 2 * Math.PI);
      ctx.fillStyle = color;
      ctx.fill();
      drawn++;
    }
    return drawn;
  }
};
