/**
 * The shared VisionLens model: one dataset, one filter (with undo), one
 * selection, one view state; persisted in the state database so that filters
 * and selection survive a reload.
 */
import { IStateDB } from '@jupyterlab/statedb';
import { ReadonlyJSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { cloneFilter, normalizeFilter, sameFilter } from './filters';
import { JobsModel } from './jobs';
import { ExtensionRegistry } from './registry';
import { SearchModel } from './search';
import { SelectionState } from './selection';
import {
  IDatasetInfo,
  IFilter,
  IVisionLensExtensions,
  IJobsModel,
  IPersistedState,
  ISearchModel,
  ISelection,
  IVisionLensClient,
  IVisionLensModel
} from './tokens';
import { ViewState } from './viewState';

/** State database key of the persisted model state. */
export const STATE_KEY = 'visionlens_jlab:model';

/** How many filter changes can be undone. */
export const UNDO_DEPTH = 50;

/** Cap on persisted explicit selections (bigger ones are not persisted). */
export const MAX_PERSISTED_SELECTION = 100000;

/** Options of the model. */
export interface IModelOptions {
  client: IVisionLensClient;
  /** Where the state is kept across reloads (none: not persisted). */
  state?: IStateDB | null;
  /** Delay before writing the state, in ms. */
  saveDelay?: number;
}

/** Implementation of {@link IVisionLensModel}. */
export class VisionLensModel implements IVisionLensModel {
  constructor(options: IModelOptions) {
    this.client = options.client;
    this.jobs = new JobsModel(options.client);
    this.search = new SearchModel(this);
    this._state = options.state ?? null;
    this._saveDelay = options.saveDelay ?? 200;
    this.restored = this._restore();
  }

  readonly client: IVisionLensClient;
  readonly extensions: IVisionLensExtensions = new ExtensionRegistry();
  readonly jobs: IJobsModel;
  readonly search: ISearchModel;
  readonly restored: Promise<void>;

  get dataset(): string | null {
    return this._dataset;
  }

  /** Switch dataset: its filter, undo history and selection start empty. */
  setDataset(name: string | null): void {
    if (name === this._dataset) {
      return;
    }
    this._dataset = name;
    this._filter = {};
    this._history = [];
    this._selection.clear();
    this._view.showAllSources();
    this._datasetChanged.emit(name);
    this._filterChanged.emit(this._filter);
    this._selectionChanged.emit(this._selection);
    this._viewChanged.emit();
    this._scheduleSave();
  }

  get datasetChanged(): ISignal<IVisionLensModel, string | null> {
    return this._datasetChanged;
  }

  get datasets(): readonly IDatasetInfo[] {
    return this._datasets;
  }

  get currentInfo(): IDatasetInfo | null {
    return this._datasets.find(d => d.name === this._dataset) ?? null;
  }

  async refreshDatasets(): Promise<IDatasetInfo[]> {
    const list = await this.client.listDatasets();
    this._datasets = list;
    this._datasetsChanged.emit(list);
    return list;
  }

  get datasetsChanged(): ISignal<IVisionLensModel, readonly IDatasetInfo[]> {
    return this._datasetsChanged;
  }

  get filter(): IFilter {
    return this._filter;
  }

  setFilter(filter: IFilter): void {
    const next = normalizeFilter(cloneFilter(filter));
    if (sameFilter(next, this._filter)) {
      return;
    }
    this._history.push(this._filter);
    if (this._history.length > UNDO_DEPTH) {
      this._history.shift();
    }
    this._applyFilter(next);
  }

  undoFilter(): boolean {
    const previous = this._history.pop();
    if (previous === undefined) {
      return false;
    }
    this._applyFilter(previous);
    return true;
  }

  get canUndo(): boolean {
    return this._history.length > 0;
  }

  get filterChanged(): ISignal<IVisionLensModel, IFilter> {
    return this._filterChanged;
  }

  get selection(): ISelection {
    return this._selection;
  }

  setSelection(ids: Iterable<number>): void {
    this._selectionUpdate(this._selection.set(ids));
  }

  toggleSelected(id: number): void {
    this._selectionUpdate(this._selection.toggle(id));
  }

  addToSelection(ids: Iterable<number>): void {
    this._selectionUpdate(this._selection.add(ids));
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
    return this._selection.toFilter(this._filter);
  }

  get selectionChanged(): ISignal<IVisionLensModel, ISelection> {
    return this._selectionChanged;
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
    if (!this._dataset || this._selection.isEmpty) {
      return 0;
    }
    return this._tag(this.selectionFilter(), add, remove);
  }

  async tagSamples(
    ids: number[],
    add: string[],
    remove: string[]
  ): Promise<number> {
    if (!this._dataset || ids.length === 0) {
      return 0;
    }
    return this._tag({ ids }, add, remove);
  }

  get dataChanged(): ISignal<IVisionLensModel, void> {
    return this._dataChanged;
  }

  notifyDataChanged(): void {
    this._dataChanged.emit();
  }

  /** The state that is persisted (also useful to tests and the bridge). */
  toJSON(): IPersistedState {
    const ids =
      this._selection.mode === 'ids' &&
      this._selection.ids.size <= MAX_PERSISTED_SELECTION
        ? [...this._selection.ids]
        : [];
    return {
      dataset: this._dataset,
      filter: this._filter,
      selection: { mode: this._selection.mode, ids },
      ...this._view.toJSON()
    };
  }

  /** Apply a persisted state (unknown or malformed parts are ignored). */
  fromJSON(state: Partial<IPersistedState> | null | undefined): void {
    if (!state || typeof state !== 'object') {
      return;
    }
    this._dataset = typeof state.dataset === 'string' ? state.dataset : null;
    this._filter =
      state.filter && typeof state.filter === 'object'
        ? normalizeFilter(state.filter)
        : {};
    this._history = [];
    const sel = state.selection;
    if (sel?.mode === 'all') {
      this._selection.selectAll();
    } else if (Array.isArray(sel?.ids)) {
      this._selection.set(
        sel.ids.filter((x): x is number => Number.isInteger(x))
      );
    }
    this._view.fromJSON(state);
    this._datasetChanged.emit(this._dataset);
    this._filterChanged.emit(this._filter);
    this._selectionChanged.emit(this._selection);
    this._viewChanged.emit();
  }

  /** Write the state now (normally debounced). */
  async save(): Promise<void> {
    if (this._saveTimer !== null) {
      clearTimeout(this._saveTimer);
      this._saveTimer = null;
    }
    if (this._state) {
      await this._state.save(
        STATE_KEY,
        this.toJSON() as unknown as ReadonlyJSONObject
      );
    }
  }

  private async _restore(): Promise<void> {
    if (!this._state) {
      return;
    }
    try {
      const value = await this._state.fetch(STATE_KEY);
      this.fromJSON(value as unknown as IPersistedState);
    } catch (error) {
      console.warn('VisionLens: could not restore the saved state', error);
    }
  }

  private async _tag(
    filter: IFilter,
    add: string[],
    remove: string[]
  ): Promise<number> {
    const clean = (xs: string[]) =>
      xs.map(t => t.trim()).filter(t => t.length > 0);
    const result = await this.client.tags(
      this._dataset as string,
      filter,
      clean(add),
      clean(remove)
    );
    this._dataChanged.emit();
    return result.updated;
  }

  private _applyFilter(filter: IFilter): void {
    this._filter = filter;
    this._filterChanged.emit(filter);
    if (this._selection.mode === 'all') {
      // "All matching" follows the filter: its members changed with it.
      this._selectionChanged.emit(this._selection);
    }
    this._scheduleSave();
  }

  private _viewUpdate(changed: boolean): void {
    if (changed) {
      this._viewChanged.emit();
      this._scheduleSave();
    }
  }

  private _selectionUpdate(changed: boolean): void {
    if (changed) {
      this._selectionChanged.emit(this._selection);
      this._scheduleSave();
    }
  }

  private _scheduleSave(): void {
    if (!this._state) {
      return;
    }
    if (this._saveTimer !== null) {
      clearTimeout(this._saveTimer);
    }
    this._saveTimer = setTimeout(() => {
      this._saveTimer = null;
      void this.save().catch(error =>
        console.warn('VisionLens: could not save the state', error)
      );
    }, this._saveDelay);
  }

  private _state: IStateDB | null;
  private _saveDelay: number;
  private _saveTimer: ReturnType<typeof setTimeout> | null = null;
  private _dataset: string | null = null;
  private _datasets: IDatasetInfo[] = [];
  private _filter: IFilter = {};
  private _history: IFilter[] = [];
  private _selection = new SelectionState();
  private _view = new ViewState();
  private _datasetChanged = new Signal<IVisionLensModel, string | null>(this);
  private _datasetsChanged = new Signal<
    IVisionLensModel,
    readonly IDatasetInfo[]
  >(this);
  private _filterChanged = new Signal<IVisionLensModel, IFilter>(this);
  private _selectionChanged = new Signal<IVisionLensModel, ISelection>(this);
  private _viewChanged = new Signal<IVisionLensModel, void>(this);
  private _dataChanged = new Signal<IVisionLensModel, void>(this);
}
