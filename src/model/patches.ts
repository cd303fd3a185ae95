/**
 * The patches view's state: which objects (a source's boxes or an
 * evaluation's patches), their order, their pages (a `PageCache` over a
 * `PatchesPageSource`, read for the view's virtual grid), and the patch
 * selection. Pages come from the one REST client behind the model token,
 * under the shared model's filter; a patch selection becomes the shared
 * selection of its samples (so the grid and the notebook see it), and
 * `onlySelectedSamples` goes back: the objects of the selected samples.
 * While a saved version is browsed (`versionBrowse`), the pages, the crops
 * and a selection's samples are of that version's objects. Of kind
 * `regions` the tiles are a semantic run's regions (`regionPatches`): their
 * crops and samples are read by the regions' own keys.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IFilter } from '../api/types';
import { IPatch, IPatchQuery, PatchKind, PatchStatus } from '../api/patchTypes';
import { PageCache } from './pages';
import { PatchesPageSource } from './sources/patches';
import { tileSamples } from './regionPatches';
import {
  GROUND_TRUTH,
  IDataChange,
  ISelection,
  IVisionLensModel
} from './tokens';
import { versionBrowse } from './versionBrowse';

/** Objects per page of the patches view's requests. */
export const PATCH_PAGE_SIZE = 60;

/** What the patches view shows, besides the filter. */
export interface IPatchesChoice {
  kind: PatchKind;
  /** kind `objects`: the boxes' source; kind `evaluation` or `regions`: the model. */
  source: string;
  statuses?: PatchStatus[];
  sort: string;
  order: 'asc' | 'desc';
  /** The label-quality run whose issue and score the objects carry (default: the server's). */
  lqModel?: string;
  /**
   * kind `objects`: the evaluation (its key) whose TP / FP / FN status each
   * object carries, its colour (absent: none). Part of the query: choosing
   * one reads the pages again. Not sent while a saved version is browsed
   * (evaluations judged the current labels).
   */
  evaluation?: string;
}

/** The patches view's state over the shared model. */
export class PatchesModel implements IDisposable {
  constructor(model: IVisionLensModel, pageSize = PATCH_PAGE_SIZE) {
    this.model = model;
    this.pages = new PageCache<IPatch>({
      pageSize,
      onUpdate: () => this._onPage(),
      onError: error => this._onError(error)
    });
    model.filterChanged.connect(this._onViewChanged, this);
    model.datasetChanged.connect(this._onDatasetChanged, this);
    model.dataChanged.connect(this._onDataChanged, this);
    model.selectionChanged.connect(this._onSharedSelection, this);
  }

  readonly model: IVisionLensModel;

  /**
   * The objects of the current query, a page at a time (`PatchesPageSource`):
   * the view's virtual grid reads and fetches the pages in view.
   */
  readonly pages: PageCache<IPatch>;

  /** Emitted when a page arrived, the choice, the selection or the error changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when a new query starts from its first object (the view goes to the top). */
  get started(): ISignal<this, void> {
    return this._started;
  }

  get choice(): IPatchesChoice {
    return this._choice;
  }

  /** The server's exact number of objects of the query, or null before it answered. */
  get total(): number | null {
    return this.pages.total;
  }

  /** The last request's error message, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether only the objects of the shared selection's samples are shown. */
  get onlySelectedSamples(): boolean {
    return this._onlySelected;
  }

  /** The selected objects (annotation ids). */
  get selected(): ReadonlySet<number> {
    return new Set(this._selected.keys());
  }

  /** The selected objects, as their pages showed them. */
  get selectedPatches(): IPatch[] {
    return [...this._selected.values()];
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.pages.dispose();
    this._flushWaiting();
    Signal.clearData(this);
  }

  /** The request body of the current choice, of the browsed version (without offset and limit). */
  query(): Omit<IPatchQuery, 'offset' | 'limit'> {
    const c = this._choice;
    const browsed = versionBrowse(this.model).params(this.model.dataset);
    const query: Omit<IPatchQuery, 'offset' | 'limit'> = {
      kind: c.kind,
      sort: c.sort || undefined,
      order: c.order,
      ...browsed
    };
    if (c.kind === 'regions') {
      query.model = c.source; // the current labels only: no version, no lq_model
      delete query.version;
      return query;
    }
    if (c.kind === 'evaluation') {
      query.model = c.source;
      query.statuses = c.statuses;
    } else {
      query.source = c.source;
      if (c.evaluation && browsed.version === undefined) {
        query.evaluation = c.evaluation;
      }
    }
    if (c.lqModel) {
      query.lq_model = c.lqModel;
    }
    return query;
  }

  /** The filter the pages are read under. */
  filter(): IFilter {
    return this._onlySelected
      ? this.model.selectionFilter()
      : this.model.filter;
  }

  /** Show other objects or another order (from the first object). */
  setChoice(choice: Partial<IPatchesChoice>): Promise<void> {
    const next = { ...this._choice, ...choice };
    if (choice.kind && choice.kind !== this._choice.kind && !choice.sort) {
      next.sort = choice.kind === 'evaluation' ? 'iou' : 'score';
    }
    if (next.kind === 'regions') {
      next.sort = 'score'; // the regions' one order (worst first: asc)
    }
    if (choice.source !== undefined && choice.lqModel === undefined) {
      delete next.lqModel; // another source: its own model's run (the server's default)
    }
    this._choice = next;
    this._selected = new Map();
    return this.start();
  }

  /** Show only the objects of the shared selection's samples, or all again. */
  setOnlySelectedSamples(only: boolean): Promise<void> {
    this._onlySelected = only;
    return this.start();
  }

