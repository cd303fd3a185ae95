/**
 * A uniform grid over the map's points (one counting sort, O(n)): hover
 * finds the nearest point and the thumbnail view lists the points in view
 * without a GPU picking pass (a picking frame costs as much as a frame on
 * software GL).
 */

/** Points per cell on average. */
const PER_CELL = 8;
const MAX_SIDE = 2048;

export class SpatialIndex {
  constructor(
    readonly positions: Float32Array,
    bounds: [number, number, number, number]
  ) {
    const n = positions.length / 2;
    this.side = Math.max(
      1,
      Math.min(MAX_SIDE, Math.ceil(Math.sqrt(n / PER_CELL)))
    );
    this.x0 = bounds[0];
    this.y0 = bounds[1];
    this.sx = this.side / Math.max(bounds[2] - bounds[0], 1e-12);
    this.sy = this.side / Math.max(bounds[3] - bounds[1], 1e-12);
    const cells = this.side * this.side;
    const cellOf = new Uint32Array(n);
    this.starts = new Uint32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      const c = this._cell(positions[2 * i], positions[2 * i + 1]);
      cellOf[i] = c;
      this.starts[c + 1]++;
    }
    for (let c = 0; c < cells; c++) {
      this.starts[c + 1] += this.starts[c];
    }
    const next = this.starts.slice(0, cells);
    this.order = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.order[next[cellOf[i]]++] = i;
    }
  }

  /**
   * The point nearest to (x, y) within `radius` (data units) among those
   * `accept` lets through, or -1.
   */
  nearest(
    x: number,
    y: number,
    radius: number,
    accept: (i: number) => boolean = () => true
  ): number {
    let best = -1;
    let bestD = radius * radius;
    this.forEachIn([x - radius, y - radius, x + radius, y + radius], i => {
      const dx = this.positions[2 * i] - x;
      const dy = this.positions[2 * i + 1] - y;
      const d = dx * dx + dy * dy;
      if (d <= bestD && accept(i)) {
        bestD = d;
        best = i;
      }
      return true;
    });
    return best;
  }

  /**
   * The points inside `rect` ([x0, y0, x1, y1]) that `accept` lets through,
   * or null as soon as there are more than `limit`.
   */
  within(
    rect: [number, number, number, number],
    limit: number,
    accept: (i: number) => boolean = () => true
  ): number[] | null {
    const out: number[] = [];
    let over = false;
    this.forEachIn(rect, i => {
      const px = this.positions[2 * i];
      const py = this.positions[2 * i + 1];
      if (
        px >= rect[0] &&
        px <= rect[2] &&
        py >= rect[1] &&
        py <= rect[3] &&
        accept(i)
      ) {
        out.push(i);
        if (out.length > limit) {
          over = true;
          return false;
        }
      }
      return true;
    });
    return over ? null : out;
  }

  /** Visit the points of the cells overlapping `rect` until `visit` returns false. */
  forEachIn(
    rect: [number, number, number, number],
    visit: (i: number) => boolean
  ): void {
    const [cx0, cy0] = this._cellXY(rect[0], rect[1]);
    const [cx1, cy1] = this._cellXY(rect[2], rect[3]);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const c = cy * this.side + cx;
        for (let k = this.starts[c]; k < this.starts[c + 1]; k++) {
          if (!visit(this.order[k])) {
            return;
          }
        }
      }
    }
  }

  private _cellXY(x: number, y: number): [number, number] {
    const last = this.side - 1;
    const cx = Math.floor((x - this.x0) * this.sx);
    const cy = Math.floor((y - this.y0) * this.sy);
    return [
      cx < 0 ? 0 : cx > last ? last : cx,
      cy < 0 ? 0 : cy > last ? last : cy
    ];
  }

  private _cell(x: number, y: number): number {
    const [cx, cy] = this._cellXY(x, y);
    return cy * this.side + cx;
  }

  readonly side: number;
  private readonly x0: number;
  private readonly y0: number;
  private readonly sx: number;
  private readonly sy: number;
  private readonly starts: Uint32Array;
  private readonly order: Uint32Array;
}
