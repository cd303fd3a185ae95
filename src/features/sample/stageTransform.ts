/**
 * Where the sample stage shows its image: the zoom (screen pixels per image
 * pixel) and the image's offset in the stage, fitted to the stage, zoomed
 * around a point and panned by a drag (`StageTransform`); and the label
 * canvas's resolution at a zoom (`labelPixelRatio`).
 */

/** Most canvas pixels of the label layer (a zoomed-in large image). */
const MAX_CANVAS_PIXELS = 16e6;

/**
 * Canvas pixels per image pixel at `zoom` (screen pixels per image pixel):
 * a power of two, so that zooming resizes the canvas only now and then,
 * within `MAX_CANVAS_PIXELS`.
 */
export function labelPixelRatio(
  zoom: number,
  width: number,
  height: number
): number {
  const wanted = 2 ** Math.ceil(Math.log2(Math.max(zoom, 1 / 64)));
  const most = Math.sqrt(MAX_CANVAS_PIXELS / Math.max(1, width * height));
  return Math.min(wanted, most);
}

/** The image scaled by `scale`, its top-left corner at (`tx`, `ty`) in the stage. */
export class StageTransform {
  /** Screen pixels per image pixel. */
  scale = 1;
  tx = 0;
  ty = 0;

  /** Scale a `width` × `height` image to fit a `stageWidth` × `stageHeight` stage, centred. */
  fit(
    width: number,
    height: number,
    stageWidth: number,
    stageHeight: number
  ): void {
    this.scale = Math.min(stageWidth / width, stageHeight / height);
    this.tx = (stageWidth - width * this.scale) / 2;
    this.ty = (stageHeight - height * this.scale) / 2;
  }

  /** Zoom by a wheel's `deltaY`, the image point at stage point (px, py) kept there. */
  zoomAt(px: number, py: number, deltaY: number): void {
    const factor = Math.exp(-deltaY * 0.0015);
    const scale = Math.min(40, Math.max(0.02, this.scale * factor));
    this.tx = px - ((px - this.tx) * scale) / this.scale;
    this.ty = py - ((py - this.ty) * scale) / this.scale;
    this.scale = scale;
  }

  /** Whether a pan drag is under way. */
  get panning(): boolean {
    return this._pan !== null;
  }

  /** Start a pan drag at client point (x, y). */
  startPan(x: number, y: number): void {
    this._pan = { x, y, tx: this.tx, ty: this.ty };
  }

  /** Follow the pan drag to client point (x, y). */
  panTo(x: number, y: number): void {
    if (this._pan) {
      this.tx = this._pan.tx + x - this._pan.x;
      this.ty = this._pan.ty + y - this._pan.y;
    }
  }

  endPan(): void {
    this._pan = null;
  }

  /** The image point at stage point (x, y). */
  imagePoint(x: number, y: number): [number, number] {
    return [(x - this.tx) / this.scale, (y - this.ty) / this.scale];
  }

  /** The CSS transform that puts the image where it is. */
  get css(): string {
    return `translate(${this.tx}px, ${this.ty}px) scale(${this.scale})`;
  }

  private _pan: { x: number; y: number; tx: number; ty: number } | null = null;
}
