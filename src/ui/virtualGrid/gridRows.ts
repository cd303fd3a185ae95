/**
 * A virtual grid's rows in the DOM: only the rows in view plus a small
 * overscan exist; rows leaving the view are hidden and reused for rows
 * entering it. Rows are placed relative to the scroller's `scrollTop` through
 * a {@link ScrollMap}, so a grid taller than a browser can lay out (1M
 * samples) still scrolls to its last row.
 */
import { h } from '../../base/dom';
import { ScrollMap } from './scrollMap';

/** Gap between tiles, in px. */
export const GAP = 6;
/** Rows rendered above and below the viewport. */
const OVERSCAN_ROWS = 2;

/** A row of tiles, with the offset it is placed at (px in the sizer) and the row it shows. */
interface IRowEl extends HTMLDivElement {
  _y?: number;
  _r?: number;
}

/** What one render showed. */
export interface IRowsView {
  /** First and last position of the rows in the DOM. */
  first: number;
  last: number;
  /** How far the content moved since the last render (px). */
  moved: number;
  /** The viewport's height (px). */
  viewport: number;
}

/** Makes the tile at column `col` of a new row: `tile` px square, `gap` px apart. */
export type CellFactory<E extends HTMLElement> = (
  col: number,
  tile: number,
  gap: number
) => E;

/** The virtualized rows of a grid inside `sizer` (a child of `scroller`). */
export class GridRows<E extends HTMLElement = HTMLElement> {
  constructor(
    private _scroller: HTMLDivElement,
    private _sizer: HTMLDivElement,
    private _createCell: CellFactory<E>
  ) {}

  /** Remove every row (new tile size or width). */
  clear(): void {
    for (const row of [...this._rows.values(), ...this._free]) {
      row.remove();
    }
    this._rows.clear();
    this._free = [];
  }

  /** Tiles per row (0 before the first render). */
  get columns(): number {
    return this._cols;
  }

  /** Whole rows the viewport shows (at least 1): what Page Down moves by. */
  get rowsInView(): number {
    const row = this._tile + GAP;
    const viewport = this._scroller.clientHeight || 600;
    return row > GAP ? Math.max(1, Math.floor(viewport / row)) : 1;
  }

  /**
   * Scroll by the least amount that shows position `index` whole (a move of
   * at most a screen, which the scroll map passes on pixel for pixel).
   */
  reveal(index: number): void {
    if (this._cols === 0) {
      return;
    }
    const y = Math.floor(index / this._cols) * (this._tile + GAP);
    const bottom = y + this._tile + 2 * GAP;
    const viewport = this._scroller.clientHeight || 600;
    if (y < this._top) {
      this._scroller.scrollTop += y - this._top;
    } else if (bottom > this._top + viewport) {
      this._scroller.scrollTop += bottom - this._top - viewport;
    }
  }

  /**
   * Bring position `index` into view from any distance, its row in the
   * middle of the viewport; true when it is in view already (nothing moved).
   * A jump in a scaled grid may take more than one call (`scrollTopFor`).
   */
  center(index: number): boolean {
    if (this._cols === 0) {
      return false;
    }
    const rowH = this._tile + GAP;
    const y = Math.floor(index / this._cols) * rowH;
    const viewport = this._scroller.clientHeight || 600;
    if (y >= this._top && y + rowH <= this._top + viewport) {
      return true;
    }
    const top = y - Math.max(0, (viewport - rowH) / 2);
    this._scroller.scrollTop = this._scroll.scrollTopFor(top);
    return false;
  }

  /** Back to the top (a new query). */
  scrollToTop(): void {
    this._scroller.scrollTop = 0;
    this._scroll.reset();
    this._top = 0;
  }

  /**
   * Lay out `total` positions in tiles of about `tileSize` px and call `fill`
   * for every tile of the rows in view.
   */
  render(
    total: number,
    tileSize: number,
    fill: (el: E, index: number, tile: number) => void
  ): IRowsView {
    const width = Math.max(0, this._scroller.clientWidth - GAP);
    const cols = Math.max(1, Math.floor(width / (tileSize + GAP)));
    // Stretch tiles to use the full width.
    const tile = Math.floor(width / cols) - GAP;
    const rowH = tile + GAP;
    if (cols !== this._cols || tile !== this._tile) {
      this._cols = cols;
      this._tile = tile;
      this.clear();
    }
    const rowCount = Math.ceil(total / cols);
    // Assistive technologies announce "row r of n" though most rows are not in the DOM.
    const rowsLabel = String(rowCount);
    if (this._scroller.getAttribute('aria-rowcount') !== rowsLabel) {
      this._scroller.setAttribute('aria-rowcount', rowsLabel);
    }
    const viewport = this._scroller.clientHeight || 600;
    this._scroll.setSize(rowCount * rowH + GAP, viewport);
    const sizerHeight = `${this._scroll.sizerHeight}px`;
    if (this._sizer.style.height !== sizerHeight) {
      this._sizer.style.height = sizerHeight;
    }
    const scrollTop = this._scroller.scrollTop;
    // Content position shown at the top; rows are placed relative to scrollTop.
    const top = this._scroll.contentTop(scrollTop);
    const shift = scrollTop - top;
    const first = Math.max(0, Math.floor(top / rowH) - OVERSCAN_ROWS);
    const last = Math.min(
      rowCount - 1,
      Math.ceil((top + viewport) / rowH) + OVERSCAN_ROWS
    );
    for (const [index, row] of this._rows) {
      if (index < first || index > last) {
        this._rows.delete(index);
        this._free.push(row);
        row.style.display = 'none';
      }
    }
    for (let r = first; r <= last; r++) {
      let row = this._rows.get(r);
      if (!row) {
        row = this._free.pop() ?? this._createRow(cols, tile);
        row.style.display = '';
        this._rows.set(r, row);
      }
      if (row._r !== r) {
        row._r = r;
        row.setAttribute('aria-rowindex', String(r + 1));
      }
      const y = Math.round(r * rowH + GAP + shift);
      if (row._y !== y) {
        row._y = y;
        row.style.transform = `translateY(${y}px)`;
      }
      for (let c = 0; c < cols; c++) {
        fill(row.children[c] as E, r * cols + c, tile);
      }
    }
    const moved = Math.abs(top - this._top);
    this._top = top;
    return {
      first: first * cols,
      last: (last + 1) * cols - 1,
      moved,
      viewport
    };
  }

  private _createRow(cols: number, tile: number): IRowEl {
    const row: IRowEl = h('div', {
      className: 'jp-VisionLens-gridRow',
      attrs: { role: 'row' }
    });
    row.style.height = `${tile}px`;
    for (let c = 0; c < cols; c++) {
      row.appendChild(this._createCell(c, tile, GAP));
    }
    this._sizer.appendChild(row);
    return row;
  }

  private _rows = new Map<number, IRowEl>();
  private _free: IRowEl[] = [];
  private _scroll = new ScrollMap();
  private _cols = 0;
  private _tile = 0;
  private _top = 0;
}
