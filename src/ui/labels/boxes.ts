/**
 * SVG overlay of boxes over an image, shared by the grid tiles and the sample
 * view. The SVG uses the image's pixel size as viewBox with the same
 * letterboxing as the `object-fit: contain` image under it, so boxes line up
 * at every size.
 */
import {
  GROUND_TRUTH,
  IAnnotation,
  IVisionLensModel
} from '../../model/tokens';
import { visibleText } from '../../base/dataText';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Create an empty overlay element. */
export function createOverlay(className: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', className);
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  svg.setAttribute('aria-hidden', 'true');
  return svg;
}

/** Options of {@link drawBoxes}. */
export interface IDrawOptions {
  /** Pixel size of the element on screen (to keep strokes ~constant). */
  displaySize: number;
  /** Draw class (+ score) labels. */
  labels?: boolean;
  /** Draw segmentation polygons when present. */
  segmentation?: boolean;
  /** Stroke width in screen pixels. */
  strokeWidth?: number;
}

/**
 * Draw the visible boxes of a sample: ground truth solid, predictions dashed,
 * one colour per class. Returns how many boxes were drawn.
 */
export function drawBoxes(
  svg: SVGSVGElement,
  model: IVisionLensModel,
  width: number | null,
  height: number | null,
  annotations: readonly IAnnotation[],
  options: IDrawOptions
): number {
  while (svg.firstChild) {
    svg.removeChild(svg.firstChild);
  }
  if (!width || !height) {
    svg.removeAttribute('viewBox');
    return 0;
  }
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  // User units per screen pixel (the image is scaled to fit displaySize).
  const unit = Math.max(width, height) / Math.max(1, options.displaySize);
  const stroke = (options.strokeWidth ?? 2) * unit;
  let drawn = 0;
  for (const ann of annotations) {
    if (!model.isBoxVisible(ann.source, ann.score)) {
      continue;
    }
    const color = model.classColor(ann.label);
    const isGT = ann.source === GROUND_TRUTH;
    const g = document.createElementNS(SVG_NS, 'g');
    g.setAttribute(
      'class',
      isGT ? 'jp-VisionLens-box jp-mod-gt' : 'jp-VisionLens-box jp-mod-pred'
    );
    if (options.segmentation && Array.isArray(ann.segmentation)) {
      for (const poly of ann.segmentation as unknown[]) {
        if (!Array.isArray(poly) || poly.length < 6) {
          continue;
        }
        const pts: string[] = [];
        for (let i = 0; i + 1 < poly.length; i += 2) {
          pts.push(`${Number(poly[i])},${Number(poly[i + 1])}`);
        }
        const p = document.createElementNS(SVG_NS, 'polygon');
        p.setAttribute('points', pts.join(' '));
        p.setAttribute('fill', color);
        p.setAttribute('fill-opacity', '0.25');
        p.setAttribute('stroke', color);
        p.setAttribute('stroke-width', String(stroke / 2));
        g.appendChild(p);
      }
    }
    const [x, y, w, h] = ann.bbox;
    const rect = document.createElementNS(SVG_NS, 'rect');
    rect.setAttribute('x', String(x));
    rect.setAttribute('y', String(y));
    rect.setAttribute('width', String(Math.max(0, w)));
    rect.setAttribute('height', String(Math.max(0, h)));
    rect.setAttribute('fill', 'none');
    rect.setAttribute('stroke', color);
    rect.setAttribute('stroke-width', String(stroke));
    if (!isGT) {
      rect.setAttribute('stroke-dasharray', `${4 * unit} ${3 * unit}`);
    }
    g.appendChild(rect);
    if (options.labels) {
      const text = document.createElementNS(SVG_NS, 'text');
      const size = 12 * unit;
      text.setAttribute('x', String(x + stroke));
      text.setAttribute('y', String(Math.max(size, y - stroke)));
      text.setAttribute('font-size', String(size));
      text.setAttribute('fill', color);
      text.setAttribute('class', 'jp-VisionLens-boxLabel');
      text.setAttribute('stroke-width', String(3 * unit));
      text.textContent = visibleText(
        ann.score !== null && ann.score !== undefined && !isGT
          ? `${ann.label} ${ann.score.toFixed(2)}`
          : ann.label
      );
      g.appendChild(text);
    }
    svg.appendChild(g);
    drawn++;
  }
  return drawn;
}

/** "3 boxes: person ×2, dog" style summary of the visible boxes. */
export function classSummary(
  model: IVisionLensModel,
  annotations: readonly IAnnotation[],
  maxClasses = 4
): { boxes: number; text: string } {
  const counts = new Map<string, number>();
  let boxes = 0;
  for (const ann of annotations) {
    if (!model.isBoxVisible(ann.source, ann.score)) {
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
