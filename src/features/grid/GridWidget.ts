/**
 * The sample grid: the generic `VirtualGrid` (`src/ui/virtualGrid/`) over the
 * model's query as a `SamplesPageSource`, drawn by the `SampleTileRenderer`;
 * thumbnails are plain HTTP URLs (the browser caches and frees them).
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { nameTab } from '../../ui/panelNames';
import { changeMovesRows } from '../../model/query';
import {
  keypointClasses,
  LabelTypeSettings,
  LabelTypeToggles
} from '../../model/labels';
import {
  CommandIDs,
  IDataChange,
  IQueryChange,
  IRevealRequest,
  ISample,
  ISearchModel,
  ISearchState,
  IVisionLensModel
} from '../../model/tokens';
import { h } from '../../base/dom';
import { GridInput } from './gridInput';
import { GridClickSelection } from '../../model/gridSelection';
import { GridFocus } from '../../ui/virtualGrid/gridFocus';
import { VirtualGrid } from '../../ui/virtualGrid/VirtualGrid';
import { CodeSnippet } from '../../ui/CodeSnippet';
import { GridToolbar } from './GridToolbar';
import { embedWidget } from '../../ui/toolbar';
import { GridTooltip } from './GridTooltip';
import { PageCache } from '../../model/pages';
import { SelectionReveal } from './selectionReveal';
import { SortControl } from './SortControl';
import { ITileEl, SampleTileRenderer } from './tiles';
import { datasetTotal, SamplesPageSource } from '../../model/sources/samples';
import { evaluationLabel } from '../../model/sources/evaluations';
import { visibleText } from '../../base/dataText';
import { sourcesLabel } from '../../model/similarity';

/** Options of the grid. */
export interface IGridOptions {
  model: IVisionLensModel;
  commands: CommandRegistry;
  tileSize?: number;
  pageSize?: number;
  /** The label types drawn at first (the settings). */
  labelTypes?: LabelTypeSettings;
}

