/**
 * Objects of a dataset as the patches view reads them: pages of
 * `POST datasets/{name}/patches` by offset and limit, with the server's exact
 * total. A `PageCache` over this source gives the patches view what the
 * sample grid has (pages cached by offset, stale requests aborted and
 * dropped, only the pages in view fetched).
 */
import { IPatch, IPatchQuery } from '../../api/patchTypes';
import { IPage, IPageSource } from '../pageSource';
import { IFilter, IVisionLensModel } from '../tokens';

/** One query of the patches view: which objects, in which order, under which filter. */
export interface IPatchesQuery {
  dataset: string;
  filter: IFilter;
  /** The request body without `offset` and `limit` (the browsed version in it). */
  query: Omit<IPatchQuery, 'offset' | 'limit'>;
}

/**
 * The patches view's rows: immutable, a new choice, filter, version or edit
 * is a new source (its pages are fetched again).
 */
export class PatchesPageSource implements IPageSource<IPatch> {
  constructor(
    private readonly _model: IVisionLensModel,
    readonly query: IPatchesQuery
  ) {}

  /** Unknown until the first page answers (the server's exact count). */
  readonly total = null;

  key(patch: IPatch): number {
    return patch.ann_id;
  }

  async fetch(
    offset: number,
    limit: number,
    signal: AbortSignal
  ): Promise<IPage<IPatch>> {
    const { dataset, filter, query } = this.query;
    const page = await this._model.client.queryPatches(
      dataset,
      filter,
      { ...query, offset, limit },
      signal
    );
    return { rows: page.objects, total: page.total, code: null };
  }
}
