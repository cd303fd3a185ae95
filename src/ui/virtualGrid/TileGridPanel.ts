/**
 * A main-area panel whose grid shows the current view of the dataset as tiles
 * of another kind than samples: one per video (the videos view), one per
 * track (the tracks view). The tiles are the generic `VirtualGrid`'s over a
 * `PageCache` of the view's page source: only the pages in view are fetched.
 * The filter, the dataset, a browsed version and label edits start a new
 * query; a click, Enter or Space on a tile opens it (each view says how). Its
 * bar holds the view's buttons and the exact count.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { fmtInt, h } from '../../base/dom';
import { PageCache } from '../../model/pages';
import { IPageSource } from '../../model/pageSource';
import { IDataChange, IVisionLensModel } from '../../model/tokens';
import { nameTab, PanelId, PANELS } from '../panelNames';
import { ITileRenderer, VirtualGrid } from './VirtualGrid';

/** What a tile panel shows and how. */
export interface ITileGridPanelOptions<T, E extends HTMLDivElement> {
  /** The panel (its DOM id `visionlens-<panel>`, its classes `jp-VisionLens-<panel>…`). */
  panel: PanelId;
  renderer: ITileRenderer<T, E>;
  /** The tile size asked for (px). */
  tileSize: number;
  /** Rows per page (a page is one request). */
  pageSize: number;
  /** What one tile is, and many: `['video', 'videos']`. */
  noun: readonly [string, string];
  /** The status line when the view has none. */
  empty: string;
  /** The bar's buttons, before the count. */
  buttons: readonly HTMLElement[];
}

/** A panel of tiles of the current view (a view subclasses it with its source and its opening). */
export abstract class TileGridPanel<
  T,
  E extends HTMLDivElement
> extends Widget {
  constructor(
    readonly model: IVisionLensModel,
    private readonly _o: ITileGridPanelOptions<T, E>
  ) {
    super();
    this.id = `visionlens-${_o.panel}`;
    this.addClass(`jp-VisionLens-${_o.panel}`);
    nameTab(this.title, _o.panel);
    this.title.closable = true;
    this._count.className = `jp-VisionLens-${_o.panel}Count`;
    this.pages = new PageCache<T>({
      pageSize: _o.pageSize,
      onUpdate: () => this._onPage(),
      onError: error =>
        this._say(`Could not load ${_o.noun[1]}: ${error.message}`)
    });
    this.grid = new VirtualGrid<T, E>({
      pages: this.pages,
      renderer: _o.renderer,
      tileSize: _o.tileSize,
      label: PANELS[_o.panel].name,
      onOpen: (_, index) => this.open(index),
      onToggle: (_, index) => this.open(index),
      beforeRender: () => this.isVisible && this.model.dataset !== null,
      // these tiles are no selection of samples: the keys do nothing here
      selectionKeys: { selectAll: null, tag: () => undefined }
    });
    this.grid.node.addEventListener('click', event => {
      const hit = this.grid.rowAt(event.target);
      if (hit) {
        this.grid.focus.set(hit.index);
        this.open(hit.index);
      }
    });
    this.node.append(
      h(
        'div',
        {
          className: `jp-VisionLens-patchesBar jp-VisionLens-${_o.panel}Bar`
        },
        ..._o.buttons,
        this._count
      ),
      this._status,
      this.grid.node
    );
    model.filterChanged.connect(this._restartFresh, this);
    model.datasetChanged.connect(this._restartFresh, this);
    model.dataChanged.connect(this._onDataChanged, this);
  }

  /** The tiles' grid (its `focus` is what the grid's keys move). */
  readonly grid: VirtualGrid<T, E>;

  /** Show the current view's tiles from the first one (when opened). */
  load(): void {
    this._restart(false);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.pages.reset(null, false);
    this.grid.dispose();
    super.dispose();
  }

  /** The rows of the current view's query of `dataset`. */
  protected abstract source(dataset: string): IPageSource<T>;

  /** Open the tile at `index` (a click, Enter or Space on it). */
  protected abstract open(index: number): void;

  /** The loaded rows. */
  protected readonly pages: PageCache<T>;

  protected onResize(msg: Widget.ResizeMessage): void {
    this.grid.scheduleRender();
  }

  protected onAfterShow(msg: Message): void {
    this.grid.scheduleRender();
  }

  protected onAfterAttach(msg: Message): void {
    this.grid.scheduleRender();
  }

  protected onActivateRequest(msg: Message): void {
    this.grid.node.focus();
  }

  private _restartFresh(): void {
    this._restart(false);
  }

  /** A new query of the current view; with `keepStale` the old tiles show until replaced. */
  private _restart(keepStale: boolean): void {
    const dataset = this.model.dataset;
    nameTab(this.title, this._o.panel, dataset);
    this.pages.reset(dataset ? this.source(dataset) : null, keepStale);
    if (!keepStale) {
      this.grid.reset();
    }
    const plural = this._o.noun[1];
    this._say(
      dataset ? `Loading ${plural}…` : `Open a dataset to see its ${plural}.`
    );
    this.pages.ensure(0, 0);
    this.grid.scheduleRender();
  }

  /** Labels changed (an edit, new predictions, a version browsed): tracks and label filters may differ. */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    if (
      change.dataset === this.model.dataset &&
      ['labels', 'predictions', 'samples', 'tags', 'fields'].includes(
        change.kind
      )
    ) {
      this._restart(true);
    }
  }

  private _onPage(): void {
    const total = this.pages.total;
    const [one, many] = this._o.noun;
    this._count.textContent =
      total === null ? '' : `${fmtInt(total)} ${total === 1 ? one : many}`;
    this._say(total === 0 ? this._o.empty : '');
    this.grid.scheduleRender();
  }

  private _say(text: string): void {
    this._status.textContent = text;
    this._status.hidden = text === '';
  }

  private readonly _count = h('span');
  private readonly _status = h('div', {
    className: 'jp-VisionLens-gridStatus'
  });
}
