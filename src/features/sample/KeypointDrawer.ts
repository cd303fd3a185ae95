/**
 * The keypoint tool's layer on the sample stage (K): a new object of the
 * picked keypoint class, point by point in its skeleton's order. Each click
 * places the next named point (in image pixels, inside the image, visible);
 * S skips one (unlabelled), Shift Backspace takes back the last, Enter
 * finishes with the rest unlabelled, Escape drops them all. The object is
 * sent when its last point is placed or skipped; its box is the labelled
 * points' extent (the server's rule for an `add` with keypoints and no box).
 */
import { clamp, fitLayer } from './shapeDrawing';
import { IStagePointer } from './stagePointer';

const SVG = 'http://www.w3.org/2000/svg';

/** What the tool reads and tells. */
export interface IKeypointDrawHost {
  /** The image's width and height in pixels. */
  imageSize(): [number, number];
  /** The picked class's point names, in order (null: it has none). */
  names(): readonly string[] | null;
  /** The points were drawn: COCO's flat `[x, y, v, ...]`, one triple per name. */
  drawn(keypoints: number[]): void;
  /** Say what to do next, or why a gesture left nothing ('': nothing to say). */
  say(text: string): void;
}

/** What the tool says while no keypoint class is picked. */
export const KEYPOINT_CLASS_HINT =
  'Pick a keypoint class (one with point names) to draw a new object point by point.';

/** What to do next: the point to place, and the keys. */
export function keypointHint(names: readonly string[], placed: number): string {
  const next = names[placed] ?? '';
  return (
    `Click ${JSON.stringify(next)} (point ${placed + 1} of ${names.length}). ` +
    'S skips it (unlabelled), Shift+Backspace takes back a point, Enter finishes (the rest unlabelled), Escape drops them.'
  );
}

/**
 * Why `keypoints` cannot make an object yet ('' when it can): its box is the
 * extent of its labelled points, which must span an area.
 */
export function keypointDrawProblem(keypoints: readonly number[]): string {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i + 2 < keypoints.length; i += 3) {
    if (keypoints[i + 2] > 0) {
      xs.push(keypoints[i]);
      ys.push(keypoints[i + 1]);
    }
  }
  if (
    xs.length < 2 ||
    Math.max(...xs) === Math.min(...xs) ||
    Math.max(...ys) === Math.min(...ys)
  ) {
    return 'Place at least two points apart (not in one row or column): the new object’s box is their extent.';
  }
  return '';
}

/** The points being placed, and what finishing them does. */
export class KeypointDrawer implements IStagePointer {
  constructor(host: IKeypointDrawHost, changed: () => void = () => undefined) {
    this._host = host;
    this._changed = changed;
    this.node = document.createElementNS(SVG, 'svg');
    this.node.classList.add('jp-VisionLens-keypointLayer');
  }

  readonly node: SVGSVGElement;

  /** The triples so far, `[x1, y1, v1, ...]` (a skipped point: `0, 0, 0`). */
  get points(): readonly number[] {
    return this._points;
  }

  /** What to say when the tool is picked (or its points are dropped). */
  hint(): string {
    const names = this._host.names();
    return names?.length
      ? keypointHint(names, this._points.length / 3)
      : KEYPOINT_CLASS_HINT;
  }

  down(x: number, y: number): boolean {
    const [width, height] = this._host.imageSize();
    this._place([round(clamp(x, width)), round(clamp(y, height)), 2]);
    return false;
  }

  move(): void {
    // a point is a click: there is no drag to follow
  }

  up(): void {
    // see move
  }

  /** Leave the next point unlabelled. */
  skip(): void {
    this._place([0, 0, 0]);
  }

  /** Take back the last point (placed or skipped). */
  undoPoint(): void {
    this._points.splice(-3, 3);
    this._update();
  }

  /** Send the points so far (the rest unlabelled), or say why they cannot be an object yet. */
  finish(): void {
    const names = this._host.names();
    if (!names?.length) {
      this._host.say(KEYPOINT_CLASS_HINT);
      return;
    }
    const keypoints = this._points.slice(0, names.length * 3);
    while (keypoints.length < names.length * 3) {
      keypoints.push(0, 0, 0);
    }
    const problem = keypointDrawProblem(keypoints);
    if (problem) {
      this._host.say(problem);
      return;
    }
    this._points = [];
    this._update();
    this._host.drawn(keypoints);
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
    const names = p.length ? (this._host.names() ?? []) : [];
    const parts: SVGElement[] = [];
    for (let i = 0; i + 2 < p.length; i += 3) {
      if (p[i + 2] === 0) {
        continue;
      }
      const c = document.createElementNS(SVG, 'circle');
      c.setAttribute('cx', String(p[i]));
      c.setAttribute('cy', String(p[i + 1]));
      c.setAttribute('r', String(4 / scale));
      c.classList.add('jp-VisionLens-editVertex');
      const title = document.createElementNS(SVG, 'title');
      title.textContent = names[i / 3] ?? ''; // dataset text: a text node
      c.append(title);
      parts.push(c);
    }
    this.node.replaceChildren(...parts);
    this.node.dataset.points = String(p.length / 3);
  }

  private _place(point: [number, number, number]): void {
    const names = this._host.names();
    if (!names?.length) {
      this._host.say(KEYPOINT_CLASS_HINT);
      return;
    }
    if (this._points.length / 3 < names.length) {
      this._points.push(...point);
      this._update();
    }
    if (this._points.length / 3 >= names.length) {
      this.finish(); // all placed; refused, they stay for Shift+Backspace
      return;
    }
    this._host.say(keypointHint(names, this._points.length / 3));
  }

  private _update(): void {
    this.render(this._scale);
    this._changed();
  }

  private _host: IKeypointDrawHost;
  private _changed: () => void;
  private _points: number[] = [];
  private _scale = 1;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
