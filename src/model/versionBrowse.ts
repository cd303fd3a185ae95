/**
 * Browsing a saved version of the labels read-only: while a version is
 * browsed, every read of the samples page, counts, facets and one sample of
 * its dataset names it (`version=N`), so the grid, the filters and the sample
 * view show the labels as they were; the edit tools read `isBrowsing` and
 * step aside. The state belongs to the model (one per model, kept beside it
 * rather than in it): switching dataset ends it, and every panel is told
 * through `dataChanged`, as after an edit of every sample.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ILabelVersion, IVisionLensModel } from './tokens';

/** The version being browsed, or null (the current labels). */
export interface IBrowsedVersion {
  readonly dataset: string;
  readonly version: ILabelVersion;
}

/** The browse state of one model. */
export class VersionBrowse {
  constructor(private readonly _model: IVisionLensModel) {
    _model.datasetChanged.connect(this._onDataset, this);
  }

  /** The browsed version of the model's dataset, or null. */
  get browsed(): IBrowsedVersion | null {
    const b = this._browsed;
    return b && b.dataset === this._model.dataset ? b : null;
  }

  /** Whether a saved version (read-only) is shown: edits are off. */
  get isBrowsing(): boolean {
    return this.browsed !== null;
  }

  /** Emitted when browsing starts, ends or moves to another version. */
  get changed(): ISignal<VersionBrowse, IBrowsedVersion | null> {
    return this._changed;
  }

  /** The `version` option of a read of `dataset` (empty: the current labels). */
  params(dataset: string | null): { version?: number } {
    const b = this.browsed;
    return b && b.dataset === dataset ? { version: b.version.version } : {};
  }

  /** Show `version` of `dataset` (null: back to the current labels). */
  browse(dataset: string, version: ILabelVersion | null): void {
    const before = this.browsed;
    if ((before?.version.version ?? null) === (version?.version ?? null)) {
      return;
    }
    this._browsed = version ? { dataset, version } : null;
    this._changed.emit(this._browsed);
    this._model.notifyDataChanged({ dataset, kind: 'labels', ids: null });
  }

  private _onDataset(): void {
    if (this._browsed && this._browsed.dataset !== this._model.dataset) {
      this._browsed = null;
      this._changed.emit(null);
    }
  }

  private _browsed: IBrowsedVersion | null = null;
  private _changed = new Signal<VersionBrowse, IBrowsedVersion | null>(this);
}

const STATES = new WeakMap<IVisionLensModel, VersionBrowse>();

/** The browse state of `model` (made on first use). */
export function versionBrowse(model: IVisionLensModel): VersionBrowse {
  let state = STATES.get(model);
  if (!state) {
    state = new VersionBrowse(model);
    STATES.set(model, state);
  }
  return state;
}
