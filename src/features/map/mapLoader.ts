/**
 * Loading a map into the panel: find or start the map of a method (UMAP /
 * t-SNE run as jobs, their progress in the toolbar, cancellable), show the
 * PCA preview meanwhile, fetch the points. A newer load supersedes older
 * ones: their answers are dropped and their requests aborted.
 */
import { IJob, IVisionLensModel } from '../../model/tokens';
import { MapToolbar } from './MapToolbar';
import { fetchPoints, resolveMap } from '../../model/sources/maps';
import { IMapDescriptor, MapMethod } from '../../api/mapTypes';
import { IMapPoints } from '../../api/mapWire';

/** What the loader hands to the panel. */
export interface IMapLoaderOptions {
  model: IVisionLensModel;
  toolbar: MapToolbar;
  /** Show a map's points (`preview`: the PCA shown while UMAP / t-SNE run). */
  show: (
    desc: IMapDescriptor,
    points: IMapPoints,
    preview: boolean
  ) => Promise<void>;
  /** Whether a map of `dataset` is shown already (then no preview). */
  showing: (dataset: string) => boolean;
}

export class MapLoader {
  constructor(options: IMapLoaderOptions) {
    this._o = options;
  }

  /** Whether any load was started. */
  get started(): boolean {
    return this._token > 0;
  }

  /** Load the `wanted` map of `dataset` (null: only drop what is loading). */
  async load(dataset: string | null, wanted: MapMethod): Promise<void> {
    const token = ++this._token;
    this._abort?.abort();
    this._abort = new AbortController();
    const signal = this._abort.signal;
    if (!dataset) {
      return;
    }
    const toolbar = this._o.toolbar;
    if (wanted !== 'pca' && !this._o.showing(dataset)) {
      void this._preview(dataset, token);
    }
    try {
      const desc = await resolveMap(this._o.model, dataset, wanted, {
        signal,
        onJob: (job: IJob) => {
          this._job = job;
          toolbar.cancel.hidden = job.status === 'done';
          toolbar.jobStatus(wanted, job);
        }
      });
      toolbar.cancel.hidden = true;
      await this._fetch(dataset, desc, token, false);
    } catch (error) {
      toolbar.cancel.hidden = true;
      if ((error as Error).name !== 'AbortError' && token === this._token) {
        toolbar.setStatus((error as Error).message);
      }
    }
  }

  /** Cancel the job computing the map, if any. */
  async cancelJob(): Promise<void> {
    if (this._job) {
      await this._o.model.jobs.cancel(this._job.id).catch(() => undefined);
    }
  }

  /** Abort the requests in flight (the panel is closing). */
  abort(): void {
    this._abort?.abort();
  }

  /** While UMAP / t-SNE run, show the PCA preview (never over the final map). */
  private async _preview(dataset: string, token: number): Promise<void> {
    try {
      const desc = await resolveMap(this._o.model, dataset, 'pca', {
        signal: this._abort?.signal
      });
      if (token === this._token && !this._final) {
        await this._fetch(dataset, desc, token, true);
      }
    } catch {
      // The preview is a courtesy: the final map reports its own errors.
    }
  }

  private async _fetch(
    dataset: string,
    desc: IMapDescriptor,
    token: number,
    preview: boolean
  ): Promise<void> {
    const points = await fetchPoints(
      this._o.model,
      dataset,
      desc.id,
      this._abort?.signal
    );
    if (token !== this._token) {
      return;
    }
    this._final = !preview;
    await this._o.show(desc, points, preview);
  }

  private readonly _o: IMapLoaderOptions;
  private _token = 0;
  private _abort: AbortController | null = null;
  private _job: IJob | null = null;
  private _final = false;
}
