/**
 * The map panel's toolbar: method and colour pickers, the selection tools,
 * fit buttons, filter mode, density switch, counts, status and job cancel.
 * It only builds and reports; the widget decides what each control does.
 */
import { button, fmtInt, h } from '../../base/dom';
import { describeProgress } from '../../model/jobs';
import { IJob, ISelection } from '../../model/tokens';
import { MapTool, select, toolButtons } from './MapControls';
import { IMapSettings } from './settings';
import { MapMethod } from '../../api/mapTypes';
import { BASE_FIELDS } from '../../model/sources/maps';
import { visibleText } from '../../base/dataText';

export const METHODS: [MapMethod, string][] = [
  ['pca', 'PCA'],
  ['umap', 'UMAP'],
  ['tsne', 't-SNE']
];

/** What the toolbar's controls ask of the widget. */
export interface IMapToolbarActions {
  method: () => void;
  color: () => void;
  redraw: () => void;
  tool: (tool: MapTool) => void;
  fitAll: () => void;
  fitSelection: () => void;
  cancel: () => void;
}

export class MapToolbar {
  constructor(settings: IMapSettings, actions: IMapToolbarActions) {
    this.method = select('jp-VisionLens-mapMethod', 'Map method', METHODS);
    this.method.value = settings.defaultMethod;
    this.method.addEventListener('change', actions.method);
    this.color = select('jp-VisionLens-mapColor', 'Colour by', BASE_FIELDS);
    this.color.addEventListener('change', actions.color);
    this.filterMode = select(
      'jp-VisionLens-mapFilterMode',
      'Points outside the filter',
      [
        ['hide', 'Hide filtered out'],
        ['dim', 'Dim filtered out']
      ]
    );
    this.filterMode.value = settings.filterMode;
    this.filterMode.addEventListener('change', actions.redraw);
    this.density = h('input', {
      className: 'jp-VisionLens-mapDensity',
      attrs: { type: 'checkbox', 'aria-label': 'Density view' }
    });
    this.density.addEventListener('change', actions.redraw);
    this._tools = toolButtons(actions.tool);
    this.cancel = button('Cancel', 'jp-VisionLens-mapCancel', actions.cancel);
    this.cancel.hidden = true;
    this.node = h(
      'div',
      { className: 'jp-VisionLens-mapToolbar' },
      this.method,
      this.color,
      this._tools.node,
      button('Fit all', 'jp-VisionLens-mapFitAll', actions.fitAll),
      button(
        'Fit selection',
        'jp-VisionLens-mapFitSelection',
        actions.fitSelection
      ),
      this.filterMode,
      h(
        'label',
        { className: 'jp-VisionLens-mapDensityLabel' },
        this.density,
        'Density'
      ),
      this._count,
      this._selected,
      this._status,
      this.cancel
    );
  }

  /** Whether points outside the filter are dimmed (else hidden). */
  get dimFiltered(): boolean {
    return this.filterMode.value === 'dim';
  }

  /** The colour field picked (`field|kind`). */
  get colorField(): string {
    return this.color.value;
  }

  /** Show `tool` as the active one. */
  setTool(tool: MapTool): void {
    this._tools.set(tool);
  }

  setStatus(text: string): void {
    this._status.textContent = visibleText(text);
  }

  /** The progress of the UMAP / t-SNE job computing the map. */
  jobStatus(method: MapMethod, job: IJob): void {
    // The jobs panel's wording: stage, percent, rate and ETA.
    const label = METHODS.find(([m]) => m === method)?.[1] ?? method;
    const progress = describeProgress(job);
    this.setStatus(progress ? `${label}: ${progress}` : label);
  }

  /** The counts of points shown and selected. */
  setCounts(shown: number, sel: ISelection): void {
    this._count.textContent = `${fmtInt(shown)} points`;
    this._selected.textContent =
      sel.mode === 'all'
        ? 'all matching selected'
        : sel.ids.size
          ? `${fmtInt(sel.ids.size)} selected`
          : '';
  }

  readonly node: HTMLElement;
  readonly method: HTMLSelectElement;
  readonly color: HTMLSelectElement;
  readonly filterMode: HTMLSelectElement;
  readonly density: HTMLInputElement;
  readonly cancel: HTMLButtonElement;
  private readonly _tools: {
    node: HTMLElement;
    set: (tool: MapTool) => void;
  };
  private readonly _count = h('span', { className: 'jp-VisionLens-mapCount' });
  private readonly _selected = h('span', {
    className: 'jp-VisionLens-mapSelection'
  });
  private readonly _status = h('span', {
    className: 'jp-VisionLens-mapStatus',
    attrs: { role: 'status' }
  });
}
