/**
 * A virtual grid over the rows of any type of a page source: only the rows
 * in view plus a small overscan exist in the DOM (`GridRows`: placed and
 * recycled while scrolling, grids taller than a browser lays out included),
 * a `role="grid"` of `gridcell` tiles with `aria-selected`, a roving keyboard
 * focus, and pages fetched for where the view settles. What a tile shows is
 * its {@link ITileRenderer}'s business.
 */
import { h } from '../../base/dom';
import { IRowPages } from '../../model/pageSource';
import { GridFocus } from './gridFocus';
import { GridRows } from './gridRows';

/**
 * After a move of more than two screens in one frame (a scrollbar drag, a
 * jump), pages are fetched once the view stayed this long (ms): one query
 * for where it stops rather than one per frame on the way.
 */
const SETTLE_MS = 50;

/**
 * Renders a reveal may take to reach its position (a jump in a grid taller
 * than a browser lays out may move one screen at a time near the target).
 */
const REVEAL_TRIES = 8;

/** What the grid's keys do to a grid's focus, whatever its row type. */
export type GridKeys = Pick<
  GridFocus<unknown>,
  'move' | 'movePages' | 'goTo' | 'toggle' | 'open'
>;

/** The keyboard focus of each grid, by its scroller. */
const focuses = new WeakMap<Element, GridKeys>();

/**
 * What the selection keys do in a grid whose rows are not the samples (the
 * patches view's objects), so that they act on its rows, not on the samples.
 */
export interface IGridSelectionKeys {
  /** Accel A: select every row of the query; null: none (the key does nothing there). */
  selectAll: (() => void) | null;
  /** T: tag the selected rows. */
  tag: () => void;
}

/** The selection keys of each grid of other rows, by its scroller. */
const ownKeys = new WeakMap<Element, IGridSelectionKeys>();

/**
 * The keyboard focus of the grid holding the page's focus (the grid whose
 * keys were pressed), or null: the grid commands (arrow keys, Page Up/Down,
 * Home/End, Space, Enter) act on it, whichever panel it is in.
 */
export function focusedGrid(
  active: Element | null = document.activeElement
): GridKeys | null {
  const scroller = active?.closest?.('.jp-VisionLens-gridScroller');
  return scroller ? (focuses.get(scroller) ?? null) : null;
}

/**
 * The selection keys of the grid holding the page's focus when its rows are
 * not the samples, or null: Accel A and T act on the samples (the sample
 * grid, the toolbar's buttons, the command palette).
 */
export function focusedSelectionKeys(
  active: Element | null = document.activeElement
): IGridSelectionKeys | null {
  const scroller = active?.closest?.('.jp-VisionLens-gridScroller');
  return scroller ? (ownKeys.get(scroller) ?? null) : null;
}

/** Draws rows of type `T` into tiles of type `E`. */
export interface ITileRenderer<T, E extends HTMLDivElement = HTMLDivElement> {
  /** Add the tile's parts to a new, empty cell (sized and placed by the grid). */
  create(cell: HTMLDivElement): E;
  /**
   * Show `row` in the tile, or clear it (null: its page is loading or the
   * tile is past the end). Called only when the tile's row changed or the
   * grid was invalidated, never for an unchanged tile while scrolling.
   */
  fill(tile: E, row: T | null, size: number): void;
}

/** Options of a {@link VirtualGrid}. */
export interface IVirtualGridOptions<T, E extends HTMLDivElement> {
  /** The rows shown (a `PageCache`). */
  pages: IRowPages<T>;
  renderer: ITileRenderer<T, E>;
  /** Tile size asked for (px); tiles stretch to fill the width. */
  tileSize: number;
  /** The grid's accessible name. */
  label: string;
  /** Whether the row of this key is selected (`aria-selected`). */
  isSelected?: (key: number) => boolean;
  /** Space on the focused row. */
  onToggle?: (row: T, index: number) => void;
  /** Enter on the focused row. */
  onOpen?: (row: T, index: number) => unknown;
  /** Called first in each frame; false: nothing to draw (hidden, no query). */
  beforeRender?: () => boolean;
  /** Rows that are not samples: what Accel A and T do to them (absent: the samples' commands). */
  selectionKeys?: IGridSelectionKeys;
}

