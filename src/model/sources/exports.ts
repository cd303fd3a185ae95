/**
 * Exports of a view: the view the grid shows (its selection when there is
 * one, else its filter) and the job that writes it to files on the server.
 */
import { IExportRequest, IFilter, IJob, IVisionLensModel } from '../tokens';

/** What the grid exports: the selected samples, or all matching the filter. */
export interface IExportView {
  filter: IFilter;
  /** How many samples are selected; null when the view is the filter. */
  selected: number | null;
}

/** The grid's current view: the selection when there is one, else the filter. */
export function currentView(model: IVisionLensModel): IExportView {
  const { mode, ids } = model.selection;
  if (mode === 'ids' && ids.size > 0) {
    return { filter: model.selectionFilter(), selected: ids.size };
  }
  return { filter: model.filter, selected: null };
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
