/**
 * What the map panel knows about the points of the map shown: positions and
 * their spatial index, which match the filter, the colour field's values,
 * colours and legend, and the per-point flags (in filter, selected) drawn.
 */
import { ISelection } from '../../model/tokens';
import { colorPoints, IColoring } from './colorScale';
import {
  buildFlags,
  FLAG_IN_FILTER,
  PointSelection,
  selectedPoints
} from './flags';
import { renderLegend } from './MapControls';
import { IPointPalette } from './schemes';
import { SpatialIndex } from './spatialIndex';
import { IMapPoints, PointValues } from '../../api/mapWire';

/** The arrays the canvas draws. */
export interface IMapData {
  count: number;
  positions: Float32Array;
  colors: Uint8Array;
  flags: Uint8Array;
}

export class MapPointState {
  constructor(
    readonly points: IMapPoints,
    private readonly _classColor: (label: string) => string
  ) {
    this.index = new SpatialIndex(points.positions, points.bounds);
    this.colors = colorPoints(null, points.count, _classColor).colors;
  }

  /** Colour by `values` (null: one colour) and draw their legend into
   * `legend`, with the colour scheme picked (default: class colours, viridis). */
  setValues(
    values: PointValues | null,
    legend: HTMLElement,
    palette?: IPointPalette
  ): void {
    this.values = values;
    this._coloring = colorPoints(
      values,
      this.points.count,
      palette?.colorOf ?? (c => this._classColor(c)),
      undefined,
      palette?.ramp
    );
    this.colors = this._coloring.colors;
    renderLegend(legend, values, this._coloring, palette?.ramp);
  }

  /** Rebuild the flags from the filter's points and `sel`; returns how many
   * points match the filter. */
  rebuildFlags(sel: ISelection): number {
    const selected: PointSelection | null =
      sel.mode === 'all'
        ? 'all'
        : sel.ids.size
          ? selectedPoints(this.points.ids, sel.ids)
          : null;
    this.flags = buildFlags(this.points.count, this.inFilter, selected);
    let shown = 0;
    for (let i = 0; i < this.flags.length; i++) {
      shown += this.flags[i] & FLAG_IN_FILTER;
    }
    return shown;
  }

  /** Whether point `i` is drawn (dimmed points are). */
  visible(i: number, dimFiltered: boolean): boolean {
    return dimFiltered || (this.flags[i] & FLAG_IN_FILTER) > 0;
  }

  /** The colour field's value of point `i`, as the tooltip shows it. */
  valueText(i: number): string | null {
    const v = this.values;
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

  /** What the canvas draws now. */
  data(): IMapData {
    return {
      count: this.points.count,
      positions: this.points.positions,
      colors: this.colors,
      flags: this.flags
    };
  }

  readonly index: SpatialIndex;
  /** Points matching the filter (null: all). */
  inFilter: Int32Array | null = null;
  values: PointValues | null = null;
  colors: Uint8Array;
  flags: Uint8Array = new Uint8Array(0);
  private _coloring: IColoring | null = null;
}
