/**
 * Samples of a dataset as the panels read them: one sample, a page of the
 * filter, its ids, its facets, the image URLs and the notebook calls of a view
 * and of a selection. Panels go through these,
 * never through the REST client.
 */
import { ISelectionPosition } from '../../api/interfaces';
import { IPage, IPageSource } from '../pageSource';
import { orderByRanking } from '../similarity';
import { sortQuery } from '../sorting';
import { versionBrowse } from '../versionBrowse';
import { colouringEvaluation } from './evaluations';
import {
  IEvaluationSummary,
  IFacets,
  IFilter,
  IQueryOptions,
  ISample,
  ISampleIds,
  ISamplesPage,
  ISelection,
  ISelectionCode,
  ISort,
  IVisionLensClient,
  IVisionLensModel
} from '../tokens';

/** Plain HTTP URL of a sample image (a thumbnail when `size` is given). */
export function imageUrl(
  model: IVisionLensModel,
  dataset: string,
  sampleId: number,
  size?: number
): string {
  return model.client.imageUrl(dataset, sampleId, size);
}

/** Plain HTTP URL of the video file of a frame sample (for a `<video>`). */
export function videoUrl(
  model: IVisionLensModel,
  dataset: string,
  sampleId: number
): string {
  return model.client.videoUrl(dataset, sampleId);
}

/**
 * Plain HTTP URL of a sample's semantic or panoptic mask of `source` (its
 * longer side at most `size` pixels when given).
 */
export function maskUrl(
  model: IVisionLensModel,
  dataset: string,
  sampleId: number,
  source: string,
  size?: number
): string {
  return model.client.maskUrl(dataset, sampleId, source, size);
}

/**
 * One sample with its boxes, tags and fields; with `evaluation` (TP/FP/FN
 * colours on: the `colouringEvaluation` of the view), each box's status in it.
 */
export async function getSample(
  model: IVisionLensModel,
  dataset: string,
  sampleId: number,
  signal?: AbortSignal,
  evaluation?: IEvaluationSummary | null
): Promise<ISample> {
  const { version } = versionBrowse(model).params(dataset);
  // a browsed version's objects have no statuses: evaluations judged the current ones
  const judged = version === undefined ? evaluation?.key : undefined;
  return model.client.getSample(dataset, sampleId, signal, judged, version);
}

/**
 * Several samples (at most 64), each as `getSample` gives it, in the order of
 * `sampleIds`, in one request: the video player's window of frames.
 */
export async function getSamples(
  model: IVisionLensModel,
  dataset: string,
  sampleIds: readonly number[],
  signal?: AbortSignal,
  evaluation?: IEvaluationSummary | null
): Promise<ISample[]> {
  const { version } = versionBrowse(model).params(dataset);
  // as getSample: a browsed version's objects have no statuses
  const judged = version === undefined ? evaluation?.key : undefined;
  return model.client.sampleDetails(
    dataset,
    sampleIds,
    signal,
    judged,
    version
  );
}

/**
 * One page of the samples matching `filter`: of the browsed version's labels
 * while one is browsed (without evaluation statuses, which are of the current
 * labels).
 */
export function samplesPage(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter,
  options: IQueryOptions,
  signal?: AbortSignal
): Promise<ISamplesPage> {
  const at = versionBrowse(model).params(dataset);
  const asked =
    at.version === undefined
      ? options
      : { ...options, eval_status: undefined, ...at };
  return model.client.querySamples(dataset, filter, asked, signal);
}

/** Every id matching `filter` (at the browsed version), in id order, and their number. */
export function sampleIds(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter,
  signal?: AbortSignal
): Promise<ISampleIds> {
  const { version } = versionBrowse(model).params(dataset);
  return model.client.ids(dataset, filter, signal, version);
}

/**
 * Where the first of `ids` stands among the grid's rows of `query`, and how
 * many of `ids` they show and hide (the selection brought into view). With a
 * ranking, its order and members answer; else the server, in the sorted
 * pages' order (at the browsed version).
 */
export async function selectionPosition(
  model: IVisionLensModel,
  query: ISamplesQuery,
  ids: readonly number[],
  signal?: AbortSignal
): Promise<ISelectionPosition> {
  const { dataset, filter, sort, ranking } = query;
  if (ranking) {
    const wanted = new Set(ids);
    const index = ranking.findIndex(id => wanted.has(id));
    const shown = ranking.filter(id => wanted.has(id)).length;
    return {
      index: index < 0 ? null : index,
      sample_id: index < 0 ? null : ranking[index],
      shown,
      hidden: wanted.size - shown
    };
  }
  const { version } = versionBrowse(model).params(dataset);
  return model.client.selectionPosition(
    dataset,
    { filter, ids: [...ids], ...sortQuery(sort), version },
    signal
  );
}

/** The facets (counts per value, histograms) of the samples matching `filter`. */
export function facets(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter,
  signal?: AbortSignal
): Promise<IFacets> {
  const { version } = versionBrowse(model).params(dataset);
  return model.client.facets(dataset, filter, signal, version);
}

