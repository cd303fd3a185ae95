/**
 * The virtualized sample grid: only the visible rows (plus a small overscan)
 * exist in the DOM (`GridRows`: rows placed and recycled while scrolling,
 * grids taller than a browser lays out included); thumbnails are plain HTTP
 * URLs (the browser caches and frees them).
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { changeMovesRows } from '../../model/query';
import {
  IDataChange,
  IQueryChange,
  ISearchModel,
  ISearchState,
  IVisionLensModel
} from '../../model/tokens';
import { h } from '../../base/dom';
import { GridInput } from './gridInput';
import { GridClickSelection } from '../../model/gridSelection';
import { GridFocus } from './gridFocus';
import { CodeSnippet } from '../../ui/CodeSnippet';
import { GridToolbar } from './GridToolbar';
import { embedWidget } from '../../ui/toolbar';
import { GridTooltip } from './GridTooltip';
import { GridRows } from './gridRows';
import { PageCache } from '../../model/pages';
import { SortControl } from './SortControl';
import { fillTile } from './tiles';
import { datasetTotal } from '../../model/sources/samples';
import { visibleText } from '../../base/dataText';

/**
 * After a move of more than two screens in one frame (a scrollbar drag, a
 * jump), pages are fetched once the view stayed this long (ms): one query
 * for where it stops rather than one per frame on the way.
 */
const SETTLE_MS = 50;

/** Options of the grid. */
export interface IGridOptions {
  model: IVisionLensModel;
  commands: CommandRegistry;
  tileSize?: number;
  pageSize?: number;
}

/** The grid panel. */
export class GridWidget extends Widget {
  constructor(options: IGridOptions) {
    super();
    this.model = options.model;
    this._commands = options.commands;
    this._tileSize = options.tileSize ?? 192;
    this.addClass('jp-VisionLens-grid');
    this.id = 'visionlens-grid';
    this.title.label = 'VisionLens Grid';
    this.title.closable = true;

    this._pages = new PageCache({
      model: this.model,
      pageSize: options.pageSize ?? 200,
      onUpdate: () => this._scheduleRender(),
      onError: error =>
        this._showStatus(`Could not load samples: ${error.message}`)
    });
    this._toolbar = new GridToolbar({
      model: this.model,
      commands: this._commands,
      tileSize: this._tileSize,
      onTileSize: size => this.setTileSize(size)
    });
    this._sort = new SortControl(sort => this.model.setSort(sort));
    this._code = new CodeSnippet('jp-VisionLens-viewCode');
    this._scroller = h('div', { className: 'jp-VisionLens-gridScroller' });
    this._scroller.tabIndex = 0;
    this._scroller.setAttribute('role', 'grid');
    this._scroller.setAttribute('aria-multiselectable', 'true');
    this._scroller.setAttribute('aria-label', 'Samples');
    this._sizer = h('div', { className: 'jp-VisionLens-gridSizer' });
    this._status = h('div', { className: 'jp-VisionLens-gridStatus' });
    this._tooltip = new GridTooltip(this.model);
    this._clicks = new GridClickSelection(this.model, this._pages);
    this._rows = new GridRows(this._scroller, this._sizer);
    this.focus = new GridFocus({
      model: this.model,
      commands: this._commands,
      scroller: this._scroller,
      rows: this._rows,
      pages: this._pages,
      render: () => this._scheduleRender()
    });
    this._input = new GridInput({
      model: this.model,
      commands: this._commands,
      pages: this._pages,
      clicks: this._clicks,
      tooltip: this._tooltip,
      focus: this.focus,
      host: this.node
    });
    this._scroller.append(this._sizer);
    this.node.append(
      this._toolbar.node,
      h(
        'div',
        { className: 'jp-VisionLens-toolbarRow jp-VisionLens-viewRow' },
        this._sort.node,
        this._code.node
      ),
      this._status,
      this._scroller,
      this._tooltip.node
    );
    embedWidget(this, this._toolbar);

    this._scroller.addEventListener('scroll', this, { passive: true });
    this._scroller.addEventListener('click', this);
    this._scroller.addEventListener('dblclick', this);
    this._scroller.addEventListener('mouseover', this);
    this._scroller.addEventListener('mouseleave', this);

    this.model.queryChanged.connect(this._onQueryChanged, this);
    this.model.dataChanged.connect(this._onDataChanged, this);
    this.model.selectionChanged.connect(this._onSelectionChanged, this);
    this.model.viewChanged.connect(this._onViewChanged, this);
    this.model.datasetsChanged.connect(this._updateCounts, this);
    this.model.search.changed.connect(this._onSearchChanged, this);
    this.model.extensions.changed.connect(this._onExtensionsChanged, this);
    this._startQuery();
    if (this.model.query.ranking) {
      this._onRankingChanged();
    }
    this._onSearchChanged(this.model.search, this.model.search.state);
  }