/** What a cell of the grid currently shows. */
interface IGridCell extends HTMLDivElement {
  _key?: number;
  /** The row drawn (a page fetched again, e.g. with more fields, is drawn again). */
  _row?: unknown;
  _version?: number;
}

/** A row under a DOM node (a pointer event's target). */
export interface IGridHit<T, E> {
  tile: E;
  index: number;
  row: T;
}

/** The scrolling grid element (`node`), its rows, focus and frame loop. */
export class VirtualGrid<T, E extends HTMLDivElement = HTMLDivElement> {
  constructor(options: IVirtualGridOptions<T, E>) {
    this._o = options;
    this._pages = options.pages;
    this._tileSize = options.tileSize;
    this.node = h('div', {
      className: 'jp-VisionLens-gridScroller',
      attrs: {
        role: 'grid',
        'aria-multiselectable': 'true',
        'aria-label': options.label
      }
    });
    this.node.tabIndex = 0;
    this._sizer = h('div', { className: 'jp-VisionLens-gridSizer' });
    this.node.append(this._sizer);
    this._rows = new GridRows<E>(this.node, this._sizer, (col, tile, gap) =>
      this._createCell(col, tile, gap)
    );
    this.focus = new GridFocus<T>({
      scroller: this.node,
      rows: this._rows,
      pages: this._pages,
      render: () => this.scheduleRender(),
      onToggle: options.onToggle,
      onOpen: options.onOpen
    });
    focuses.set(this.node, this.focus);
    if (options.selectionKeys) {
      ownKeys.set(this.node, options.selectionKeys);
    }
    this.node.addEventListener('scroll', () => this.scheduleRender(), {
      passive: true
    });
  }

  /** The scroller (`role="grid"`): put it in the panel. */
  readonly node: HTMLDivElement;
  /** The keyboard focus. */
  readonly focus: GridFocus<T>;

  /** Number of tiles in the DOM (bounded by the viewport). */
  get tileCount(): number {
    return this._sizer.querySelectorAll('[role="gridcell"]').length;
  }

  get tileSize(): number {
    return this._tileSize;
  }

  /** Lay tiles out at about `size` px (rebuilds the rows). */
  setTileSize(size: number): void {
    this._tileSize = size;
    this._rows.clear();
    this.scheduleRender();
  }

  /** A new query: back to the top, first tile focused, rows rebuilt. */
  reset(): void {
    this._reveal = null;
    this.focus.reset();
    this._toTop();
    this._rows.clear();
    this.scheduleRender();
  }

  /** A new order of the same rows (a ranking): back to the top. */
  scrollToTop(): void {
    this._reveal = null;
    this.focus.reset();
    this._toTop();
    this.invalidate();
  }

  /**
   * Scroll position `index` into view (a selection made elsewhere), at the
   * next render the grid is shown at; the keyboard focus moves there without
   * taking the page's focus.
   */
  reveal(index: number): void {
    this.focus.set(index);
    this._reveal = { index, tries: REVEAL_TRIES };
    this.invalidate();
  }

  /** Redraw every tile in view at the next frame (selection, styles). */
  invalidate(): void {
    this._version++;
    this.scheduleRender();
  }

  /** The loaded row whose tile holds `target`, or null. */
  rowAt(target: EventTarget | null): IGridHit<T, E> | null {
    const tile = (target as Element | null)?.closest?.(
      '[role="gridcell"]'
    ) as E | null;
    if (!tile || !this._sizer.contains(tile) || !tile.dataset.index) {
      return null;
    }
    const index = Number(tile.dataset.index);
    const row = this._pages.get(index);
    return row ? { tile, index, row } : null;
  }

  /** Draw at the next animation frame (once however often asked). */
  scheduleRender(): void {
    if (this._raf || this._disposed) {
      return;
    }
    this._raf = requestAnimationFrame(() => {
      this._raf = 0;
      this._render();
    });
  }

  dispose(): void {
    this._disposed = true;
    if (this._raf) {
      cancelAnimationFrame(this._raf);
    }
    window.clearTimeout(this._settle);
  }