/**
 * The notebook call returning the samples matching `filter` (the server's
 * `code` of a samples page, `catalog/query/view_code.py`), or null when it has none.
 */
export async function viewCode(
  model: IVisionLensModel,
  dataset: string,
  filter: IFilter,
  signal?: AbortSignal
): Promise<string | null> {
  const page = await samplesPage(
    model,
    dataset,
    filter,
    { offset: 0, limit: 0 },
    signal
  );
  return page.code ?? null;
}

/** The server's `max_ids` per client, once one of its answers said it. */
const codeLimits = new WeakMap<IVisionLensClient, number>();

/**
 * The notebook call selecting `selection` (the server's, `select_code` in
 * `catalog/query/view_code.py`): for "all matching", of `filter`. An explicit
 * selection sends at most `max_ids` + 1 of its ids (enough for the server to
 * say there is no code), so a selection of 1M samples never posts 1M ids; the
 * limit is asked once per client, with no ids.
 */
export async function selectionCode(
  model: IVisionLensModel,
  dataset: string,
  selection: ISelection,
  filter: IFilter,
  signal?: AbortSignal
): Promise<ISelectionCode> {
  const client = model.client;
  if (selection.mode === 'all') {
    return client.selectionCode(dataset, { filter }, signal);
  }
  let limit = codeLimits.get(client);
  if (limit === undefined) {
    limit = (await client.selectionCode(dataset, { ids: [] }, signal)).max_ids;
    codeLimits.set(client, limit);
  }
  const ids: number[] = [];
  for (const id of selection.ids) {
    if (ids.length > limit) {
      break;
    }
    ids.push(id);
  }
  const answer = await client.selectionCode(dataset, { ids }, signal);
  codeLimits.set(client, answer.max_ids);
  return answer;
}

/** The number of samples of a dataset (an exact count, no filter). */
export async function datasetTotal(
  model: IVisionLensModel,
  dataset: string
): Promise<number> {
  return (await samplesPage(model, dataset, {}, { offset: 0, limit: 0 })).total;
}

/** The query of a {@link SamplesPageSource}. */
export interface ISamplesQuery {
  dataset: string;
  filter: IFilter;
  sort: ISort | null;
  /** A search's result ids, best first, shown instead of the filter (null: none). */
  ranking: readonly number[] | null;
}

/**
 * The sample grid's rows: pages of `POST /samples/query` for a dataset,
 * filter and sort. With a ranking (a search's results) it shows those
 * samples in that order instead: each page is fetched by its ids and put in
 * order, and the total is the ranking's length.
 */
export class SamplesPageSource implements IPageSource<ISample> {
  constructor(
    private readonly _model: IVisionLensModel,
    readonly query: ISamplesQuery
  ) {
    this.total = query.ranking ? query.ranking.length : null;
  }

  readonly total: number | null;

  /** The ranked ids shown instead of the filter's rows, or null. */
  get ranking(): readonly number[] | null {
    return this.query.ranking;
  }

  key(sample: ISample): number {
    return sample.sample_id;
  }

  async fetch(
    offset: number,
    limit: number,
    signal: AbortSignal
  ): Promise<IPage<ISample>> {
    const { dataset, filter, sort, ranking } = this.query;
    const evalStatus = await this._evalStatus();
    if (ranking) {
      const ids = ranking.slice(offset, offset + limit);
      const page = await samplesPage(
        this._model,
        dataset,
        { ids },
        { offset: 0, limit: ids.length, ...evalStatus },
        signal
      );
      return {
        rows: orderByRanking(ids, page.samples),
        total: null,
        code: null
      };
    }
    const page = await samplesPage(
      this._model,
      dataset,
      filter,
      { offset, limit, ...sortQuery(sort), ...evalStatus },
      signal
    );
    return { rows: page.samples, total: page.total, code: page.code ?? null };
  }

  /**
   * Fetch the boxes with their TP/FP/FN status (in the `colouringEvaluation`),
   * or without.
   */
  setEvalColours(on: boolean): void {
    this._evalColours = on;
  }

  /**
   * The evaluation whose statuses the pages carry (what the legend names):
   * null with the colours off or without an evaluation. Read once per source
   * (a new query, or another evaluation picked, is a new source).
   */
  evaluation(): Promise<IEvaluationSummary | null> {
    if (!this._evalColours) {
      return Promise.resolve(null);
    }
    this._evaluation ??= colouringEvaluation(
      this._model,
      this.query.dataset,
      this.query.filter
    ).catch(() => null);
    return this._evaluation;
  }

  /** The `eval_status` option of the pages: only with the colours on. */
  private async _evalStatus(): Promise<{ eval_status?: string }> {
    const evaluation = await this.evaluation();
    return evaluation ? { eval_status: evaluation.key } : {};
  }

  private _evalColours = false;
  private _evaluation: Promise<IEvaluationSummary | null> | null = null;
}
