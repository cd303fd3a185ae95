/**
 * The embedding map panel: points of a map (PCA at once, UMAP / t-SNE as
 * jobs), coloured by a field, filtered and selected through the shared model.
 * Lasso and rectangle go to the server's select route; the ids that come
 * back become the model's selection, so the grid shows exactly them.
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { button, fmtInt, h } from '../dom';
import { CommandIDs, IFilter, IJob, IVisionLensModel } from '../tokens';
import { colorPoints, IColoring } from './colorScale';
import { SchemePicker } from './schemes';
import {
  buildFlags,
  FLAG_IN_FILTER,
  PointSelection,
  selectedPoints
} from './flags';
import { MapCanvas } from './MapCanvas';
import {
  codeBox,
  MapTool,
  renderLegend,
  select,
  setOptions,
  toolButtons
} from './MapControls';
import { MapPointer } from './MapPointer';
import { IMapSettings, MAP_DEFAULTS } from './settings';
import { pythonCode } from './reproduce';
import { SpatialIndex } from './spatialIndex';
import { IMapDescriptor, MapMethod, MapShape } from './types';
import {
  BASE_FIELDS,
  colorFieldOptions,
  fetchPoints,
  fetchValues,
  filteredPoints,
  resolveMap
} from './mapSource';
import { decodeIds, IMapPoints, PointValues } from './wire';

const METHODS: [MapMethod, string][] = [
  ['pca', 'PCA'],
  ['umap', 'UMAP'],
  ['tsne', 't-SNE']
];

/** Options of the map panel. */
export interface IMapWidgetOptions {
  model: IVisionLensModel;
  commands: CommandRegistry;
  settings?: Partial<IMapSettings>;
}

export class MapWidget extends Widget {
  constructor(options: IMapWidgetOptions) {
    super();
    this._model = options.model;
    this._commands = options.commands;
    this._settings = { ...MAP_DEFAULTS, ...options.settings };
    this.addClass('jp-VisionLens-map');
    this.title.label = 'VisionLens Map';
    this.title.closable = true;
    this.node.tabIndex = -1;

    this._method = select('jp-VisionLens-mapMethod', 'Map method', METHODS);
    this._method.value = this._settings.defaultMethod;
    this._method.addEventListener('change', () => void this.load());
    this._color = select('jp-VisionLens-mapColor', 'Colour by', BASE_FIELDS);
    this._color.addEventListener('change', () => void this._loadColors());
    this._scheme = new SchemePicker(this._model, () => void this._loadColors());
    this._filterMode = select(
      'jp-VisionLens-mapFilterMode',
      'Points outside the filter',
      [
        ['hide', 'Hide filtered out'],
        ['dim', 'Dim filtered out']
      ]
    );
    this._filterMode.value = this._settings.filterMode;
    this._filterMode.addEventListener('change', () => this._redraw());
    this._density = h('input', {
      className: 'jp-VisionLens-mapDensity',
      attrs: { type: 'checkbox', 'aria-label': 'Density view' }
    });
    this._density.addEventListener('change', () => this._redraw());
    this._tools = toolButtons(tool => this._setTool(tool));
    this._cancel = button('Cancel', 'jp-VisionLens-mapCancel', () =>
      this._cancelJob()
    );
    this._cancel.hidden = true;
    const toolbar = h(
      'div',
      { className: 'jp-VisionLens-mapToolbar' },
      this._method,
      this._color,
      this._scheme.node,
      this._tools.node,
      button('Fit all', 'jp-VisionLens-mapFitAll', () => this.fitAll()),
      button('Fit selection', 'jp-VisionLens-mapFitSelection', () =>
        this.fitSelection()
      ),
      this._filterMode,
      h(
        'label',
        { className: 'jp-VisionLens-mapDensityLabel' },
        this._density,
        'Density'
      ),
      this._count,
      this._selected,
      this._status,
      this._cancel
    );
    const body = h('div', { className: 'jp-VisionLens-mapBody' });
    const host = h('div', { className: 'jp-VisionLens-mapCanvas' });
    body.append(host, this._legend);
    this._legend.hidden = true;
    this._code = codeBox();
    this.node.append(toolbar, body, this._code.node);

    this._canvas = new MapCanvas(host, {
      onViewChange: () => {
        // The view in data coordinates (the reproducible code and tests read it).
        this.node.dataset.view = JSON.stringify(this._canvas.viewState);
        this._pointer.viewChanged();
      },
      onContextLost: () => {
        delete this.node.dataset.frameMs;
        this._setStatus('WebGL context lost: rebuilding the map…');
      },
      onContextRestored: () => {
        this.node.dataset.recoveries = String(this._canvas.recoveries);
        this._setStatus('');
      },
      onFrame: ms => (this.node.dataset.frameMs = ms.toFixed(1))
    });
    this._pointer = new MapPointer({
      body,
      canvas: this._canvas,
      model: this._model,
      thumbnailLimit: this._settings.thumbnailLimit,
      points: () => this._points,
      index: () => this._index,
      visible: i => this._visible(i),
      valueText: i => this._valueText(i),
      onShape: (shape, mode) => void this._select(shape, mode),
      onOpen: id =>
        void this._commands.execute(CommandIDs.openSample, {
          dataset: this._model.dataset,
          sampleId: id
        }),
      onZoomed: rich => this._canvas.setDrawOptions({ round: rich })
    });

    this._model.datasetChanged.connect(this._onDataset, this);
    this._model.filterChanged.connect(this._onFilter, this);
    this._model.selectionChanged.connect(this._onSelection, this);
    this._model.dataChanged.connect(this._onFilter, this);
  }

