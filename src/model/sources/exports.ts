/**
 * Exports of a view: the view the grid shows (its selection when there is
 * one, else the search results while a search ranks the grid, else its
 * filter) and the job that writes it to files on the server.
 */
import { fmtInt } from '../../base/dom';
import {
  IExportRequest,
  IFilter,
  IMergeRequest,
  ISubsetRequest,
  IJob,
  ILabelVersion,
  IVisionLensModel
} from '../tokens';

/** What the grid exports: the selection, the search results or the filter. */
export interface IExportView {
  filter: IFilter;
  /** Which of the three the grid shows. */
  kind: 'selection' | 'search' | 'filter';
  /** How many samples the selection or the search results hold; null for the filter. */
  count: number | null;
}

/**
 * The grid's current view: the selection when there is one; else, while a
 * search ranks the grid, its results (the rows the grid shows, not every
 * sample the filter matches); else the filter.
 */
export function currentView(model: IVisionLensModel): IExportView {
  const { mode, ids } = model.selection;
  if (mode === 'ids' && ids.size > 0) {
    return {
      filter: model.selectionFilter(),
      kind: 'selection',
      count: ids.size
    };
  }
  const ranking = model.query.ranking;
  if (ranking !== null) {
    const hits = [...new Set(ranking)].sort((a, b) => a - b);
    return { filter: { ids: hits }, kind: 'search', count: hits.length };
  }
  return { filter: model.filter, kind: 'filter', count: null };
}

/**
 * `view` of `dataset` in words, for the dialogs that act on it: "the 2
 * selected samples of “d”", "the 1 sample of “d” the search found" or "the
 * samples of “d” matching the current filter".
 */
export function viewText(dataset: string, view: IExportView): string {
  const n = view.count ?? 0;
  const noun = n === 1 ? 'sample' : 'samples';
  switch (view.kind) {
    case 'selection':
      return `the ${fmtInt(n)} selected ${noun} of “${dataset}”`;
    case 'search':
      return `the ${fmtInt(n)} ${noun} of “${dataset}” the search found`;
    case 'filter':
      return `the samples of “${dataset}” matching the current filter`;
  }
}

/** Start the export job of `dataset`; the jobs list refreshes to show it. */
export async function startExport(
  model: IVisionLensModel,
  dataset: string,
  request: IExportRequest
): Promise<IJob> {
  const job = await model.client.startExport(dataset, request);
  void model.jobs.refresh();
  return job;
}

/** Start the job copying a view of `dataset` into a new dataset. */
export async function startSubset(
  model: IVisionLensModel,
  dataset: string,
  request: ISubsetRequest
): Promise<IJob> {
  const job = await model.client.startSubset(dataset, request);
  void model.jobs.refresh();
  return job;
}

/** Start the job merging the dataset `request.from` into `dataset`. */
export async function startMerge(
  model: IVisionLensModel,
  dataset: string,
  request: IMergeRequest
): Promise<IJob> {
  const job = await model.client.startMerge(dataset, request);
  void model.jobs.refresh();
  return job;
}

/**
 * The saved versions of `dataset`'s labels an export may write instead of the
 * current ones; none when the server cannot list them (the export of the
 * current labels still works).
 */
export async function exportVersions(
  model: IVisionLensModel,
  dataset: string
): Promise<ILabelVersion[]> {
  try {
    return await model.client.listVersions(dataset);
  } catch {
    return [];
  }
}
