/**
 * The shared VisionLens model: one view query (dataset, filter, sort, row
 * kind, search ranking; filter and sort with undo and redo), one selection,
 * one view state; persisted in the state database so that the query and the
 * selection survive a reload.
 */
import { Event } from '@jupyterlab/services';
import { IStateDB } from '@jupyterlab/statedb';
import { ISignal, Signal } from '@lumino/signaling';

import { JobEnds } from './jobEffects';
import { followDatasetChanges } from './sources/datasets';
import { followLabelEdits } from './sources/edits';
import { JobsModel } from './jobs';
import { ListReads } from './listReads';
import { Persistence } from './persistence';
import { parseSort, QueryState } from './query';
import { ExtensionRegistry } from './registry';
import { SearchModel, searchRanking } from './search';
import { SelectionState } from './selection';
import {
  IDataChange,
  IDatasetInfo,
  IFilter,
  IJob,
  IQueryChange,
  IRevealRequest,
  ISearchState,
  ISort,
  IViewQuery,
  QueryPart,
  RowKind,
  SelectionOrigin,
  IVisionLensExtensions,
  IJobsModel,
  IPersistedState,
  ISearchModel,
  ISelection,
  IVisionLensClient,
  IVisionLensModel
} from './tokens';
import { ViewState } from './viewState';

/** Cap on persisted explicit selections (bigger ones are not persisted). */
export const MAX_PERSISTED_SELECTION = 100000;

/** Options of the model. */
export interface IModelOptions {
  client: IVisionLensClient;
  /** Where the state is kept across reloads (none: not persisted). */
  state?: IStateDB | null;
  /** Delay before writing the state, in ms. */
  saveDelay?: number;
  /** The server's event stream (`app.serviceManager.events.stream`). */
  events?: ISignal<unknown, Event.Emission> | null;
}

/** Implementation of {@link IVisionLensModel}. */
export class VisionLensModel implements IVisionLensModel {
  constructor(options: IModelOptions) {
    this.client = options.client;
    this.jobs = new JobsModel(options.client);
    this._jobEnds = new JobEnds(this, options.events ?? null);
    followLabelEdits(this, options.events ?? null);
    followDatasetChanges(this, options.events ?? null);
    this.search = new SearchModel(this);
    this.search.changed.connect(this._onSearchChanged, this);
    this._persistence = new Persistence(
      options.state ?? null,
      options.saveDelay ?? 200,
      () => this.toJSON()
    );
    this.restored = this._restore();
  }

  readonly client: IVisionLensClient;
  readonly extensions: IVisionLensExtensions = new ExtensionRegistry();
  readonly jobs: IJobsModel;
  readonly search: ISearchModel;
  readonly restored: Promise<void>;

  get query(): IViewQuery {
    return this._query.query;
  }

  get queryChanged(): ISignal<IVisionLensModel, IQueryChange> {
    return this._queryChanged;
  }

  get dataset(): string | null {
    return this._query.query.dataset;
  }

  /** Switch dataset: its query, history and selection start empty. */
  setDataset(name: string | null): void {
    const changed = this._query.setDataset(name);
    if (changed.size === 0) {
      return;
    }
    this._selection.clear();
    this._evalKey = null; // an evaluation of the previous dataset
    this._view.showAllSources();
    this._datasetChanged.emit(name);
    this._filterChanged.emit(this.filter);
    this._queryChanged.emit({ query: this.query, changed });
    this._selectionChanged.emit(this._selection);
    this._viewChanged.emit();
    this._scheduleSave();
  }

  get evalKey(): string | null {
    return this._evalKey;
  }

  setEvalKey(key: string | null): void {
    if (key !== this._evalKey) {
      this._evalKey = key;
      this._evalKeyChanged.emit(key);
    }
  }

  get evalKeyChanged(): ISignal<IVisionLensModel, string | null> {
    return this._evalKeyChanged;
  }

  get datasetChanged(): ISignal<IVisionLensModel, string | null> {
    return this._datasetChanged;
  }

  get datasets(): readonly IDatasetInfo[] {
    return this._datasets;
  }

  get currentInfo(): IDatasetInfo | null {
    return this._datasets.find(d => d.name === this.dataset) ?? null;
  }

  refreshDatasets(job?: string): Promise<IDatasetInfo[]> {
    return this._listReads.read(job);
  }

  get datasetsChanged(): ISignal<IVisionLensModel, readonly IDatasetInfo[]> {
    return this._datasetsChanged;
  }

  get filter(): IFilter {
    return this._query.query.filter;
  }

  setFilter(filter: IFilter): void {
    this._applyQuery(this._query.setFilter(filter));
  }

