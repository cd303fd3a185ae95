/**
 * The rotated-box tool's layer on the sample stage (R), as CVAT draws one:
 * drag its first edge (the heading; or click its two ends), then move the
 * pointer to set its width and click. The box goes to `drawn` as its four
 * corners (`obb`); a gesture that leaves no box (an edge or a width under
 * two pixels, a corner out of the image) is not sent and says why.
 */
import {
  clamp,
  DrawnEdge,
  edgeProblem,
  fitLayer,
  obbDrawProblem,
  obbFromEdge
} from './shapeDrawing';
import { IStagePointer } from './stagePointer';

const SVG = 'http://www.w3.org/2000/svg';

/** The box being drawn: its first edge, being placed, or its width. */
type DrawState =
  | { phase: 'idle' }
  /** `dragging`: the end follows a drag; else the hover, until the next click. */
  | { phase: 'edge'; edge: DrawnEdge; dragging: boolean }
  | { phase: 'width'; edge: DrawnEdge; obb: number[] };

/** What the tool reads and tells. */
export interface IShapeDrawHost {
  /** The image's width and height in pixels. */
  imageSize(): [number, number];
  /** A shape was drawn: its points. */
  drawn(points: number[]): void;
  /** Say what to do next, or why a gesture left nothing ('' : nothing to say). */
  say(text: string): void;
}

/** How to draw a rotated box, said when the tool is picked. */
export const ROTATED_BOX_HINT =
  'Drag the first edge of the rotated box (its heading), then move the pointer to set its width and click. Escape drops it.';

const WIDTH_HINT = 'Move the pointer to set the width, then click.';

/** The rotated box being drawn, and what finishing it does. */
export class RotatedBoxDrawer implements IStagePointer {
  constructor(host: IShapeDrawHost) {
    this._host = host;
    this.node = document.createElementNS(SVG, 'svg');
    this.node.classList.add('jp-VisionLens-obbLayer');
  }

  readonly node: SVGSVGElement;

  /** Whether a box is being drawn (Escape drops it). */
  get drawing(): boolean {
    return this._state.phase !== 'idle';
  }

  down(x: number, y: number): boolean {
    const [px, py] = this._inside(x, y);
    const s = this._state;
    if (s.phase === 'idle') {
      this._state = { phase: 'edge', edge: [px, py, px, py], dragging: true };
      this._host.say('');
      this.render(this._scale);
      return true;
    }
    if (s.phase === 'edge') {
      this._endEdge([s.edge[0], s.edge[1], px, py]);
      return false;
    }
    const obb = obbFromEdge(s.edge, px, py);
    const [width, height] = this._host.imageSize();
    const problem = obbDrawProblem(obb, width, height);
    if (problem) {
      this._host.say(problem); // the width is still being set
      this._warned = true;
      return false;
    }
    this.cancel();
    this._host.say(''); // the width is set: no "Move the pointer…" left
    this._host.drawn(obb);
    return false;
  }

  move(x: number, y: number): void {
    const s = this._state;
    if (s.phase === 'edge' && s.dragging) {
      s.edge = [s.edge[0], s.edge[1], ...this._inside(x, y)];
      this.render(this._scale);
    }
  }

  up(x: number, y: number): void {
    const s = this._state;
    if (s.phase !== 'edge' || !s.dragging) {
      return;
    }
    const edge: DrawnEdge = [s.edge[0], s.edge[1], ...this._inside(x, y)];
    if (edgeProblem(edge)) {
      // a click, not a drag: the edge's end is the next click
      this._state = { phase: 'edge', edge, dragging: false };
      this.render(this._scale);
      return;
    }
    this._endEdge(edge);
  }

  hover(point: [number, number] | null): void {
    const s = this._state;
    if (!point || s.phase === 'idle') {
      return;
    }
    const [x, y] = this._inside(...point);
    if (s.phase === 'edge') {
      s.edge = [s.edge[0], s.edge[1], x, y];
    } else {
      s.obb = obbFromEdge(s.edge, x, y);
      if (this._warned) {
        this._warned = false; // the pointer moved on: the way on again, not the last refusal
        this._host.say(WIDTH_HINT);
      }
    }
    this.render(this._scale);
  }

  cancel(): void {
    this._state = { phase: 'idle' };
    this._warned = false;
    this.render(this._scale);
  }

  render(scale: number): void {
    this._scale = scale;
    const [width, height] = this._host.imageSize();
    fitLayer(this.node, width, height);
    const s = this._state;
    this.node.dataset.phase = s.phase;
    if (s.phase === 'idle') {
      this.node.replaceChildren();
      return;
    }
    const points = s.phase === 'width' ? s.obb : s.edge;
    const shape = document.createElementNS(
      SVG,
      s.phase === 'width' ? 'polygon' : 'polyline'
    );
    shape.setAttribute('points', pairs(points));
    shape.classList.add('jp-VisionLens-editPolygon');
    const heading = document.createElementNS(SVG, 'line');
    const [x0, y0, x1, y1] = s.edge;
    heading.setAttribute('x1', String(x0));
    heading.setAttribute('y1', String(y0));
    heading.setAttribute('x2', String(x1));
    heading.setAttribute('y2', String(y1));
    heading.setAttribute('stroke-width', String(3 / scale));
    heading.classList.add('jp-VisionLens-editPolygon');
    this.node.replaceChildren(shape, heading);
  }

  /** The first edge is placed: the width follows the pointer from now on. */
  private _endEdge(edge: DrawnEdge): void {
    const problem = edgeProblem(edge);
    if (problem) {
      this._host.say(problem);
      return;
    }
    this._host.say(WIDTH_HINT);
    const obb = obbFromEdge(edge, edge[2], edge[3]);
    this._state = { phase: 'width', edge, obb };
    this.render(this._scale);
  }

  /** `(x, y)` kept inside the image. */
  private _inside(x: number, y: number): [number, number] {
    const [width, height] = this._host.imageSize();
    return [clamp(x, width), clamp(y, height)];
  }

  private _host: IShapeDrawHost;
  private _state: DrawState = { phase: 'idle' };
  /** The hint row says why the last click drew nothing. */
  private _warned = false;
  private _scale = 1;
}

/** SVG `points` of a flat `[x1, y1, x2, ...]`. */
export function pairs(flat: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    out.push(`${flat[i]},${flat[i + 1]}`);
  }
  return out.join(' ');
}
