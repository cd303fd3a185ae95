/**
 * Where the class labels of boxes go so that none covers another: a ground
 * truth box and the prediction matched to it start at nearly the same corner,
 * and their labels drawn at one place would read as one smudge.
 */

/** A rectangle in image pixels: left, top, width, height. */
export type Rect = readonly [number, number, number, number];

/** Width of a label's text per em, a little over a sans-serif font's average. */
const EM_PER_CHAR = 0.65;

/** Places labels one at a time, each where it covers no label placed before. */
export class LabelPlacer {
  /** For an image of `width` × `height` px and text of `size` px. */
  constructor(
    private readonly _width: number,
    private readonly _height: number,
    private readonly _size: number
  ) {}

  /** The rectangles taken so far. */
  get placed(): readonly Rect[] {
    return this._placed;
  }

  /**
   * The top-left corner of the label `text` of `box`: above its top edge,
   * else below its bottom edge, else just inside either, else stacked above
   * the box until free; always inside the image where the image is large
   * enough to hold it.
   */
  place(box: Rect, text: string): { x: number; y: number } {
    const w = Math.max(1, text.length) * EM_PER_CHAR * this._size;
    const h = this._size * 1.2;
    const [bx, by, , bh] = box;
    const x = Math.max(0, Math.min(bx, this._width - w));
    const candidates = [by - h, by + bh, by, by + bh - h];
    for (let k = 2; k < 40; k++) {
      candidates.push(by - k * h, by + bh + (k - 1) * h);
    }
    let chosen: Rect | null = null;
    for (const y of candidates) {
      const rect: Rect = [x, this._clampY(y, h), w, h];
      if (!this._placed.some(other => overlaps(rect, other))) {
        chosen = rect;
        break;
      }
    }
    // Nowhere free (a crowd of boxes): the label's own first place.
    chosen = chosen ?? [x, this._clampY(candidates[0], h), w, h];
    this._placed.push(chosen);
    return { x: chosen[0], y: chosen[1] };
  }

  private _clampY(y: number, h: number): number {
    return Math.max(0, Math.min(y, this._height - h));
  }

  private _placed: Rect[] = [];
}

/** Whether two rectangles share more than an edge. */
export function overlaps(a: Rect, b: Rect): boolean {
  return (
    a[0] < b[0] + b[2] &&
    b[0] < a[0] + a[2] &&
    a[1] < b[1] + b[3] &&
    b[1] < a[1] + a[3]
  );
}
