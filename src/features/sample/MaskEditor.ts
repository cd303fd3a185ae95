/**
 * The click-to-mask layer of the sample stage: an SVG over the image (image
 * pixels) drawing the mask of the prompt so far, its clicks (on the object
 * and not the object in two colours) and its box, and turning presses into the
 * prompt: a click adds a point (left: on the object; right or Alt: not the
 * object), a drag sets the box.
 */
import { ISegmentMask } from '../../model/tokens';
import { rasterizeRuns, runsFromString } from '../../ui/labels/rle';
import { drawnBox } from './boxEditing';
import { clickLabel, maskPath, MaskSession } from './maskPrompt';
import { IStagePointer, IStagePress, StageTool } from './stagePointer';
import { fitLayer } from './shapeDrawing';

const SVG = 'http://www.w3.org/2000/svg';

/** Screen pixels a press must move to be a box rather than a click. */
const DRAG_PX = 4;
/** Screen pixels of a click's radius. */
const POINT_PX = 5;
/** Longest side of the preview's raster (a large image is sampled). */
const PREVIEW_SIDE = 1024;

/** The tool's layer over the image. */
export class MaskEditor implements IStagePointer {
  constructor(session: MaskSession, imageSize: () => [number, number]) {
    this._session = session;
    this._imageSize = imageSize;
    this.node = document.createElementNS(SVG, 'svg');
    this.node.classList.add('jp-VisionLens-maskLayer');
  }

  readonly node: SVGSVGElement;

  down(x: number, y: number, tool: StageTool, press?: IStagePress): boolean {
    if (tool !== 'mask') {
      return false;
    }
    this._press = {
      x,
      y,
      label: clickLabel(press ?? { button: 0, altKey: false })
    };
    return true;
  }

  move(x: number, y: number): void {
    const p = this._press;
    if (p && Math.hypot(x - p.x, y - p.y) * this._scale >= DRAG_PX) {
      const [width, height] = this._imageSize();
      this._drag = drawnBox(p.x, p.y, x, y, width, height);
      this.render(this._scale);
    }
  }

  up(x: number, y: number): void {
    this.move(x, y);
    const p = this._press;
    const box = this._drag;
    this._press = null;
    this._drag = null;
    if (box) {
      void this._session.box(box);
    } else if (p) {
      const [width, height] = this._imageSize();
      void this._session.click(p.x, p.y, p.label, width, height);
    }
  }

  cancel(): void {
    this._press = null;
    this._drag = null;
    this.render(this._scale);
  }

  /** Draw again at the last scale (the prompt or its answer changed). */
  redraw(): void {
    this.render(this._scale);
  }

  /** Draw the prompt and its mask at `scale` screen pixels per image pixel. */
  render(scale: number): void {
    this._scale = scale;
    const [width, height] = this._imageSize();
    fitLayer(this.node, width, height);
    const state = this._session.state;
    const parts: SVGElement[] = [];
    const mask = this._session.mask;
    if (mask) {
      const path = svg('path', 'jp-VisionLens-maskPreview');
      path.setAttribute('d', this._path(mask));
      parts.push(path);
    }
    const box = this._drag ?? this._session.prompt.box;
    if (box) {
      const r = svg('rect', 'jp-VisionLens-maskBox');
      const [bx, by, bw, bh] = box;
      setAll(r, { x: bx, y: by, width: bw, height: bh });
      parts.push(r);
    }
    for (const { x, y, label } of this._session.prompt.points) {
      const dot = svg(
        'circle',
        label ? 'jp-VisionLens-maskPositive' : 'jp-VisionLens-maskNegative'
      );
      setAll(dot, { cx: x, cy: y, r: POINT_PX / scale });
      parts.push(dot);
    }
    this.node.replaceChildren(...parts);
    this.node.dataset.state = state.kind;
    this.node.dataset.points = String(this._session.prompt.points.length);
  }

  /** The mask's outline path (computed once per answer). */
  private _path(mask: ISegmentMask): string {
    if (this._drawn?.mask !== mask) {
      const [height, width] = mask.mask.size;
      const runs = runsFromString(mask.mask.counts) ?? [];
      const step = Math.max(
        1,
        Math.ceil(Math.max(width, height) / PREVIEW_SIDE)
      );
      const raster = rasterizeRuns(runs, height, width, step);
      this._drawn = { mask, path: maskPath(raster) };
    }
    return this._drawn.path;
  }

  private _session: MaskSession;
  private _imageSize: () => [number, number];
  private _press: { x: number; y: number; label: 0 | 1 } | null = null;
  private _drag: [number, number, number, number] | null = null;
  private _drawn: { mask: ISegmentMask; path: string } | null = null;
  private _scale = 1;
}

function svg(tag: string, className: string): SVGElement {
  const element = document.createElementNS(SVG, tag) as SVGElement;
  element.classList.add(className);
  return element;
}

function setAll(element: SVGElement, attrs: Record<string, number>): void {
  for (const [name, value] of Object.entries(attrs)) {
    element.setAttribute(name, String(value));
  }
}
