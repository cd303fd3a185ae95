/**
 * A virtual grid's keyboard focus: one tile position (a roving tabindex:
 * only the focused tile is tabbable), moved, toggled and opened by the
 * owner's commands (the sample grid binds arrow keys, Space and Enter in
 * schema/grid.json), kept in view and focused once the tile is rendered.
 */
import { IRowPages } from '../../model/pageSource';
import { GridRows } from './gridRows';

/** What the focus needs from its grid. */
export interface IGridFocusOptions<T> {
  scroller: HTMLElement;
  rows: Pick<GridRows, 'columns' | 'reveal' | 'rowsInView'>;
  pages: Pick<IRowPages<T>, 'total' | 'get'>;
  /** Render the grid (after the view moved). */
  render: () => void;
  /** Space on a loaded row: select or unselect it. */
  onToggle?: (row: T, index: number) => void;
  /** Enter on a loaded row: open it. */
  onOpen?: (row: T, index: number) => unknown;
}

export class GridFocus<T> {
  constructor(private readonly _o: IGridFocusOptions<T>) {}

  /** The focused position. */
  get index(): number {
    return this._index;
  }

  /** Focus position `index` (a click on its tile). */
  set(index: number): void {
    this._index = index;
  }

  /** Back to the first tile (a new query). */
  reset(): void {
    this._index = 0;
    this._pending = false;
  }

  /** Move by `dx` tiles and `dy` rows, within the rows, and show the tile. */
  move(dx: number, dy: number): void {
    const step = dx + dy * Math.max(1, this._o.rows.columns);
    this.goTo(this._index + step);
  }

  /** Move by `pages` screens of rows (Page Down: 1, Page Up: -1). */
  movePages(pages: number): void {
    this.move(0, pages * this._o.rows.rowsInView);
  }

  /** Focus and show position `index` (clamped to the rows). */
  goTo(index: number): void {
    const total = this._o.pages.total;
    if (!total) {
      return;
    }
    this._index = Math.max(0, Math.min(total - 1, index));
    this._pending = true;
    this._o.rows.reveal(this._index);
    this._o.render();
  }

  /** Select or unselect the focused row. */
  toggle(): void {
    const row = this._o.pages.get(this._index);
    if (row) {
      this._o.onToggle?.(row, this._index);
    }
  }

  /** Open the focused row. */
  async open(): Promise<void> {
    const row = this._o.pages.get(this._index);
    if (row) {
      await this._o.onOpen?.(row, this._index);
    }
  }

  /** A tile was filled for `index`: only the focused one is tabbable. */
  mark(el: HTMLElement, index: number): void {
    const tabIndex = index === this._index ? 0 : -1;
    // Called for every tile in view at every frame: write only a change.
    if (el.tabIndex !== tabIndex) {
      el.tabIndex = tabIndex;
    }
  }

  /** After a render: focus the tile the keyboard moved to, once it is there. */
  afterRender(): void {
    if (!this._pending) {
      return;
    }
    // Rows out of view are hidden and kept for reuse with their old tiles:
    // only a shown row's tile can take the focus.
    const el = [
      ...this._o.scroller.querySelectorAll<HTMLElement>(
        `[role="gridcell"][data-index="${this._index}"]`
      )
    ].find(tile => tile.parentElement?.style.display !== 'none');
    if (el) {
      this._pending = false;
      el.focus({ preventScroll: true });
    }
  }

  private _index = 0;
  private _pending = false;
}
