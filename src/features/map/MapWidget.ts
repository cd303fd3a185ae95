/**
 * The embedding map panel: points of a map (PCA at once, UMAP / t-SNE as
 * jobs), coloured by a field, filtered and selected through the shared model.
 * Lasso and rectangle go to the server's select route; the ids that come
 * back become the model's selection, so the grid shows exactly them.
 *
 * This is the controller; its parts: the toolbar (`MapToolbar`), loading
 * maps and jobs (`mapLoader`), the points' colours, legend and flags
 * (`mapPointState`), shape selections (`shapeSelection`), drawing
 * (`MapCanvas`) and the pointer (`MapPointer`).
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { nameTab } from '../../ui/panelNames';
import { embedWidget } from '../../ui/toolbar';
import { VersionBanner } from '../../ui/VersionBanner';
import { staleText } from '../../ui/staleNote';
import { h } from '../../base/dom';
import { changeMovesRows } from '../../model/query';
import { CommandIDs, IDataChange, IVisionLensModel } from '../../model/tokens';
import { MapCanvas } from './MapCanvas';
import { codeBox, MapTool, setOptions } from './MapControls';
import { MapPointer } from './MapPointer';
import { MapPointState } from './mapPointState';
import { MapToolbar } from './MapToolbar';
import { SchemePicker } from './schemes';
import { MapColorMemory } from './colorMemory';
import { MapLoader } from './mapLoader';
import { ShapeSelection } from './shapeSelection';
import { IMapSettings, MAP_DEFAULTS } from './settings';
import { pythonCode } from './reproduce';
import { IMapDescriptor, MapMethod } from '../../api/mapTypes';
import {
  colorFieldOptions,
  fetchValues,
  filteredPoints
} from '../../model/sources/maps';
import { IMapPoints, PointValues } from '../../api/mapWire';
/** Options of the map panel. */
export interface IMapWidgetOptions {
  model: IVisionLensModel;
  commands: CommandRegistry;
  settings?: Partial<IMapSettings>;
  /** The colour field picked per dataset (kept by the plugin across panels). */
  colors?: MapColorMemory;
}

