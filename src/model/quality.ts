/**
 * The quality view's state: the overview of the open dataset (label issues of
 * one model's stored run, image issues of the image-quality fields), running
 * the job that computes a missing part (progress through the jobs machinery),
 * and what a click on a row does to the shared view: the patches view of the
 * row's members or the grid filtered on them, worst first either way.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { JobError } from '../api/client';
import { IPatch } from '../api/patchTypes';
import {
  IDataChange,
  IImageIssueRow,
  IJob,
  ILabelIssueRow,
  IQualityModelInfo,
  IQualityOverview,
  IVisionLensModel
} from './tokens';
import { IRegionIssueRow } from '../api/qualityTypes';

/** The arguments of the open-patches command that show a label issue's members. */
export interface IPatchesArgs {
  [key: string]: string;
  kind: 'objects' | 'regions';
  source: string;
  sort: string;
  order: 'asc' | 'desc';
  lqModel: string;
}

/** How the quality view opens the other views (the shell's commands). */
export interface IQualityOpeners {
  patches(args: IPatchesArgs): Promise<unknown>;
  grid(): Promise<unknown>;
}

/** Which job the view runs: label quality of the chosen model, or image quality. */
export type QualityJobKind = 'label' | 'image';

/** The open-patches arguments of a label-issue row (its members, worst first). */
export function patchesArgs(row: ILabelIssueRow): IPatchesArgs {
  return {
    kind: 'objects',
    source: row.source,
    sort: row.sort,
    order: row.order,
    lqModel: row.lq_model
  };
}

/**
 * The models offered: the dataset's prediction sets, those with a stored run
 * first (newest first), then the others in the dataset's order.
 */
/** The patches view's arguments of a semantic run's row: its regions, worst first. */
export function regionArgs(row: IRegionIssueRow): IPatchesArgs {
  return {
    kind: 'regions',
    source: row.model,
    sort: row.sort,
    order: row.order,
    lqModel: row.model
  };
}

export function modelChoices(
  datasetModels: readonly string[],
  scored: readonly string[]
): string[] {
  const known = scored.filter(m => datasetModels.includes(m));
  return [...known, ...datasetModels.filter(m => !known.includes(m))];
}

/** The quality view's state over the shared model. */
export class QualityModel implements IDisposable {
  constructor(
    readonly model: IVisionLensModel,
    private readonly _open: IQualityOpeners
  ) {
    model.datasetChanged.connect(this._onDatasetChanged, this);
    model.dataChanged.connect(this._onDataChanged, this);
  }

  /** Emitted when the overview, the choice, the job or the error changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last overview of the open dataset, or null. */
  get overview(): IQualityOverview | null {
    return this._overview;
  }

  /**
   * The model whose run the label rows show (or that a run would score): the
   * one chosen, else the overview's, else the first that can be scored.
   */
  get chosenModel(): string | null {
    return (
      this._chosen ??
      this._overview?.model ??
      this.models.find(m => this.modelInfo(m)?.scorable !== false) ??
      null
    );
  }

  /** The models of the open dataset, scored ones first. */
  get models(): string[] {
    const listed = this._overview?.models;
    const names = listed
      ? listed.map(m => m.name)
      : (this.model.currentInfo?.models ?? []).map(m => m.name);
    return modelChoices(names, this._overview?.scored ?? []);
  }

  /**
   * What the server says of `model`: its kind, and whether label quality can
   * score it and why not (undefined before the overview lists it).
   */
  modelInfo(model: string): IQualityModelInfo | undefined {
    return this._overview?.models?.find(m => m.name === model);
  }

  /**
   * The URL of the crop of a row's example (with the object it disagrees
   * with, the pair its `crop` was computed for), `size` px; null without a
   * dataset.
   */
  exampleCropUrl(patch: IPatch, size: number): string | null {
    const dataset = this.model.dataset;
    return dataset
      ? this.model.client.cropUrl(
          dataset,
          patch.ann_id,
          size,
          0.25,
          patch.crop_with
        )
      : null;
  }

