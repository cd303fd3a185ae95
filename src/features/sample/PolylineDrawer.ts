/**
 * The line tool's layer on the sample stage (L): each click adds a point (in
 * image pixels, inside the image), a line to the pointer shows where the next
 * one goes; a click on the last point again (a double-click) or Enter
 * finishes the line into a new object of the picked class, Shift Backspace
 * takes back the last point and Escape drops it. A line of fewer than two
 * points is not sent: the hint row says why.
 */
import { clamp, fitLayer, polylineDrawProblem } from './shapeDrawing';
import { IStagePointer } from './stagePointer';
import { IShapeDrawHost, pairs } from './RotatedBoxDrawer';

const SVG = 'http://www.w3.org/2000/svg';

/** Screen pixels within which a click on the last point finishes the line. */
const FINISH_PX = 8;

/** How to draw a line, said when the tool is picked. */
export const POLYLINE_HINT =
  'Click the points of the line; click the last one again (or press Enter) to finish it. Shift+Backspace takes back a point, Escape drops it.';

/** The line being drawn, and what finishing it does. */
export class PolylineDrawer implements IStagePointer {
  constructor(host: IShapeDrawHost, changed: () => void = () => undefined) {
    this._host = host;
    this._changed = changed;
    this.node = document.createElementNS(SVG, 'svg');
    this.node.classList.add('jp-VisionLens-polylineLayer');
  }

  readonly node: SVGSVGElement;

  /** The points so far, `[x1, y1, x2, y2, ...]`. */
  get points(): readonly number[] {
    return this._points;
  }

  down(x: number, y: number): boolean {
    const slack = FINISH_PX / this._scale;
    const n = this._points.length;
    const [lx, ly] = this._points.slice(n - 2);
    if (n && Math.abs(x - lx) <= slack && Math.abs(y - ly) <= slack) {
      this.finish();
      return false;
    }
    const [width, height] = this._host.imageSize();
    this._points.push(round(clamp(x, width)), round(clamp(y, height)));
    this._host.say('');
    this._update();
    return false;
  }

  move(): void {
    // a point is a click: there is no drag to follow
  }

  up(): void {
    // see move
  }

  hover(point: [number, number] | null): void {
    this._pointer = point;
    if (this._points.length) {
      this.render(this._scale);
    }
  }

  /** Finish the line into a new object, or say why it cannot be one yet. */
  finish(): void {
    const problem = polylineDrawProblem(this._points);
    if (problem) {
      this._host.say(problem);
      return;
    }
    const line = this._points;
    this._points = [];
    this._update();
    this._host.drawn(line);
  }

  /** Take back the last point. */
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
    const [width, height] = this._host.imageSize();
    fitLayer(this.node, width, height);
    const p = this._points;
    const parts: SVGElement[] = [];
    const next = p.length && this._pointer ? this._pointer : [];
    if (p.length + next.length >= 4) {
      const line = document.createElementNS(SVG, 'polyline');
      line.setAttribute('points', pairs([...p, ...next]));
      line.classList.add('jp-VisionLens-editPolygon');
      parts.push(line);
    }
    for (let i = 0; i < p.length; i += 2) {
      const c = document.createElementNS(SVG, 'circle');
      c.setAttribute('cx', String(p[i]));
      c.setAttribute('cy', String(p[i + 1]));
      c.setAttribute('r', String(4 / scale));
      c.classList.add('jp-VisionLens-editVertex');
      parts.push(c);
    }
    this.node.replaceChildren(...parts);
    this.node.dataset.points = String(p.length / 2);
  }

  private _update(): void {
    this.render(this._scale);
    this._changed();
  }

  private _host: IShapeDrawHost;
  private _changed: () => void;
  private _points: number[] = [];
  private _pointer: [number, number] | null = null;
  private _scale = 1;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