  /**
   * Start the current query from its first object (requests of the last one
   * are aborted, their late answers dropped); resolves once its first page
   * answered.
   */
  start(): Promise<void> {
    this._recheck = null;
    this._restart(false);
    this._started.emit();
    this._changed.emit();
    if (!this.pages.source) {
      return Promise.resolve();
    }
    const answered = new Promise<void>(resolve => this._waiting.push(resolve));
    this.pages.ensure(0, 0);
    return answered;
  }

  /** The URL of the crop of `patch` of `dataset` (with its pair's), `size` px (where it was at the browsed version). */
  cropUrl(dataset: string, patch: IPatch, size: number): string {
    if (patch.region) {
      const { model, region } = patch.region;
      return this.model.client.regionCropUrl(
        dataset,
        patch.sample_id,
        region,
        model,
        size,
        0.25
      );
    }
    const pair = patch.crop_with;
    const { version } = versionBrowse(this.model).params(dataset);
    return this.model.client.cropUrl(
      dataset,
      patch.ann_id,
      size,
      0.25,
      pair,
      version
    );
  }

  isSelected(annId: number): boolean {
    return this._selected.has(annId);
  }

  /**
   * Select or unselect one patch; the shared selection becomes the samples of
   * the selected patches (the grid, the map and the notebook see them).
   */
  async toggle(patch: IPatch): Promise<void> {
    const next = new Map(this._selected);
    if (!next.delete(patch.ann_id)) {
      next.set(patch.ann_id, patch);
    }
    this._selected = next;
    this._changed.emit();
    await this._share();
  }

  /** Unselect every patch (and the shared selection with them). */
  async clear(): Promise<void> {
    this._selected = new Map();
    this._changed.emit();
    await this._share();
  }

  private async _share(): Promise<void> {
    const dataset = this.model.dataset;
    if (!dataset) {
      return;
    }
    const wanted = this._selected;
    const { version } = versionBrowse(this.model).params(dataset);
    const tiles = [...wanted.values()];
    const ids = !wanted.size
      ? []
      : tiles.every(p => p.region) // regions know their samples (no object ids)
        ? tileSamples(tiles)
        : await this.model.client.patchSamples(
            dataset,
            [...wanted.keys()],
            undefined,
            version
          );
    if (wanted === this._selected && !this._disposed) {
      this.model.setSelection(ids, 'patches'); // a later click's answer wins
    }
  }

  /** A new source for the current query; with `keepStale` the old rows show until replaced. */
  private _restart(keepStale: boolean): void {
    const dataset = this.model.dataset;
    const source = dataset
      ? new PatchesPageSource(this.model, {
          dataset,
          filter: this.filter(),
          query: this.query()
        })
      : null;
    this.pages.reset(source, keepStale);
  }

  private _onPage(): void {
    this._error = null;
    if (this._recheck && this.pages.pending === 0) {
      this._dropGone(this._recheck);
      this._recheck = null;
    }
    this._flushWaiting();
    this._changed.emit();
  }

  private _onError(error: Error): void {
    this._error = error.message;
    this._flushWaiting();
    this._changed.emit();
  }

  private _flushWaiting(): void {
    const waiting = this._waiting;
    this._waiting = [];
    waiting.forEach(resolve => resolve());
  }

  /**
   * After an edit, once the pages in view are read again: the selected
   * objects they showed before (`before`) and no longer show are unselected.
   */
  private _dropGone(before: readonly number[]): void {
    const shown = new Set(this.pages.loadedRows().map(p => p.ann_id));
    const gone = before.filter(id => this._selected.has(id) && !shown.has(id));
    if (gone.length) {
      const next = new Map(this._selected);
      gone.forEach(id => next.delete(id));
      this._selected = next;
      void this._share();
    }
  }

  private _onViewChanged(): void {
    this._selected = new Map();
    void this.start();
  }

  /**
   * Labels changed (an edit here or elsewhere, a version browsed): the
   * objects are read again where the view is, the old ones shown until then
   * (`_dropGone` follows).
   */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    // a semantic run stores its regions with its sample fields
    const kinds = ['labels', 'predictions', 'evaluation'];
    if (this._choice.kind === 'regions') {
      kinds.push('fields');
    }
    if (change.dataset !== this.model.dataset || !kinds.includes(change.kind)) {
      return;
    }
    // An edit may be announced twice (by its caller and by the server's event):
    // the second finds the pages already dropped, so it adds to the recheck.
    const loaded = new Set(this.pages.loadedRows().map(p => p.ann_id));
    const shown = [...this._selected.keys()].filter(id => loaded.has(id));
    this._recheck = [...new Set([...(this._recheck ?? []), ...shown])];
    this._restart(true);
    this._changed.emit();
  }

  /** The shared selection emptied elsewhere (Escape, Clear): no patch stays selected. */
  private _onSharedSelection(_: IVisionLensModel, selection: ISelection): void {
    if (
      selection.mode === 'ids' &&
      selection.ids.size === 0 &&
      this._selected.size
    ) {
      this._selected = new Map();
      this._changed.emit();
    }
  }

  private _onDatasetChanged(): void {
    this._choice = { ...DEFAULT_CHOICE };
    this._onlySelected = false;
    this._onViewChanged();
  }

  private _choice: IPatchesChoice = { ...DEFAULT_CHOICE };
  private _error: string | null = null;
  private _selected: Map<number, IPatch> = new Map();
  private _onlySelected = false;
  /** After an edit: the selected objects the pages showed, to check once read again. */
  private _recheck: number[] | null = null;
  private _waiting: (() => void)[] = [];
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
  private _started = new Signal<this, void>(this);
}

const DEFAULT_CHOICE: IPatchesChoice = {
  kind: 'objects',
  source: GROUND_TRUTH,
  sort: '',
  order: 'asc'
};