  readonly model: IVisionLensModel;
  /** The keyboard focus (moved by the grid commands). */
  readonly focus: GridFocus;

  /** Number of tile elements in the DOM (bounded by the viewport). */
  get tileCount(): number {
    return this._scroller.querySelectorAll('.jp-VisionLens-tile').length;
  }

  /** Change the tile size (px). */
  setTileSize(size: number): void {
    const s = Math.max(64, Math.min(512, Math.round(size)));
    if (s === this._tileSize) {
      return;
    }
    this._tileSize = s;
    this._toolbar.setTileSize(s);
    this._rows.clear();
    this._scheduleRender();
  }

  /** Change the page size of sample queries. */
  setPageSize(size: number): void {
    this._pages.pageSize = size;
    this._pages.reset(this.model.dataset, this.model.filter, false);
    this._pages.ensure(0, 0);
    this._scheduleRender();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._pages.dispose();
    this._toolbar.dispose();
    if (this._raf) {
      cancelAnimationFrame(this._raf);
    }
    window.clearTimeout(this._settle);
    super.dispose();
  }

  /** DOM event handler. */
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'scroll':
        this._tooltip.hide();
        this._scheduleRender();
        break;
      default:
        this._input.handleEvent(event);
    }
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._scheduleRender();
  }

  protected onAfterShow(msg: Message): void {
    this._scheduleRender();
  }

  protected onAfterAttach(msg: Message): void {
    this._scheduleRender();
  }

  protected onActivateRequest(msg: Message): void {
    this._scroller.focus();
  }

  private _onQueryChanged(_: IVisionLensModel, change: IQueryChange): void {
    const { changed } = change;
    if (
      changed.has('dataset') ||
      changed.has('filter') ||
      changed.has('sort') ||
      changed.has('rowKind')
    ) {
      this._startQuery();
    }
    if (changed.has('ranking')) {
      this._onRankingChanged();
    }
  }

  /** Show the model's query from its first row. */
  private _startQuery(): void {
    const query = this.model.query;
    this._sort.setModels(
      (this.model.currentInfo?.models ?? []).map(m => m.name)
    );
    this._sort.setSort(query.sort);
    this._pages.setSort(query.sort);
    this._pages.reset(query.dataset, query.filter, false);
    this.focus.reset();
    this._clicks.reset();
    this._rows.scrollToTop();
    this._rows.clear();
    this.title.label = this.model.dataset
      ? `Grid: ${this.model.dataset}`
      : 'VisionLens Grid';
    this._showStatus(
      this.model.dataset ? '' : 'Open a dataset from the VisionLens panel.'
    );
    this._pages.ensure(0, 0);
    this._datasetTotal = null;
    this._fetchDatasetTotal();
    this._scheduleRender();
  }

  /**
   * The model's ranking (a search's results, best first) shows instead of
   * the sorted query, or no more.
   */
  private _onRankingChanged(): void {
    const ranking = this.model.query.ranking;
    this._sort.setSearching(ranking !== null);
    this._pages.setRanking(ranking);
    this.focus.reset();
    this._clicks.reset();
    this._rows.scrollToTop();
    this._pages.ensure(0, 0);
    this._viewVersion++;
    this._scheduleRender();
  }

  /** Tiles show the scores of the search's results (kept while it re-runs). */
  private _onSearchChanged(_: ISearchModel, state: ISearchState | null): void {
    const current = state && state.dataset === this.model.dataset;
    if (current && !state.result && !state.error) {
      return;
    }
    const hits = current ? (state.result?.results ?? []) : [];
    this._scores = new Map(hits.map(hit => [hit.sample_id, hit.score]));
    this._viewVersion++;
    this._scheduleRender();
  }

  /**
   * A write the query's rows do not depend on (tags outside the filter)
   * refetches the pages holding the written samples; any other starts the
   * query again, the old rows shown until the new ones arrive.
   */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    const query = this.model.query;
    if (change.dataset !== query.dataset) {
      return;
    }
    if (changeMovesRows(query, change)) {
      this._pages.reset(query.dataset, query.filter, true);
    } else {
      this._pages.refresh(change.ids);
    }
    this._scheduleRender();
  }

  private _onSelectionChanged(): void {
    this._viewVersion++;
    this._scheduleRender();
  }

  /** Tile overlays added or removed: redraw every tile. */
  private _onExtensionsChanged(_: unknown, kind: string): void {
    if (kind === 'tileOverlay') {
      this._onViewChanged();
    }
  }

  private _onViewChanged(): void {
    this._viewVersion++;
    this._scheduleRender();
  }

  /** The dataset total M: an exact count from the server (empty filter). */
  private _fetchDatasetTotal(): void {
    const dataset = this.model.dataset;
    if (!dataset) {
      return;
    }
    datasetTotal(this.model, dataset)
      .then(total => {
        if (dataset === this.model.dataset) {
          this._datasetTotal = total;
          this._updateCounts();
        }
      })
      .catch(() => undefined);
  }

  private _updateCounts(): void {
    const code = this._pages.code;
    if (code !== this._shownCode) {
      this._shownCode = code;
      this._code.set(code);
    }
    this._toolbar.setCounts(
      this._pages.total,
      this._datasetTotal,
      this.model.selection.mode === 'all'
        ? this._pages.total
        : this.model.selection.ids.size,
      this._pages.ranking !== null
    );
  }

  private _showStatus(text: string): void {
    this._status.textContent = visibleText(text);
    this._status.hidden = !text;
  }

  private _scheduleRender(): void {
    if (this._raf || this.isDisposed) {
      return;
    }
    this._raf = requestAnimationFrame(() => {
      this._raf = 0;
      this._render();
    });
  }

  private _render(): void {
    this._updateCounts();
    const total = this._pages.total;
    if (!this.model.dataset || total === null || !this.isVisible) {
      return;
    }
    if (total === 0) {
      this._showStatus(
        this._pages.ranking
          ? 'No sample matching the current filter has a vector to compare.'
          : 'No sample matches the current filter.'
      );
    } else if (this._status.textContent?.startsWith('No sample')) {
      this._showStatus('');
    }
    const view = this._rows.render(total, this._tileSize, (el, index, tile) => {
      const sample = index < total ? this._pages.get(index) : null;
      fillTile(
        el,
        this.model,
        sample,
        index,
        total,
        tile,
        this._viewVersion,
        sample ? (this._scores.get(sample.sample_id) ?? null) : null
      );
      this.focus.mark(el, index);
    });
    this.focus.afterRender();
    window.clearTimeout(this._settle);
    if (view.moved > 2 * view.viewport) {
      this._settle = window.setTimeout(() => this._scheduleRender(), SETTLE_MS);
    } else {
      this._pages.ensure(view.first, view.last);
    }
  }

  private _commands: CommandRegistry;
  private _toolbar: GridToolbar;
  private _sort: SortControl;
  private _code: CodeSnippet;
  private _pages: PageCache;
  private _scroller: HTMLDivElement;
  private _sizer: HTMLDivElement;
  private _status: HTMLDivElement;
  private _tooltip: GridTooltip;
  private _clicks: GridClickSelection;
  private _input: GridInput;
  private _rows: GridRows;
  private _settle = 0;
  private _tileSize: number;
  private _raf = 0;
  private _viewVersion = 0;
  private _datasetTotal: number | null = null;
  private _scores = new Map<number, number>();
  private _shownCode: string | null = null;
}
