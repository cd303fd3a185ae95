/**
 * The renderer of `box` labels: ground truth solid, predictions dashed, one
 * colour per class or, as an option, per evaluation status (evalColours.ts),
 * with class labels when asked (masks are drawn on the canvas layer:
 * masks.ts); and the hover summary of a sample's boxes.
 */
import { BOX_KIND } from '../../model/labels';
import { GROUND_TRUTH, IAnnotation } from '../../model/tokens';
import { visibleText } from '../../base/dataText';
import { boxStroke, isColouredStatus } from './evalColours';
import { trackColor } from '../../base/colors';
import { LabelPlacer } from './labelPlacement';
import {
  ILabelDrawOptions,
  ILabelRenderer,
  ILabelStyle,
  setAttr,
  svgElement
} from './overlay';

/** Draws the visible boxes of an image. */
export const boxRenderer: ILabelRenderer<IAnnotation> = {
  kind: BOX_KIND,
  draw(svg, annotations, options) {
    const { style, unit, stroke } = options;
    const visible = annotations.filter(ann =>
      style.isBoxVisible(ann.source, ann.score)
    );
    const labels = options.labels ? placeLabels(visible, options) : null;
    const byStatus = options.evalColours ?? false;
    for (const ann of visible) {
      const isGT = ann.source === GROUND_TRUTH;
      // a video track's objects keep one colour per identity along the video
      const tracked = ann.track_id !== undefined;
      const line = boxStroke(
        tracked
          ? trackColor(ann.track_id as number)
          : style.classColor(ann.label),
        isGT,
        ann.status,
        byStatus,
        unit,
        stroke
      );
      const color = line.color;
      // A tile's <g><rect/>[<text/>]</g> of its last sample, when it had one.
      const g = options.reuse.next('g');
      const status =
        byStatus && isColouredStatus(ann.status) ? ann.status : null;
      setAttr(
        g,
        'class',
        (isGT
          ? 'jp-VisionLens-box jp-mod-gt'
          : 'jp-VisionLens-box jp-mod-pred') +
          (status ? ` jp-mod-${status}` : '')
      );
      if (tracked) {
        setAttr(g, 'data-track', String(ann.track_id));
      } else if (g.hasAttribute('data-track')) {
        g.removeAttribute('data-track');
      }
      if (status) {
        setAttr(g, 'data-status', status);
      } else if (g.hasAttribute('data-status')) {
        g.removeAttribute('data-status');
      }
      const [x, y, w, h] = ann.bbox;
      const rect = child(g, 0, 'rect');
      setAttr(rect, 'x', String(x));
      setAttr(rect, 'y', String(y));
      setAttr(rect, 'width', String(Math.max(0, w)));
      setAttr(rect, 'height', String(Math.max(0, h)));
      setAttr(rect, 'fill', 'none');
      setAttr(rect, 'stroke', color);
      setAttr(rect, 'stroke-width', String(line.width));
      if (line.dash) {
        setAttr(rect, 'stroke-dasharray', line.dash);
      } else if (rect.hasAttribute('stroke-dasharray')) {
        rect.removeAttribute('stroke-dasharray');
      }
      const label = labels?.get(ann);
      if (label) {
        const text = child(g, 1, 'text');
        const size = (options.labelSize ?? 12) * unit;
        setAttr(text, 'x', String(label.x + stroke));
        // y is the baseline: a line of text sits ~0.95 em below its top.
        setAttr(text, 'y', String(label.y + 0.95 * size));
        setAttr(text, 'font-size', String(size));
        setAttr(text, 'fill', color);
        setAttr(text, 'class', 'jp-VisionLens-boxLabel');
        setAttr(text, 'stroke-width', String(size / 4));
        if (text.textContent !== label.text) {
          text.textContent = label.text;
        }
      } else {
        g.children[1]?.remove();
      }
    }
    return visible.length;
  }
};

/** The `index`th child of `g` if it is a `name`, else a new one put there. */
function child<K extends 'rect' | 'text'>(
  g: SVGGElement,
  index: number,
  name: K
): SVGElementTagNameMap[K] {
  const old = g.children[index];
  if (old?.localName === name) {
    return old as SVGElementTagNameMap[K];
  }
  const el = svgElement(name);
  g.insertBefore(el, old ?? null);
  return el;
}

/** "class" or "class 0.87": what a box's label reads. */
function labelText(ann: IAnnotation): string {
  return visibleText(
    ann.score !== null && ann.score !== undefined && ann.source !== GROUND_TRUTH
      ? `${ann.label} ${ann.score.toFixed(2)}`
      : ann.label
  );
}

/**
 * Every visible box's label and its top-left corner, ground truth placed
 * first (it keeps the place above its box; a prediction on the same object
 * moves aside).
 */
function placeLabels(
  visible: readonly IAnnotation[],
  options: ILabelDrawOptions
): Map<IAnnotation, { x: number; y: number; text: string }> {
  const size = (options.labelSize ?? 12) * options.unit;
  const placer = new LabelPlacer(options.width, options.height, size);
  const byGroundTruthFirst = [...visible].sort(
    (a, b) =>
      Number(b.source === GROUND_TRUTH) - Number(a.source === GROUND_TRUTH)
  );
  const placed = new Map<IAnnotation, { x: number; y: number; text: string }>();
  for (const ann of byGroundTruthFirst) {
    const text = labelText(ann);
    placed.set(ann, { ...placer.place(ann.bbox, text), text });
  }
  return placed;
}

/** "3 boxes: person ×2, dog" style summary of the visible boxes. */
export function classSummary(
  style: ILabelStyle,
  annotations: readonly IAnnotation[],
  maxClasses = 4
): { boxes: number; text: string } {
  const counts = new Map<string, number>();
  let boxes = 0;
  for (const ann of annotations) {
    if (!style.isBoxVisible(ann.source, ann.score)) {
      continue;
    }
    boxes++;
    counts.set(ann.label, (counts.get(ann.label) ?? 0) + 1);
  }
  const parts = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, n]) => (n > 1 ? `${label} ×${n}` : label));
  const shown = parts.slice(0, maxClasses);
  if (parts.length > maxClasses) {
    shown.push(`+${parts.length - maxClasses} more`);
  }
  return { boxes, text: shown.join(', ') };
}