  /**
   * Scroll to the top now and again at the next render: a hidden scroller
   * (a tab in the background is `display: none`) ignores `scrollTop` and
   * shows its old position once shown.
   */
  private _toTop(): void {
    this._rows.scrollToTop();
    this._topPending = true;
  }

  private _render(): void {
    const total = this._pages.total;
    if (this._o.beforeRender?.() === false || total === null) {
      return;
    }
    if (this._topPending) {
      this._topPending = false;
      this._rows.scrollToTop();
    }
    const view = this._rows.render(total, this._tileSize, (el, index, size) =>
      this._fill(el, index, total, size)
    );
    if (this._reveal && this._revealMoved(total)) {
      return; // the scroll event renders where it went
    }
    this.focus.afterRender();
    window.clearTimeout(this._settle);
    if (view.moved > 2 * view.viewport) {
      this._settle = window.setTimeout(() => this.scheduleRender(), SETTLE_MS);
    } else {
      this._pages.ensure(view.first, view.last);
    }
  }

  /**
   * Move towards the position to reveal, once the rows are laid out; true when
   * the view moved (it renders again there).
   */
  private _revealMoved(total: number): boolean {
    const reveal = this._reveal as { index: number; tries: number };
    const index = Math.min(reveal.index, total - 1);
    if (index < 0 || this._rows.center(index) || --reveal.tries <= 0) {
      this._reveal = null;
      return false;
    }
    this.scheduleRender();
    return true;
  }

  /**
   * Show position `index` in a tile: hidden past the end, a placeholder while
   * its page loads, else its row, drawn again only when it changed.
   */
  private _fill(el: E, index: number, total: number, size: number): void {
    const cell = el as E & IGridCell;
    this.focus.mark(cell, index);
    if (index >= total) {
      if (cell.style.visibility !== 'hidden') {
        cell.style.visibility = 'hidden';
      }
      this._clear(cell, size);
      return;
    }
    // Every tile in view comes here at every frame: write only changes.
    if (cell.style.visibility) {
      cell.style.visibility = '';
    }
    const position = String(index);
    if (cell.dataset.index !== position) {
      cell.dataset.index = position;
    }
    const row = this._pages.get(index);
    if (!row) {
      this._clear(cell, size);
      cell.classList.add('jp-mod-loading');
      cell.classList.remove('jp-mod-selected');
      return;
    }
    if (cell.classList.contains('jp-mod-loading')) {
      cell.classList.remove('jp-mod-loading');
    }
    const key = this._pages.key(row);
    if (cell._row === row && cell._version === this._version) {
      return;
    }
    cell._key = key;
    cell._row = row;
    cell._version = this._version;
    const selected = this._o.isSelected?.(key) ?? false;
    cell.classList.toggle('jp-mod-selected', selected);
    cell.setAttribute('aria-selected', String(selected));
    this._o.renderer.fill(cell, row, size);
  }

  /** Empty a tile that showed a row. */
  private _clear(cell: E & IGridCell, size: number): void {
    if (cell._key !== undefined) {
      cell._key = undefined;
      cell._row = undefined;
      cell.setAttribute('aria-selected', 'false');
      this._o.renderer.fill(cell, null, size);
    }
  }

  private _createCell(col: number, tile: number, gap: number): E {
    const cell = h('div', {
      className: 'jp-VisionLens-gridCell',
      attrs: { role: 'gridcell' }
    });
    cell.style.width = `${tile}px`;
    cell.style.height = `${tile}px`;
    cell.style.left = `${gap + col * (tile + gap)}px`;
    cell.tabIndex = -1;
    return this._o.renderer.create(cell);
  }

  private readonly _o: IVirtualGridOptions<T, E>;
  private readonly _pages: IRowPages<T>;
  private readonly _sizer: HTMLDivElement;
  private readonly _rows: GridRows<E>;
  private _tileSize: number;
  private _raf = 0;
  private _settle = 0;
  private _version = 0;
  private _disposed = false;
  private _topPending = false;
  /** A position to scroll into view at the next renders, and how often to try. */
  private _reveal: { index: number; tries: number } | null = null;
}