  /** The running job (its progress), or null. */
  get job(): IJob | null {
    return this._job;
  }

  get runningKind(): QualityJobKind | null {
    return this._running;
  }

  get error(): string | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      this._abort?.abort();
      Signal.clearData(this);
    }
  }

  /** Show `model`'s run (null: the newest); reads the overview again. */
  choose(model: string | null): Promise<void> {
    this._chosen = model;
    return this.load();
  }

  /** Read the overview of the open dataset (an older request is dropped). */
  async load(): Promise<void> {
    const dataset = this.model.dataset;
    this._abort?.abort();
    if (!dataset) {
      this._overview = null;
      this._changed.emit();
      return;
    }
    const abort = (this._abort = new AbortController());
    try {
      const overview = await this.model.client.qualityOverview(
        dataset,
        this._chosen,
        abort.signal
      );
      if (abort.signal.aborted || this._disposed) {
        return;
      }
      this._overview = overview;
      this._error = null;
    } catch (error) {
      if (abort.signal.aborted || this._disposed) {
        return;
      }
      this._error = (error as Error).message;
    }
    this._changed.emit();
  }

  /** Run the label-quality job of the chosen model, or the image-quality job. */
  async run(kind: QualityJobKind): Promise<void> {
    const dataset = this.model.dataset;
    const scored = this.chosenModel;
    const unscorable =
      scored !== null && this.modelInfo(scored)?.scorable === false;
    if (
      !dataset ||
      this._running ||
      (kind === 'label' && (!scored || unscorable))
    ) {
      return;
    }
    this._running = kind;
    this._error = null;
    if (kind === 'label') {
      this._chosen = scored;
    }
    this._changed.emit();
    try {
      const client = this.model.client;
      const job =
        kind === 'label'
          ? await client.startLabelQuality(dataset, scored as string)
          : await client.startImageQuality(dataset);
      this._job = job;
      void this.model.jobs.refresh();
      this._changed.emit();
      const ended = await client.waitForJob(job, {
        onUpdate: update => {
          this._job = update;
          this._changed.emit();
        }
      });
      this.model.jobEnded(ended);
    } catch (error) {
      this._error =
        error instanceof JobError && error.job.status === 'cancelled'
          ? 'Cancelled.'
          : (error as Error).message;
    } finally {
      this._job = null;
      this._running = null;
    }
    await this.load();
  }

  /** Cancel the running job (the server stops it at its next check). */
  async cancel(): Promise<void> {
    if (this._job) {
      await this.model.jobs.cancel(this._job.id);
    }
  }

  /** The patches view of a label issue's members, worst first. */
  async openLabelIssue(row: ILabelIssueRow): Promise<void> {
    this.model.setFilter(row.filter);
    await this._open.patches(patchesArgs(row));
  }

  /** The patches view of a semantic run's flagged regions, worst first. */
  async openRegionIssue(row: IRegionIssueRow): Promise<void> {
    this.model.setFilter(row.filter);
    await this._open.patches(regionArgs(row));
  }

  /**
   * The grid of an image issue's members (or of a classification model's
   * mislabelled images), worst first.
   */
  async openImageIssue(row: IImageIssueRow): Promise<void> {
    this.model.setRowKind('samples');
    this.model.setFilter(row.filter);
    this.model.setSort({ field: row.sort, order: row.order });
    await this._open.grid();
  }

  private _onDatasetChanged(): void {
    this._chosen = null;
    this._overview = null;
    this._error = null;
    void this.load();
  }

  /** A quality job (here, in a notebook or the CLI) wrote fields: read again. */
  private _onDataChanged(_: IVisionLensModel, change: IDataChange): void {
    if (
      change.dataset === this.model.dataset &&
      ['fields', 'labels', 'predictions'].includes(change.kind) &&
      !this._running
    ) {
      void this.load();
    }
  }

  private _overview: IQualityOverview | null = null;
  private _chosen: string | null = null;
  private _job: IJob | null = null;
  private _running: QualityJobKind | null = null;
  private _error: string | null = null;
  private _abort: AbortController | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}