export class MapWidget extends Widget {
  constructor(options: IMapWidgetOptions) {
    super();
    this._model = options.model;
    this._commands = options.commands;
    this._settings = { ...MAP_DEFAULTS, ...options.settings };
    this._colors = options.colors ?? new MapColorMemory();
    this.addClass('jp-VisionLens-map');
    nameTab(this.title, 'map');
    this.title.closable = true;
    this.node.tabIndex = -1;

    this._toolbar = new MapToolbar(this._settings, {
      method: () => void this.load(),
      color: () => this._colorPicked(),
      redraw: () => this._redraw(),
      tool: tool => this._setTool(tool),
      fitAll: () => this.fitAll(),
      fitSelection: () => this.fitSelection(),
      cancel: () => void this._loader.cancelJob()
    });
    // Colour schemes other extensions register (hidden while there are none).
    this._scheme = new SchemePicker(this._model, () => void this._loadColors());
    this._toolbar.color.after(this._scheme.node);
    const body = h('div', { className: 'jp-VisionLens-mapBody' });
    const host = h('div', { className: 'jp-VisionLens-mapCanvas' });
    body.append(host, this._legend);
    this._legend.hidden = true;
    this._code = codeBox();
    const banner = new VersionBanner(this._model);
    this.node.append(banner.node, this._toolbar.node, body, this._code.node);
    embedWidget(this, banner);

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
      points: () => this._state?.points ?? null,
      index: () => this._state?.index ?? null,
      visible: i => this._state?.visible(i, this._toolbar.dimFiltered) ?? true,
      valueText: i => this._state?.valueText(i) ?? null,
      onShape: (shape, mode) => {
        if (this._map) {
          const hide = !this._toolbar.dimFiltered;
          void this._shapes.select(this._map, shape, mode, hide);
        }
      },
      onOpen: id =>
        void this._commands.execute(CommandIDs.openSample, {
          dataset: this._model.dataset,
          sampleId: id
        }),
      onZoomed: rich => this._canvas.setDrawOptions({ round: rich })
    });

    this._shapes = new ShapeSelection({
      model: this._model,
      pointer: this._pointer,
      node: this.node,
      status: text => this._setStatus(text)
    });

    this._loader = new MapLoader({
      model: this._model,
      toolbar: this._toolbar,
      show: (desc, points, preview) => this._show(desc, points, preview),
      showing: dataset => this._map?.dataset === dataset
    });

    this._model.datasetChanged.connect(this._onDataset, this);
    this._model.filterChanged.connect(this._onFilter, this);
    this._model.selectionChanged.connect(this._onSelection, this);
    this._model.dataChanged.connect(this._onDataChanged, this);
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
      this._toolbar.method.value = method;
    }
    const dataset = this._model.dataset;
    const wanted = this._toolbar.method.value as MapMethod;
    nameTab(this.title, 'map', dataset);
    if (!dataset) {
      this._setStatus('Pick a dataset in the VisionLens panel first.');
    } else {
      await this._colors.restored;
      this._colors.apply(this._toolbar.color, dataset);
      void this._loadFieldOptions(dataset);
    }
    await this._loader.load(dataset, wanted);
  }

  fitAll(): void {
    if (this._state) {
      this._canvas.fitBounds(this._state.points.bounds);
    }
  }

  fitSelection(): void {
    if (!this._state) {
      return;
    }
    const bounds = this._pointer.boundsOfFlag(this._state.flags, 2);
    if (bounds) {
      this._canvas.fitBounds(bounds);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._loader.abort();
    this._pointer.dispose();
    this._canvas.dispose();
    this._scheme.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._map && !this._loader.started) {
      void this.load();
    }
  }

  private async _show(
    desc: IMapDescriptor,
    points: IMapPoints,
    preview: boolean
  ): Promise<void> {
    const dataset = this._model.dataset as string;
    const first = !this._state;
    this._map = { ...desc, dataset };
    this._state = new MapPointState(points, c => this._model.classColor(c));
    this._state.rebuildFlags(this._model.selection);
    this._canvas.setData(this._state.data());
    if (first || desc.method !== this._shownMethod) {
      this.fitAll();
    }
    this._shownMethod = desc.method;
    const { density, densityPoints } = this._settings;
    this._toolbar.density.checked =
      density === 'on' || (density === 'auto' && points.count >= densityPoints);
    this.node.dataset.mapId = desc.id;
    this.node.dataset.points = String(points.count);
    this._setStatus(
      preview
        ? `PCA preview while ${this._toolbar.method.value.toUpperCase()} runs…`
        : (staleText(desc) ?? '')
    );
    await Promise.all([this._applyFilter(), this._loadColors()]);
  }

  private async _loadFieldOptions(dataset: string): Promise<void> {
    const picker = this._toolbar.color;
    try {
      const options = await colorFieldOptions(this._model, dataset);
      if (dataset !== this._model.dataset) {
        return;
      }
      const before = picker.value;
      setOptions(picker, options);
      // the remembered field may be one of the dataset's own
      this._colors.apply(picker, dataset);
      if (picker.value !== before) {
        void this._loadColors();
      }
    } catch {
      // The base fields stay offered.
    }
  }

  /** A colour picked: remembered for the dataset, the points coloured by it. */
  private _colorPicked(): void {
    const dataset = this._model.dataset;
    if (dataset) {
      this._colors.set(dataset, this._toolbar.colorField);
    }
    void this._loadColors();
  }

  private async _loadColors(): Promise<void> {
    const map = this._map;
    const state = this._state;
    if (!map || !state) {
      return;
    }
    let values: PointValues | null = null;
    try {
      values = await fetchValues(
        this._model,
        map.dataset as string,
        map.id,
        this._toolbar.colorField
      );
    } catch (error) {
      this._setStatus(`Colour by: ${(error as Error).message}`);
    }
    if (map !== this._map) {
      return;
    }
    state.setValues(values, this._legend, this._scheme.palette());
    this._canvas.setData(state.data());
    this._updateCode();
  }

  /** The points matching the filter: the select route over the whole map, filtered. */
  private async _applyFilter(): Promise<void> {
    const map = this._map;
    const state = this._state;
    if (!map || !state) {
      return;
    }
    const filter = this._model.filter;
    const inFilter = await filteredPoints(
      this._model,
      map.dataset as string,
      map.id,
      state.points,
      filter
    );
    if (map !== this._map || filter !== this._model.filter) {
      return;
    }
    state.inFilter = inFilter;
    this._updateFlags();
  }

  private _updateFlags(): void {
    const state = this._state;
    if (!state) {
      return;
    }
    const shown = state.rebuildFlags(this._model.selection);
    this._toolbar.setCounts(shown, this._model.selection);
    this.node.dataset.filtered = String(shown);
    this._canvas.setData(state.data());
    this._redraw();
    this._updateCode();
  }

  private _redraw(): void {
    const sel = this._model.selection;
    const density = this._toolbar.density.checked;
    this._canvas.setDrawOptions({
      pointSize: this._settings.pointSize,
      filterMode: this._toolbar.dimFiltered ? 'dim' : 'hide',
      hasSelection: sel.mode === 'all' || sel.ids.size > 0,
      density
    });
    this._pointer.viewChanged();
  }

  private _updateCode(): void {
    const map = this._map;
    if (!map) {
      return;
    }
    this._code.set(
      pythonCode({
        dataset: map.dataset as string,
        method: map.method,
        space: map.space,
        params: map.params,
        colorField: this._toolbar.colorField.split('|')[0] || null,
        filter: this._model.filter,
        ...this._shapes.forCode()
      })
    );
  }

  private _setTool(tool: MapTool): void {
    this._toolbar.setTool(tool);
    this._pointer.tool = tool;
    this._canvas.setDragPan(tool === 'pan');
  }

  private _setStatus(text: string): void {
    this._toolbar.setStatus(text);
  }

  private _onDataset(): void {
    this._map = null;
    this._state = null;
    this._canvas.setData(null);
    if (this.isAttached) {
      void this.load();
    }
  }

  /** A write that may move the filter's members (not tags outside it). */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    const query = this._model.query;
    if (change.dataset === query.dataset && changeMovesRows(query, change)) {
      this._onFilter();
    }
  }

  private _onFilter(): void {
    void this._applyFilter().catch(error =>
      this._setStatus((error as Error).message)
    );
  }

  private _onSelection(): void {
    this._shapes.selectionChanged();
    this._updateFlags();
  }

  private readonly _model: IVisionLensModel;
  private readonly _commands: CommandRegistry;
  private _settings: IMapSettings;
  private readonly _colors: MapColorMemory;
  private readonly _canvas: MapCanvas;
  private readonly _pointer: MapPointer;
  private readonly _toolbar: MapToolbar;
  private readonly _scheme: SchemePicker;
  private readonly _shapes: ShapeSelection;
  private readonly _code: { node: HTMLElement; set: (code: string) => void };
  private readonly _legend = h('div', { className: 'jp-VisionLens-mapLegend' });
  private readonly _loader: MapLoader;
  private _map: IMapDescriptor | null = null;
  private _shownMethod: string | null = null;
  private _state: MapPointState | null = null;
}
