/**
 * The renderer of keypoints: the class's skeleton between labelled points,
 * visible points (v = 2) filled, labelled hidden ones (v = 1) hollow,
 * unlabelled ones (v = 0) not drawn; predictions with dashed bones. Point
 * names only of the object under the pointer in the sample view (as in
 * FiftyOne, where they show on hover): drawn for every object, the names of
 * a ground truth and of its prediction cover the object and each other.
 */
import { keypointDots, skeletonSegments } from '../../model/labelShapes';
import { GROUND_TRUTH, IAnnotation } from '../../model/tokens';
import { visibleText } from '../../base/dataText';
import { ICanvasLabelRenderer } from './canvasLayer';

/** Draws the keypoints of the visible objects. */
export const keypointRenderer: ICanvasLabelRenderer = {
  type: 'keypoints',
  carries: annotation => Array.isArray(annotation.keypoints),
  draw(ctx, annotations, options) {
    const { style, unit, compact } = options;
    const radius = (compact ? 2 : 3.5) * unit;
    const line = (compact ? 1 : 2) * unit;
    let drawn = 0;
    for (const ann of annotations) {
      if (!ann.keypoints || !style.isBoxVisible(ann.source, ann.score)) {
        continue;
      }
      const dots = keypointDots(ann.keypoints);
      if (!dots.length) {
        continue;
      }
      const keypointClass = options.keypointClasses.get(ann.label);
      const color = style.classColor(ann.label);
      const predicted = ann.source !== GROUND_TRUTH;
      ctx.strokeStyle = color;
      ctx.lineWidth = line;
      ctx.setLineDash(predicted ? [3 * unit, 2 * unit] : []);
      ctx.beginPath();
      for (const [a, b] of skeletonSegments(dots, keypointClass)) {
        ctx.moveTo(a.x, a.y);
        ctx.lineTo(b.x, b.y);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      for (const dot of dots) {
        ctx.beginPath();
        ctx.arc(dot.x, dot.y, radius, 0, 2 * Math.PI);
        if (dot.mark === 'filled') {
          ctx.fillStyle = color;
          ctx.fill();
          ctx.strokeStyle = 'rgba(0, 0, 0, 0.7)';
          ctx.lineWidth = unit;
        } else {
          ctx.strokeStyle = color;
          ctx.lineWidth = line;
        }
        ctx.stroke();
      }
      const names = keypointClass?.keypoint_names;
      if (ann === options.namedObject && Array.isArray(names)) {
        ctx.font = `${11 * unit}px sans-serif`;
        ctx.fillStyle = color;
        ctx.strokeStyle = 'rgba(0, 0, 0, 0.7)';
        ctx.lineWidth = 3 * unit;
        for (const dot of dots) {
          const name = names[dot.index];
          if (typeof name === 'string' && name) {
            const text = visibleText(name);
            const x = dot.x + radius + 2 * unit;
            ctx.strokeText(text, x, dot.y);
            ctx.fillText(text, x, dot.y);
          }
        }
      }
      drawn++;
    }
    return drawn;
  }
};

/**
 * The object whose keypoints are under image point (`x`, `y`): of the objects
 * with a drawn point within `reach` (image pixels) or whose points' bounds,
 * grown by `reach`, hold the point, the one with the nearest point (over a
 * ground truth and its prediction: the one the pointer is closer to). Only
 * objects `visible` says are drawn count; null when there is none.
 */
export function keypointObjectAt(
  annotations: readonly IAnnotation[],
  x: number,
  y: number,
  reach: number,
  visible: (annotation: IAnnotation) => boolean
): IAnnotation | null {
  let best: IAnnotation | null = null;
  let bestDistance = Infinity;
  for (const ann of annotations) {
    const dots = ann.keypoints ? keypointDots(ann.keypoints) : [];
    if (!dots.length || !visible(ann)) {
      continue;
    }
    const xs = dots.map(d => d.x);
    const ys = dots.map(d => d.y);
    const inside =
      x >= Math.min(...xs) - reach &&
      x <= Math.max(...xs) + reach &&
      y >= Math.min(...ys) - reach &&
      y <= Math.max(...ys) + reach;
    if (!inside) {
      continue;
    }
    const distance = Math.min(...dots.map(d => Math.hypot(d.x - x, d.y - y)));
    if (distance < bestDistance) {
      best = ann;
      bestDistance = distance;
    }
  }
  return best;
}
