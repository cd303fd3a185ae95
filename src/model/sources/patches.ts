/**
 * Objects of a dataset as the patches view reads them: pages of
 * `POST datasets/{name}/patches` (a `QueryPageSource`).
 */
import { IPatch, IPatchQuery } from '../../api/patchTypes';
import { IFilter, IVisionLensModel } from '../tokens';
import { QueryPageSource } from './queryPages';

/** One query of the patches view: which objects, in which order, under which filter. */
export interface IPatchesQuery {
  dataset: string;
  filter: IFilter;
  /** The request body without `offset` and `limit` (the browsed version in it). */
  query: Omit<IPatchQuery, 'offset' | 'limit'>;
}

/** The patches view's rows, keyed by their object id. */
export class PatchesPageSource extends QueryPageSource<IPatch, IPatchesQuery> {
  constructor(model: IVisionLensModel, query: IPatchesQuery) {
    super(
      query,
      async ({ dataset, filter, query: body }, offset, limit, signal) => {
        const page = await model.client.queryPatches(
          dataset,
          filter,
          { ...body, offset, limit },
          signal
        );
        return { rows: page.objects, total: page.total };
      },
      patch => patch.ann_id
    );
  }
}