  setSort(sort: ISort): void {
    this._applyQuery(this._query.setSort(sort));
  }

  setRowKind(rowKind: RowKind): void {
    this._applyQuery(this._query.setRowKind(rowKind));
  }

  undo(): boolean {
    return this._applyQuery(this._query.undo());
  }

  redo(): boolean {
    return this._applyQuery(this._query.redo());
  }

  get canUndo(): boolean {
    return this._query.canUndo;
  }

  get canRedo(): boolean {
    return this._query.canRedo;
  }

  get filterChanged(): ISignal<IVisionLensModel, IFilter> {
    return this._filterChanged;
  }

  get selection(): ISelection {
    return this._selection;
  }

  setSelection(ids: Iterable<number>, origin: SelectionOrigin = 'other'): void {
    this._selectionUpdate(this._selection.set(ids), origin);
  }

  toggleSelected(id: number, origin: SelectionOrigin = 'other'): void {
    this._selectionUpdate(this._selection.toggle(id), origin);
  }

  addToSelection(
    ids: Iterable<number>,
    origin: SelectionOrigin = 'other'
  ): void {
    this._selectionUpdate(this._selection.add(ids), origin);
  }

  selectAllMatching(): void {
    this._selectionUpdate(this._selection.selectAll());
  }

  clearSelection(): void {
    this._selectionUpdate(this._selection.clear());
  }

  isSelected(id: number): boolean {
    return this._selection.has(id);
  }

  selectionFilter(): IFilter {
    return this._selection.toFilter(this.filter);
  }

  get selectionChanged(): ISignal<IVisionLensModel, ISelection> {
    return this._selectionChanged;
  }

  get selectionRevealRequested(): ISignal<IVisionLensModel, IRevealRequest> {
    return this._revealRequested;
  }

  isSourceVisible(source: string): boolean {
    return this._view.isSourceVisible(source);
  }

  setSourceVisible(source: string, visible: boolean): void {
    this._viewUpdate(this._view.setSourceVisible(source, visible));
  }

  get visibleFields(): readonly string[] {
    return this._view.visibleFields;
  }

  setFieldVisible(name: string, visible: boolean): void {
    this._viewUpdate(this._view.setFieldVisible(name, visible));
  }

  get confidenceThreshold(): number {
    return this._view.confidenceThreshold;
  }

  setConfidenceThreshold(value: number): void {
    this._viewUpdate(this._view.setConfidenceThreshold(value));
  }

  classColor(label: string): string {
    return this._view.classColor(label);
  }

  setColorOverrides(overrides: { [label: string]: string }): void {
    this._view.setColorOverrides(overrides);
    this._viewChanged.emit();
  }

  /** The JupyterLab theme changed: views redraw in its colours. */
  themeChanged(): void {
    this._viewChanged.emit();
  }

  /** Set the threshold used until the user (or restored state) picks one. */
  setDefaultConfidenceThreshold(value: number): void {
    if (!this._view.thresholdRestored) {
      this.setConfidenceThreshold(value);
    }
  }

  get viewChanged(): ISignal<IVisionLensModel, void> {
    return this._viewChanged;
  }

  /** Whether a box is drawn under the current view state. */
  isBoxVisible(source: string, score: number | null): boolean {
    return this._view.isBoxVisible(source, score);
  }

  async tagSelection(add: string[], remove: string[]): Promise<number> {
    if (!this.dataset || this._selection.isEmpty) {
      return 0;
    }
    const ids =
      this._selection.mode === 'ids' ? [...this._selection.ids] : null;
    return this._tag(this.selectionFilter(), ids, add, remove);
  }

  async tagSamples(
    ids: number[],
    add: string[],
    remove: string[]
  ): Promise<number> {
    if (!this.dataset || ids.length === 0) {
      return 0;
    }
    return this._tag({ ids }, ids, add, remove);
  }

  get dataChanged(): ISignal<IVisionLensModel, IDataChange> {
    return this._dataChanged;
  }

  notifyDataChanged(change: IDataChange): void {
    this._dataChanged.emit(change);
  }

  jobEnded(job: IJob): void {
    this._jobEnds.jobEnded(job);
  }

  /** The state that is persisted (also useful to tests and the bridge). */
  toJSON(): IPersistedState {
    const ids =
      this._selection.mode === 'ids' &&
      this._selection.ids.size <= MAX_PERSISTED_SELECTION
        ? [...this._selection.ids]
        : [];
    return {
      dataset: this.dataset,
      filter: this.filter,
      sort: this.query.sort,
      selection: { mode: this._selection.mode, ids },
      ...this._view.toJSON()
    };
  }