/** The grid panel. */
export class GridWidget extends Widget {
  constructor(options: IGridOptions) {
    super();
    this.model = options.model;
    this._commands = options.commands;
    const tileSize = options.tileSize ?? 192;
    this.addClass('jp-VisionLens-grid');
    this.id = 'visionlens-grid';
    nameTab(this.title, 'grid');
    this.title.closable = true;

    this._pages = new PageCache<ISample>({
      pageSize: options.pageSize ?? 200,
      onUpdate: () => this._grid.scheduleRender(),
      onError: error =>
        this._showStatus(`Could not load samples: ${error.message}`)
    });
    this.labelTypes.apply(options.labelTypes ?? {});
    this._toolbar = new GridToolbar({
      model: this.model,
      commands: this._commands,
      labelTypes: this.labelTypes,
      tileSize,
      onTileSize: size => this.setTileSize(size)
    });
    this._sort = new SortControl(sort => this.model.setSort(sort));
    this._code = new CodeSnippet('jp-VisionLens-viewCode', {
      collapsible: true
    });
    this._status = h('div', { className: 'jp-VisionLens-gridStatus' });
    this._tooltip = new GridTooltip(this.model);
    this._clicks = new GridClickSelection(this.model, this._pages);
    this._tiles = new SampleTileRenderer(this.model);
    this._tiles.follow(this.labelTypes);
    this.labelTypes.changed.connect(() => {
      if (this._tiles.follow(this.labelTypes)) {
        this._resetPages(true); // TP/FP/FN colours: the rows with statuses
      }
      this._grid.invalidate();
    });
    this._grid = new VirtualGrid<ISample, ITileEl>({
      pages: this._pages,
      renderer: this._tiles,
      tileSize,
      label: 'Samples',
      isSelected: id => this.model.isSelected(id),
      onToggle: sample => this.model.toggleSelected(sample.sample_id, 'grid'),
      onOpen: (sample, index) =>
        this._commands.execute(CommandIDs.openSample, {
          dataset: this.model.dataset,
          sampleId: sample.sample_id,
          index
        }),
      beforeRender: () => this._beforeRender()
    });
    this.focus = this._grid.focus;
    this._reveal = new SelectionReveal({
      model: this.model,
      commands: this._commands,
      shown: () => this._shown?.query ?? null,
      reveal: index => this._grid.reveal(index)
    });
    this._input = new GridInput({
      model: this.model,
      commands: this._commands,
      grid: this._grid,
      clicks: this._clicks,
      tooltip: this._tooltip,
      host: this.node
    });
    this.node.append(
      this._toolbar.node,
      h(
        'div',
        { className: 'jp-VisionLens-toolbarRow jp-VisionLens-viewRow' },
        this._sort.node,
        this._code.node,
        this._toolbar.searchCode
      ),
      this._status,
      this._reveal.node,
      this._grid.node,
      this._tooltip.node
    );
    embedWidget(this, this._toolbar);

    for (const type of ['click', 'dblclick', 'mouseover', 'mouseleave']) {
      this._grid.node.addEventListener(type, this._input);
    }
    this._grid.node.addEventListener('scroll', () => this._tooltip.hide(), {
      passive: true
    });

    this.model.queryChanged.connect(this._onQueryChanged, this);
    this.model.dataChanged.connect(this._onDataChanged, this);
    this.model.selectionChanged.connect(this._onSelectionChanged, this);
    this.model.viewChanged.connect(this._onViewChanged, this);
    this.model.evalKeyChanged.connect(this._onEvalKeyChanged, this);
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
  /** The label types the tiles draw (toolbar and settings). */
  readonly labelTypes = new LabelTypeToggles();
  /** The keyboard focus (moved by the grid commands). */
  readonly focus: GridFocus<ISample>;

  /** Number of tile elements in the DOM (bounded by the viewport). */
  get tileCount(): number {
    return this._grid.tileCount;
  }

  /** Bring a selection made elsewhere into view (the model's requests are followed). */
  revealSelection(request: IRevealRequest): void {
    this._reveal.request(request);
  }

  /** Change the tile size (px). */
  setTileSize(size: number): void {
    const s = Math.max(64, Math.min(512, Math.round(size)));
    if (s === this._grid.tileSize) {
      return;
    }
    this._toolbar.setTileSize(s);
    this._grid.setTileSize(s);
  }

  /** Change the page size of sample queries. */
  setPageSize(size: number): void {
    this._pages.pageSize = size;
    this._resetPages(false);
    this._pages.ensure(0, 0);
    this._grid.scheduleRender();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._pages.dispose();
    this._reveal.dispose();
    this._toolbar.dispose();
    this._grid.dispose();
    super.dispose();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._grid.scheduleRender();
  }

  protected onAfterShow(msg: Message): void {
    this._grid.scheduleRender();
  }

  protected onAfterAttach(msg: Message): void {
    this._grid.scheduleRender();
  }

  protected onActivateRequest(msg: Message): void {
    this._grid.node.focus();
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
    this._resetPages(false);
    this._clicks.reset();
    this._grid.reset();
    nameTab(this.title, 'grid', this.model.dataset);
    this._showStatus(
      this.model.dataset ? '' : 'Open a dataset from the VisionLens panel.'
    );
    this._pages.ensure(0, 0);
    this._datasetTotal = null;
    this._fetchDatasetTotal();
    this._loadKeypointClasses();
  }

  /** The dataset's skeletons, for the tiles (drawn again once known). */
  private _loadKeypointClasses(): void {
    const dataset = this.model.dataset;
    if (!dataset) {
      return;
    }
    void keypointClasses(this.model, dataset).then(classes => {
      if (dataset === this.model.dataset && !this.isDisposed) {
        this._tiles.keypointClasses = classes;
        this._grid.invalidate();
      }
    });
  }

  /**
   * Show the model's query (none without a dataset); with `keepStale` the
   * old rows stay until the new ones arrive.
   */
  private _resetPages(keepStale: boolean): void {
    this._tooltip.hide(); // its tile may now hold another sample
    const { dataset, filter, sort, ranking } = this.model.query;
    this._shown = dataset
      ? new SamplesPageSource(this.model, { dataset, filter, sort, ranking })
      : null;
    this._shown?.setEvalColours(this._tiles.evalColours); // boxes' statuses
    this._pages.reset(this._shown, keepStale);
    const shown = this._shown;
    void (shown?.evaluation() ?? Promise.resolve(null)).then(e => {
      if (shown === this._shown && !this.isDisposed) {
        this.labelTypes.setEvaluationShown(e ? evaluationLabel(e) : null);
      }
    });
  }

  /** Another evaluation picked: with TP/FP/FN on, its statuses are fetched. */
  private _onEvalKeyChanged(): void {
    if (this._tiles.evalColours) {
      this._resetPages(true);
    }
  }

  /** The ranking shown, or null. */
  private get _ranking(): readonly number[] | null {
    return this._shown?.ranking ?? null;
  }

  /**
   * The model's ranking (a search's results, best first) shows instead of
   * the sorted query, or no more.
   */
  private _onRankingChanged(): void {
    const ranking = this.model.query.ranking;
    this._sort.setSearching(ranking !== null);
    this._resetPages(false);
    this._clicks.reset();
    this._pages.ensure(0, 0);
    this._grid.scrollToTop();
  }

  /** Tiles show the scores of the search's results (kept while it re-runs). */
  private _onSearchChanged(_: ISearchModel, state: ISearchState | null): void {
    const current = state && state.dataset === this.model.dataset;
    if (current && !state.result && !state.error) {
      return;
    }
    const hits = current ? (state.result?.results ?? []) : [];
    this._tiles.scores = new Map(hits.map(hit => [hit.sample_id, hit.score]));
    const found = hits.map(hit => [hit.sample_id, sourcesLabel(hit.sources)]);
    this._tiles.sources = new Map(
      found.filter((f): f is [number, string] => f[1] !== null)
    );
    this._grid.invalidate();
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
    if (change.kind === 'samples') {
      this._fetchDatasetTotal(); // samples added (a merge) or deleted: "of M" changes too
    }
    if (changeMovesRows(query, change)) {
      this._resetPages(true);
    } else {
      this._tooltip.hide(); // it may show the old tags or labels
      this._pages.refresh(change.ids);
    }
    this._grid.scheduleRender();
  }

  private _onSelectionChanged(): void {
    this._grid.invalidate();
  }

  /** Tile overlays added or removed: redraw every tile. */
  private _onExtensionsChanged(_: unknown, kind: string): void {
    if (kind === 'tileOverlay') {
      this._onViewChanged();
    }
  }

  private _onViewChanged(): void {
    this._grid.invalidate();
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
      this._ranking !== null
    );
  }

  private _showStatus(text: string): void {
    this._status.textContent = visibleText(text);
    this._status.hidden = !text;
  }

  /** Counts and status first in each frame; false: no rows to draw. */
  private _beforeRender(): boolean {
    this._updateCounts();
    const total = this._pages.total;
    if (!this.model.dataset || total === null || !this.isVisible) {
      return false;
    }
    if (total === 0) {
      this._showStatus(
        this._ranking
          ? 'No sample matching the current filter has a vector to compare.'
          : 'No sample matches the current filter.'
      );
    } else if (this._status.textContent?.startsWith('No sample')) {
      this._showStatus('');
    }
    return true;
  }

  private _commands: CommandRegistry;
  private _toolbar: GridToolbar;
  private _sort: SortControl;
  private _code: CodeSnippet;
  private _pages: PageCache<ISample>;
  private _status: HTMLDivElement;
  private _tooltip: GridTooltip;
  private _clicks: GridClickSelection;
  private _reveal: SelectionReveal;
  private _input: GridInput;
  private _tiles: SampleTileRenderer;
  private _grid: VirtualGrid<ISample, ITileEl>;
  private _shown: SamplesPageSource | null = null;
  private _datasetTotal: number | null = null;
  private _shownCode: string | null = null;
}