  /** The map shown, if any. */
  get map(): IMapDescriptor | null {
    return this._map;
  }

  /** Apply changed settings. */
  setSettings(settings: Partial<IMapSettings>): void {
    this._settings = { ...this._settings, ...settings };
    this._pointer.thumbnailLimit = this._settings.thumbnailLimit;
    this._redraw();
  }

  /** Open the map of `method` (the picker's when not given) on the current dataset. */
  async load(method?: MapMethod): Promise<void> {
    if (method) {
      this._method.value = method;
    }
    const dataset = this._model.dataset;
    const wanted = this._method.value as MapMethod;
    const token = ++this._token;
    this._abort?.abort();
    this._abort = new AbortController();
    const signal = this._abort.signal;
    this.title.label = dataset ? `Map: ${dataset}` : 'VisionLens Map';
    if (!dataset) {
      this._setStatus('Pick a dataset in the VisionLens panel first.');
      return;
    }
    void this._loadFieldOptions(dataset);
    if (wanted !== 'pca' && (!this._map || this._map.dataset !== dataset)) {
      void this._preview(dataset, token);
    }
    try {
      const desc = await resolveMap(this._model.client, dataset, wanted, {
        signal,
        onJob: (job: IJob) => {
          this._job = job;
          this._cancel.hidden = job.status === 'done';
          this._jobStatus(wanted, job);
        }
      });
      this._cancel.hidden = true;
      await this._show(desc, token);
    } catch (error) {
      this._cancel.hidden = true;
      if ((error as Error).name !== 'AbortError' && token === this._token) {
        this._setStatus((error as Error).message);
      }
    }
  }

  fitAll(): void {
    if (this._points) {
      this._canvas.fitBounds(this._points.bounds);
    }
  }

  fitSelection(): void {
    if (!this._points || !this._pointFlags) {
      return;
    }
    const bounds = this._pointer.boundsOfFlag(this._pointFlags, 2);
    if (bounds) {
      this._canvas.fitBounds(bounds);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._abort?.abort();
    this._pointer.dispose();
    this._canvas.dispose();
    this._scheme.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._map && this._token === 0) {
      void this.load();
    }
  }

  /** While UMAP / t-SNE run, show the PCA preview (never over the final map). */
  private async _preview(dataset: string, token: number): Promise<void> {
    try {
      const desc = await resolveMap(this._model.client, dataset, 'pca', {
        signal: this._abort?.signal
      });
      if (token === this._token && !this._final) {
        await this._show(desc, token, true);
      }
    } catch {
      // The preview is a courtesy: the final map reports its own errors.
    }
  }

  private async _show(
    desc: IMapDescriptor,
    token: number,
    preview = false
  ): Promise<void> {
    const dataset = this._model.dataset as string;
    const points = await fetchPoints(
      this._model.client,
      dataset,
      desc.id,
      this._abort?.signal
    );
    if (token !== this._token) {
      return;
    }
    const first = !this._points;
    this._final = !preview;
    this._map = { ...desc, dataset };
    this._points = points;
    this._index = new SpatialIndex(points.positions, points.bounds);
    this._inFilter = null;
    this._values = null;
    this._coloring = null;
    this._colors = colorPoints(null, this._points.count, c =>
      this._model.classColor(c)
    ).colors;
    this._pointFlags = this._buildFlags();
    this._canvas.setData(this._data());
    if (first || desc.method !== this._shownMethod) {
      this.fitAll();
    }
    this._shownMethod = desc.method;
    const { density, densityPoints } = this._settings;
    this._density.checked =
      density === 'on' ||
      (density === 'auto' && this._points.count >= densityPoints);
    this.node.dataset.mapId = desc.id;
    this.node.dataset.points = String(this._points.count);
    const stale = desc.stale
      ? ` (stale: ${fmtInt(desc.missing)} new, ${fmtInt(desc.removed)} removed)`
      : '';
    this._setStatus(
      preview
        ? `PCA preview while ${this._method.value.toUpperCase()} runs…`
        : stale.trim()
    );
    await Promise.all([this._applyFilter(), this._loadColors()]);
  }

