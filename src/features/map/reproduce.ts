/**
 * "Reproducible as code": the Python call that rebuilds the map's current
 * view and selection in a kernel (`ds.map(...)` plus the lasso polygon or the
 * selected ids). Dataset text only ever lands in Python string literals.
 */
import { IFilter } from '../../model/tokens';
import { MapShape } from '../../api/mapTypes';

/** What the map shows, as far as code needs it. */
export interface IMapView {
  dataset: string;
  method: string;
  space: string;
  params: { [key: string]: unknown };
  colorField: string | null;
  filter: IFilter;
  /** The last shape that set the selection, in data coordinates. */
  shape: MapShape | null;
  /** The selected ids when the selection did not come from `shape` alone. */
  ids: number[] | null;
}

/** Selected ids written inline at most; more are read from the panels. */
export const MAX_INLINE_IDS = 200;

/** A Python literal of JSON-like data (str, numbers, lists, dicts, None, bools). */
export function pyLiteral(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (value === true) {
    return 'True';
  }
  if (value === false) {
    return 'False';
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? String(value) : 'None';
  }
  if (typeof value === 'string') {
    // JSON string escapes are valid Python string escapes.
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(pyLiteral).join(', ')}]`;
  }
  const entries = Object.entries(value as object).map(
    ([k, v]) => `${JSON.stringify(k)}: ${pyLiteral(v)}`
  );
  return `{${entries.join(', ')}}`;
}

function isEmptyFilter(filter: IFilter): boolean {
  return Object.keys(filter).length === 0;
}

/** The Python code reproducing `view`. */
export function pythonCode(view: IMapView): string {
  const lines = [
    'import numpy as np',
    'import visionlens_jlab as vl',
    'from visionlens_jlab.maps.lasso import points_in_polygon, points_in_rect',
    '',
    `ds = vl.dataset(${pyLiteral(view.dataset)})`
  ];
  const params = Object.keys(view.params).length
    ? `, params=${pyLiteral(view.params)}`
    : '';
  lines.push(
    `points = ds.map(method=${pyLiteral(view.method)}, space=${pyLiteral(view.space)}${params})`
  );
  if (view.colorField) {
    lines.push(`# coloured by ${pyLiteral(view.colorField)}`);
  }
  if (!isEmptyFilter(view.filter)) {
    lines.push(
      `allowed = ds.samples(filter=${pyLiteral(view.filter)}).sample_id`,
      'points = points[points.sample_id.isin(allowed)]'
    );
  }
  const xy = 'points.x.to_numpy(), points.y.to_numpy()';
  if (view.shape && 'polygon' in view.shape && view.ids === null) {
    lines.push(
      `polygon = np.array(${pyLiteral(view.shape.polygon)})`,
      `selection = points.sample_id[points_in_polygon(${xy}, polygon)]`
    );
  } else if (view.shape && 'rect' in view.shape && view.ids === null) {
    lines.push(
      `selection = points.sample_id[points_in_rect(${xy}, ${pyLiteral(view.shape.rect)})]`
    );
  } else if (view.ids && view.ids.length <= MAX_INLINE_IDS) {
    lines.push(
      `selection = points[points.sample_id.isin(${pyLiteral(view.ids)})].sample_id`
    );
  } else if (view.ids) {
    lines.push(
      '# the selection is too long to write out: open a session on the panels',
      `selection = vl.open(ds, show=False).selected_ids()`
    );
  }
  return lines.join('\n');
}
