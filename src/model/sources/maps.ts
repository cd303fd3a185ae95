/**
 * What the map panel asks the server, through the model's client: a map
 * (stored, or computed by a job it follows), its points, a field's values,
 * the points matching a filter and the fields worth colouring by.
 */
import { IMapDescriptor, MapMethod, MapShape } from '../../api/mapTypes';
import { IFilter, IJob, IVisionLensModel } from '../tokens';
import { versionBrowse } from '../versionBrowse';
import {
  decodeFrame,
  decodeIds,
  decodePoints,
  decodeValues,
  IMapPoints,
  pointIndices,
  PointValues
} from '../../api/mapWire';
import { objectModels } from '../objectModels';

/** Colour fields every dataset has (value, label). */
export const BASE_FIELDS: [string, string][] = [
  ['', 'No colour'],
  ['top_class', 'Class (most boxes)'],
  ['split', 'Split'],
  ['box_count', 'Boxes (ground truth)']
];

/**
 * The map of `method`: the stored one at once, else the job's result.
 * `onJob` sees the job's every state while it runs.
 */
export async function resolveMap(
  model: IVisionLensModel,
  dataset: string,
  method: MapMethod,
  options: { signal?: AbortSignal; onJob?: (job: IJob) => void } = {}
): Promise<IMapDescriptor> {
  const answer = await model.client.requestMap(dataset, { method });
  if (answer.map) {
    return answer.map;
  }
  const done = await model.client.waitForJob(answer.job as IJob, {
    signal: options.signal,
    onUpdate: options.onJob
  });
  return done.result as unknown as IMapDescriptor;
}

/** A map's points with their sample ids. */
export async function fetchPoints(
  model: IVisionLensModel,
  dataset: string,
  mapId: string,
  signal?: AbortSignal
): Promise<IMapPoints> {
  const buffer = await model.client.mapPoints(dataset, mapId, signal);
  // Ids in too many runs do not travel in the frame's header: ask for them.
  const ids = decodeFrame(buffer).header.id_ranges
    ? undefined
    : Float64Array.from((await model.client.ids(dataset, {}, signal)).ids);
  return decodePoints(buffer, ids);
}

/** Values of colour field `choice` (`field` or `eval.x|model`), or null for none. */
export async function fetchValues(
  model: IVisionLensModel,
  dataset: string,
  mapId: string,
  choice: string
): Promise<PointValues | null> {
  const [field, evalModel] = choice.split('|');
  if (!field) {
    return null;
  }
  return decodeValues(
    await model.client.mapValues(dataset, mapId, field, evalModel)
  );
}

/**
 * Indices of the points matching `filter` (null: no filter, all match): the
 * select route over the map's bounds with the filter, the grid's SQL filter,
 * over the labels and tags of the version browsed (as the grid reads them).
 */
export async function filteredPoints(
  model: IVisionLensModel,
  dataset: string,
  mapId: string,
  points: IMapPoints,
  filter: IFilter
): Promise<Int32Array | null> {
  if (Object.keys(filter).length === 0) {
    return null;
  }
  const { version } = versionBrowse(model).params(dataset);
  const buffer = await model.client.mapSelect(
    dataset,
    mapId,
    { rect: points.bounds },
    filter,
    undefined,
    version
  );
  return pointIndices(points.ids, decodeIds(buffer));
}

/** Colour fields of a dataset: the base ones, `fields.*` facets, evaluations. */
export async function colorFieldOptions(
  model: IVisionLensModel,
  dataset: string
): Promise<[string, string][]> {
  const facets = await model.client.facets(dataset, {});
  const fields = facets.facets
    .map(f => f.name)
    .filter(n => n.startsWith('fields.') || ['width', 'height'].includes(n));
  const evals = objectModels(model.currentInfo).flatMap(m =>
    ['tp', 'fp', 'fn'].map(
      s =>
        [`eval.${s}|${m}`, `${s.toUpperCase()} boxes (${m})`] as [
          string,
          string
        ]
    )
  );
  return [
    ...BASE_FIELDS,
    ...fields.map(f => [f, f] as [string, string]),
    ...evals
  ];
}

/**
 * The sample ids of the points inside `shape` (and, when `filter` is given,
 * matching it at the version browsed), as the server selects them.
 */
export async function selectShape(
  model: IVisionLensModel,
  dataset: string,
  mapId: string,
  shape: MapShape,
  filter: IFilter | null
): Promise<Float64Array> {
  const { version } = versionBrowse(model).params(dataset);
  return decodeIds(
    await model.client.mapSelect(
      dataset,
      mapId,
      shape,
      filter,
      undefined,
      version
    )
  );
}
