/**
 * The polygon tool's layer on the sample stage (P): each click adds a vertex
 * (in image pixels, inside the image); a click on the first vertex, or Enter,
 * closes the polygon into a new object of the picked class (its box is the
 * polygon's extent, visionlens_jlab/edits/mask_ops.py); Shift Backspace
 * takes back the last vertex and Escape drops the outline.
 */
import { IStagePointer, StageTool } from './stagePointer';
import { fitLayer } from './shapeDrawing';

const SVG = 'http://www.w3.org/2000/svg';

/** Screen pixels within which a click closes the polygon on its first vertex. */
const CLOSE_PX = 8;

/** Fewest vertices of a polygon (COCO's: three points). */
export const MIN_VERTICES = 3;

/** The outline being drawn, and what closing it does. */
export class PolygonDrawer implements IStagePointer {
  constructor(
    imageSize: () => [number, number],
    closed: (polygon: number[]) => void,
    changed: () => void = () => undefined
  ) {
    this._imageSize = imageSize;
    this._closed = closed;
    this._changed = changed;
    this.node = document.createElementNS(SVG, 'svg');
    this.node.classList.add('jp-VisionLens-polygonLayer');
  }

  readonly node: SVGSVGElement;

  /** The vertices so far, `[x1, y1, x2, y2, ...]`. */
  get points(): readonly number[] {
    return this._points;
  }

  /** Whether Enter would close a polygon now. */
  get closable(): boolean {
    return this._points.length >= 2 * MIN_VERTICES;
  }

  down(x: number, y: number, _tool: StageTool): boolean {
    const slack = CLOSE_PX / this._scale;
    const [x0, y0] = this._points;
    if (
      this.closable &&
      Math.abs(x - x0) <= slack &&
      Math.abs(y - y0) <= slack
    ) {
      this.close();
      return false;
    }
    const [width, height] = this._imageSize();
    this._points.push(pixel(x, width), pixel(y, height));
    this._update();
    return false;
  }

  move(): void {
    // a vertex is a click: there is no drag to follow
  }

  up(): void {
    // see move
  }

  /** Close the outline into a polygon (nothing with fewer than three vertices). */
  close(): void {
    if (!this.closable) {
      return;
    }
    const polygon = this._points;
    this._points = [];
    this._update();
    this._closed(polygon);
  }

  /** Take back the last vertex. */
  undoPoint(): void {
    this._points.splice(-2, 2);
    this._update();
  }

  cancel(): void {
    this._points = [];
    this._update();
  }

  render(scale: number): void {
    this._scale = scale;
    const [width, height] = this._imageSize();
    fitLayer(this.node, width, height);
    const p = this._points;
    const parts: SVGElement[] = [];
    if (p.length >= 4) {
      const line = document.createElementNS(SVG, 'polyline');
      const pairs: string[] = [];
      for (let i = 0; i < p.length; i += 2) {
        pairs.push(`${p[i]},${p[i + 1]}`);
      }
      line.setAttribute('points', pairs.join(' '));
      line.classList.add('jp-VisionLens-editPolygon');
      parts.push(line);
    }
    for (let i = 0; i < p.length; i += 2) {
      const c = document.createElementNS(SVG, 'circle');
      c.setAttribute('cx', String(p[i]));
      c.setAttribute('cy', String(p[i + 1]));
      c.setAttribute('r', String((i ? 4 : 6) / scale));
      c.classList.add('jp-VisionLens-editVertex');
      parts.push(c);
    }
    this.node.replaceChildren(...parts);
    this.node.dataset.vertices = String(p.length / 2);
  }

  private _update(): void {
    this.render(this._scale);
    this._changed();
  }

  private _imageSize: () => [number, number];
  private _closed: (polygon: number[]) => void;
  private _changed: () => void;
  private _points: number[] = [];
  private _scale = 1;
}

/** A coordinate inside `[0, size]`, to a tenth of a pixel. */
function pixel(v: number, size: number): number {
  return Math.round(Math.min(Math.max(v, 0), size) * 10) / 10;
}