  private _data() {
    const p = this._points as IMapPoints;
    return {
      count: p.count,
      positions: p.positions,
      colors: this._colors as Uint8Array,
      flags: this._pointFlags as Uint8Array
    };
  }

  private async _loadFieldOptions(dataset: string): Promise<void> {
    try {
      setOptions(this._color, await colorFieldOptions(this._model, dataset));
    } catch {
      // The base fields stay offered.
    }
  }

  private async _loadColors(): Promise<void> {
    const map = this._map;
    const points = this._points;
    if (!map || !points) {
      return;
    }
    let values: PointValues | null = null;
    try {
      values = await fetchValues(
        this._model.client,
        map.dataset as string,
        map.id,
        this._color.value
      );
    } catch (error) {
      this._setStatus(`Colour by: ${(error as Error).message}`);
    }
    if (map !== this._map) {
      return;
    }
    this._values = values;
    const palette = this._scheme.palette();
    this._coloring = colorPoints(
      values,
      points.count,
      palette.colorOf,
      undefined,
      palette.ramp
    );
    this._colors = this._coloring.colors;
    renderLegend(this._legend, values, this._coloring, palette.ramp);
    this._canvas.setData(this._data());
    this._updateCode();
  }

  /** The points matching the filter: the select route over the whole map, filtered. */
  private async _applyFilter(): Promise<void> {
    const map = this._map;
    const points = this._points;
    if (!map || !points) {
      return;
    }
    const filter = this._model.filter;
    const inFilter = await filteredPoints(
      this._model.client,
      map.dataset as string,
      map.id,
      points,
      filter
    );
    if (map !== this._map || filter !== this._model.filter) {
      return;
    }
    this._inFilter = inFilter;
    this._updateFlags();
  }

  private _buildFlags(): Uint8Array {
    const points = this._points as IMapPoints;
    const sel = this._model.selection;
    const selected: PointSelection | null =
      sel.mode === 'all'
        ? 'all'
        : sel.ids.size
          ? selectedPoints(points.ids, sel.ids)
          : null;
    return buildFlags(points.count, this._inFilter, selected);
  }

  private _updateFlags(): void {
    if (!this._points) {
      return;
    }
    this._pointFlags = this._buildFlags();
    let shown = 0;
    for (let i = 0; i < this._pointFlags.length; i++) {
      shown += this._pointFlags[i] & FLAG_IN_FILTER;
    }
    this._count.textContent = `${fmtInt(shown)} points`;
    this.node.dataset.filtered = String(shown);
    const sel = this._model.selection;
    this._selected.textContent =
      sel.mode === 'all'
        ? 'all matching selected'
        : sel.ids.size
          ? `${fmtInt(sel.ids.size)} selected`
          : '';
    this._canvas.setData(this._data());
    this._redraw();
    this._updateCode();
  }

  private _redraw(): void {
    const sel = this._model.selection;
    const density = this._density.checked;
    this._canvas.setDrawOptions({
      pointSize: this._settings.pointSize,
      filterMode: this._filterMode.value === 'dim' ? 'dim' : 'hide',
      hasSelection: sel.mode === 'all' || sel.ids.size > 0,
      density
    });
    this._pointer.viewChanged();
  }

  private async _select(
    shape: MapShape,
    mode: 'replace' | 'add' | 'subtract'
  ): Promise<void> {
    const map = this._map;
    if (!map) {
      return;
    }
    const filter: IFilter = this._model.filter;
    const hide =
      this._filterMode.value === 'hide' && Object.keys(filter).length > 0;
    try {
      const buffer = await this._model.client.mapSelect(
        map.dataset as string,
        map.id,
        shape,
        hide ? filter : null
      );
      const ids = decodeIds(buffer);
      this._lastShape = mode === 'replace' ? shape : null;
      this._pointer.applySelection(ids, mode);
      this.node.dataset.lastShape = JSON.stringify(shape);
    } catch (error) {
      this._setStatus(`Selection: ${(error as Error).message}`);
    }
  }

