/**
 * The renderer of polylines (CVAT polylines, lane markings): each object's
 * points (`polyline`, image pixels) joined in order as an open line in its
 * class colour, predictions dashed, its first point marked so that the line's
 * direction reads. The points are untrusted: anything but at least two finite
 * x, y pairs draws nothing.
 */
import { GROUND_TRUTH } from '../../model/tokens';
import { ICanvasLabelRenderer } from './canvasLayer';

/** The points of a polyline as x, y pairs, or null when they are not. */
export function linePoints(polyline: unknown): [number, number][] | null {
  if (!Array.isArray(polyline) || polyline.length < 4 || polyline.length % 2) {
    return null;
  }
  if (!polyline.every(v => typeof v === 'number' && Number.isFinite(v))) {
    return null;
  }
  const v = polyline as number[];
  const points: [number, number][] = [];
  for (let i = 0; i < v.length; i += 2) {
    points.push([v[i], v[i + 1]]);
  }
  return points;
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
      ctx.beginPath();
      ctx.moveTo(points[0][0], points[0][1]);
      for (const [x, y] of points.slice(1)) {
        ctx.lineTo(x, y);
      }
      ctx.stroke();
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
