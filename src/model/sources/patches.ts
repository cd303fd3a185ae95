/**
 * Objects of a dataset as the patches view reads them: pages of
 * `POST datasets/{name}/patches` (a `QueryPageSource`); of kind `regions`,
 * a semantic run's regions as tiles (`regionTile`).
 */
import { IPatch, IPatchQuery } from '../../api/patchTypes';
import { regionTile } from '../regionPatches';
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
        if (body.kind === 'regions') {
          const regions = await model.client.queryRegionPatches(
            dataset,
            filter,
            { ...body, offset, limit },
            signal
          );
          const run = regions.source; // the semantic model whose regions they are
          return {
            rows: regions.objects.map(r => regionTile(run, r)),
            total: regions.total
          };
        }
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
