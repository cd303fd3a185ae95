/**
 * The rows of the view query in its order (the search's ranking, else the
 * filter in the query's sort): the sample at a position, and where a sample
 * stands. The sample view steps through these, so it follows the grid.
 */
import { sortQuery } from '../sorting';
import { IVisionLensModel } from '../tokens';
import { sampleIds, samplesPage } from './samples';

/** Where a sample stands among the rows of the view query. */
export interface IRowPlace {
  /** Its position, or null when it is no row or its position is unknown. */
  index: number | null;
  /** The number of rows, or null when unknown. */
  total: number | null;
  /** Whether it is a row of the view at all. */
  inView: boolean;
}

/** The sample id at `index` of the view (null past the end) and the row count. */
export async function sampleAt(
  model: IVisionLensModel,
  index: number,
  signal?: AbortSignal
): Promise<{ sampleId: number | null; total: number }> {
  const { dataset, filter, sort, ranking } = model.query;
  if (ranking) {
    return { sampleId: ranking[index] ?? null, total: ranking.length };
  }
  const page = await samplesPage(
    model,
    dataset as string,
    filter,
    { offset: index, limit: 1, ...sortQuery(sort) },
    signal
  );
  return { sampleId: page.samples[0]?.sample_id ?? null, total: page.total };
}

/**
 * The ids of the `count` rows after row `index` of the view, in its order
 * (fewer at its end): the samples likely opened next.
 */
export async function samplesAfter(
  model: IVisionLensModel,
  index: number,
  count: number,
  signal?: AbortSignal
): Promise<number[]> {
  const { dataset, filter, sort, ranking } = model.query;
  if (ranking) {
    return ranking.slice(index + 1, index + 1 + count);
  }
  const page = await samplesPage(
    model,
    dataset as string,
    filter,
    { offset: index + 1, limit: count, ...sortQuery(sort) },
    signal
  );
  return page.samples.map(s => s.sample_id);
}

/**
 * Where `sampleId` stands in the view, `hint` (the position a view showed
 * it at) checked first. In a sorted view the position of a sample met
 * elsewhere (the map, a notebook) would need every sorted id: only whether
 * it is a row is asked then.
 */
export async function locateSample(
  model: IVisionLensModel,
  sampleId: number,
  hint: number | null,
  signal?: AbortSignal
): Promise<IRowPlace> {
  const { dataset, filter, sort, ranking } = model.query;
  const found = (index: number, total: number | null): IRowPlace => ({
    index: index >= 0 ? index : null,
    total,
    inView: index >= 0
  });
  if (ranking) {
    return found(ranking.indexOf(sampleId), ranking.length);
  }
  const order = sortQuery(sort);
  if (hint !== null) {
    const at = await sampleAt(model, hint, signal);
    if (at.sampleId === sampleId) {
      return found(hint, at.total);
    }
  }
  if (order.sort === undefined) {
    const { ids, total } = await sampleIds(
      model,
      dataset as string,
      filter,
      signal
    );
    return found(ids.indexOf(sampleId), total);
  }
  if (filter.ids && !filter.ids.includes(sampleId)) {
    return found(-1, null);
  }
  const page = await samplesPage(
    model,
    dataset as string,
    { ...filter, ids: [sampleId] },
    { offset: 0, limit: 0 },
    signal
  );
  return { index: null, total: null, inView: page.total > 0 };
}