  /** Apply a persisted state (unknown or malformed parts are ignored). */
  fromJSON(state: Partial<IPersistedState> | null | undefined): void {
    if (!state || typeof state !== 'object') {
      return;
    }
    this._query.restore(
      typeof state.dataset === 'string' ? state.dataset : null,
      state.filter && typeof state.filter === 'object' ? state.filter : {},
      parseSort(state.sort)
    );
    const sel = state.selection;
    if (sel?.mode === 'all') {
      this._selection.selectAll();
    } else if (Array.isArray(sel?.ids)) {
      this._selection.set(
        sel.ids.filter((x): x is number => Number.isInteger(x))
      );
    }
    this._view.fromJSON(state);
    this._datasetChanged.emit(this.dataset);
    this._filterChanged.emit(this.filter);
    this._queryChanged.emit({
      query: this.query,
      changed: new Set<QueryPart>(['dataset', 'filter', 'sort', 'ranking'])
    });
    this._selectionChanged.emit(this._selection);
    this._viewChanged.emit();
  }

  /** Write the state now (normally debounced). */
  save(): Promise<void> {
    return this._persistence.save();
  }

  private async _restore(): Promise<void> {
    const state = await this._persistence.fetch();
    if (state) {
      this.fromJSON(state);
    }
  }

  private async _tag(
    filter: IFilter,
    ids: readonly number[] | null,
    add: string[],
    remove: string[]
  ): Promise<number> {
    const clean = (xs: string[]) =>
      xs.map(t => t.trim()).filter(t => t.length > 0);
    const dataset = this.dataset as string;
    const result = await this.client.tags(
      dataset,
      filter,
      clean(add),
      clean(remove)
    );
    this._dataChanged.emit({ dataset, kind: 'tags', ids });
    return result.updated;
  }

  /** Emit a query change (nothing when `changed` is empty); true if any. */
  private _applyQuery(changed: ReadonlySet<QueryPart>): boolean {
    if (changed.size === 0) {
      return false;
    }
    if (changed.has('filter')) {
      this._filterChanged.emit(this.filter);
      if (this._selection.mode === 'all') {
        // "All matching" follows the filter: its members changed with it.
        this._selectionChanged.emit(this._selection);
      }
    }
    this._queryChanged.emit({ query: this.query, changed });
    this._scheduleSave();
    return true;
  }

  private _onSearchChanged(_: ISearchModel, state: ISearchState | null): void {
    const ranking = searchRanking(state, this.dataset);
    if (ranking !== undefined) {
      this._applyQuery(this._query.setRanking(ranking));
    }
  }

  private _viewUpdate(changed: boolean): void {
    if (changed) {
      this._viewChanged.emit();
      this._scheduleSave();
    }
  }

  /**
   * Tell a selection change; explicit ids selected from elsewhere than the
   * grid (`origin`) are also to be brought into view. "All matching" and an
   * empty selection have nothing to bring.
   */
  private _selectionUpdate(changed: boolean, origin?: SelectionOrigin): void {
    if (!changed) {
      return;
    }
    this._selectionChanged.emit(this._selection);
    this._scheduleSave();
    const { mode, ids } = this._selection;
    if (origin && origin !== 'grid' && mode === 'ids' && ids.size > 0) {
      this._revealRequested.emit({ origin, ids: [...ids] });
    }
  }

  private _scheduleSave(): void {
    this._persistence.schedule();
  }

  private _persistence: Persistence;
  private _query = new QueryState();
  private _datasets: IDatasetInfo[] = [];
  private _listReads = new ListReads(async () => {
    const list = await this.client.listDatasets();
    this._datasets = list;
    this._datasetsChanged.emit(list);
    return list;
  });
  private _selection = new SelectionState();
  private _view = new ViewState();
  private _datasetChanged = new Signal<IVisionLensModel, string | null>(this);
  private _evalKey: string | null = null;
  private _evalKeyChanged = new Signal<IVisionLensModel, string | null>(this);
  private _datasetsChanged = new Signal<
    IVisionLensModel,
    readonly IDatasetInfo[]
  >(this);
  private _filterChanged = new Signal<IVisionLensModel, IFilter>(this);
  private _selectionChanged = new Signal<IVisionLensModel, ISelection>(this);
  private _revealRequested = new Signal<IVisionLensModel, IRevealRequest>(this);
  private _viewChanged = new Signal<IVisionLensModel, void>(this);
  private _queryChanged = new Signal<IVisionLensModel, IQueryChange>(this);
  private _dataChanged = new Signal<IVisionLensModel, IDataChange>(this);
  private _jobEnds: JobEnds;
}