  private _updateCode(): void {
    const map = this._map;
    if (!map) {
      return;
    }
    const sel = this._model.selection;
    const fromShape =
      this._lastShape !== null &&
      sel.mode === 'ids' &&
      sel.ids === this._shapeIds;
    this._code.set(
      pythonCode({
        dataset: map.dataset as string,
        method: map.method,
        space: map.space,
        params: map.params,
        colorField: this._color.value.split('|')[0] || null,
        filter: this._model.filter,
        shape: fromShape ? this._lastShape : null,
        ids:
          fromShape || sel.mode === 'all' || sel.ids.size === 0
            ? null
            : Array.from(sel.ids).sort((a, b) => a - b)
      })
    );
  }

  private _visible(i: number): boolean {
    return (
      this._filterMode.value === 'dim' ||
      !this._pointFlags ||
      (this._pointFlags[i] & FLAG_IN_FILTER) > 0
    );
  }

  private _valueText(i: number): string | null {
    const v = this._values;
    if (!v) {
      return null;
    }
    if (v.kind === 'numeric') {
      const x = v.values[i];
      return x === x
        ? `${v.field}: ${Number(x.toPrecision(4))}`
        : `${v.field}: –`;
    }
    const entry = v.legend[v.codes[i]];
    return `${v.field}: ${entry ? (entry.other ? 'other' : (entry.value ?? '–')) : '–'}`;
  }

  private _setTool(tool: MapTool): void {
    this._tools.set(tool);
    this._pointer.tool = tool;
    this._canvas.setDragPan(tool === 'pan');
  }

  private async _cancelJob(): Promise<void> {
    if (this._job) {
      await this._model.client.cancelJob(this._job.id).catch(() => undefined);
    }
  }

  private _jobStatus(method: MapMethod, job: IJob): void {
    const pct =
      job.progress === null ? '' : ` ${Math.round(100 * job.progress)}%`;
    const label = METHODS.find(([m]) => m === method)?.[1] ?? method;
    this._setStatus(`${label}${pct}${job.message ? `: ${job.message}` : ''}`);
  }

  private _setStatus(text: string): void {
    this._status.textContent = text;
  }

  private _onDataset(): void {
    this._map = null;
    this._points = null;
    this._index = null;
    this._canvas.setData(null);
    if (this.isAttached) {
      void this.load();
    }
  }

  private _onFilter(): void {
    void this._applyFilter().catch(error =>
      this._setStatus((error as Error).message)
    );
  }

  private _onSelection(): void {
    if (this._pointer.pendingIds !== null) {
      this._shapeIds = this._model.selection.ids;
      this._pointer.pendingIds = null;
    } else {
      this._lastShape = null;
    }
    this._updateFlags();
  }

  private readonly _model: IVisionLensModel;
  private readonly _commands: CommandRegistry;
  private _settings: IMapSettings;
  private readonly _canvas: MapCanvas;
  private readonly _pointer: MapPointer;
  private readonly _method: HTMLSelectElement;
  private readonly _color: HTMLSelectElement;
  private readonly _scheme: SchemePicker;
  private readonly _filterMode: HTMLSelectElement;
  private readonly _density: HTMLInputElement;
  private readonly _tools: { node: HTMLElement; set: (tool: MapTool) => void };
  private readonly _cancel: HTMLButtonElement;
  private readonly _code: { node: HTMLElement; set: (code: string) => void };
  private readonly _count = h('span', { className: 'jp-VisionLens-mapCount' });
  private readonly _selected = h('span', {
    className: 'jp-VisionLens-mapSelection'
  });
  private readonly _status = h('span', {
    className: 'jp-VisionLens-mapStatus',
    attrs: { role: 'status' }
  });
  private readonly _legend = h('div', { className: 'jp-VisionLens-mapLegend' });
  private _token = 0;
  private _abort: AbortController | null = null;
  private _job: IJob | null = null;
  private _map: IMapDescriptor | null = null;
  private _final = false;
  private _shownMethod: string | null = null;
  private _points: IMapPoints | null = null;
  private _index: SpatialIndex | null = null;
  private _inFilter: Int32Array | null = null;
  private _values: PointValues | null = null;
  private _coloring: IColoring | null = null;
  private _colors: Uint8Array | null = null;
  private _pointFlags: Uint8Array | null = null;
  private _lastShape: MapShape | null = null;
  private _shapeIds: ReadonlySet<number> | null = null;
}
