/**
 * The patches view's state: which objects (a source's boxes or an
 * evaluation's patches), their order, the page shown, and the patch
 * selection. Pages come from the one REST client behind the model token,
 * under the shared model's filter; a patch selection becomes the shared
 * selection of its samples (so the grid and the notebook see it), and
 * `onlySelectedSamples` goes back: the objects of the selected samples.
 * While a saved version is browsed (`versionBrowse`), the pages, the crops
 * and a selection's samples are of that version's objects.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { IFilter } from '../api/types';
import {
  IPatch,
  IPatchMatch,
  IPatchesPage,
  IPatchQuery,
  PatchKind,
  PatchStatus
} from '../api/patchTypes';
import { LabelType } from './labels';
import {
  GROUND_TRUTH,
  IAnnotation,
  IDataChange,
  IVisionLensModel
} from './tokens';
import { versionBrowse } from './versionBrowse';

/** Objects per page of the patches view. */
export const PATCH_PAGE_SIZE = 60;

/** What the patches view shows, besides the filter. */
export interface IPatchesChoice {
  kind: PatchKind;
  /** kind `objects`: the boxes' source; kind `evaluation`: the model. */
  source: string;
  statuses?: PatchStatus[];
  sort: string;
  order: 'asc' | 'desc';
  /** The label-quality run whose issue and score the objects carry (default: the server's). */
  lqModel?: string;
}

/** What a patch tile draws over its crop (`patchLabels`). */
export interface IPatchLabels {
  /** The image's size and the region of it the crop shows, `[x, y, w, h]`. */
  width: number;
  height: number;
  region: [number, number, number, number];
  /** The object, and for a pair the ground truth it matched first. */
  annotations: IAnnotation[];
  /** The label types drawn: masks and keypoints; a pair's two boxes too. */
  shown: ReadonlySet<LabelType>;
}

const SHAPES: ReadonlySet<LabelType> = new Set(['masks', 'keypoints']);
const PAIR: ReadonlySet<LabelType> = new Set(['boxes', 'masks', 'keypoints']);

/**
 * What the tile of `patch` draws over its crop, or null for nothing (no mask,
 * no keypoints, no pair, or an image of unknown size). The crop shows the
 * object itself, so its box is drawn only for a pair (an evaluation patch
 * with its partner: a true positive's match, a false positive's explaining
 * ground truth, a miss's best-overlapping prediction): there the two
 * outlines are the point. The partner is drawn first, ground truth solid and
 * predictions dashed; in a true positive both carry its status, otherwise
 * the partner is drawn in its class colour (only the patch has the status).
 */
export function patchLabels(patch: IPatch): IPatchLabels | null {
  const { crop, image_width: width, image_height: height } = patch;
  const own: IAnnotation = {
    ann_id: patch.ann_id,
    source: patch.source,
    label: patch.label,
    bbox: [patch.x, patch.y, patch.w, patch.h],
    score: patch.score,
    status: patch.status ?? null
  };
  if (patch.segmentation !== undefined && patch.segmentation !== null) {
    own.segmentation = patch.segmentation;
  }
  if (Array.isArray(patch.keypoints)) {
    own.keypoints = patch.keypoints;
  }
  const shapes = own.segmentation !== undefined || own.keypoints !== undefined;
  const m = patchPartner(patch);
  if (!crop || !width || !height || !(shapes || m)) {
    return null;
  }
  const annotations = [own];
  if (m) {
    annotations.unshift({
      ann_id: m.ann_id,
      source: m.source,
      label: m.label,
      bbox: [m.x, m.y, m.w, m.h],
      score: m.score,
      status: patch.status === 'tp' ? 'tp' : null
    });
  }
  return {
    width,
    height,
    region: crop,
    annotations,
    shown: annotations.length > 1 ? PAIR : SHAPES
  };
}

/**
 * The partner `patch` is drawn with, or null: only one the server cropped
 * with it (`crop_with`), so the boxes line up with the crop.
 */
export function patchPartner(patch: IPatch): IPatchMatch | null {
  const m = patch.match;
  return m && patch.crop_with === m.ann_id ? m : null;
}

/** The patches view's state over the shared model. */
export class PatchesModel implements IDisposable {
  constructor(model: IVisionLensModel, pageSize = PATCH_PAGE_SIZE) {
    this.model = model;
    this._pageSize = pageSize;
    model.filterChanged.connect(this._onViewChanged, this);
    model.datasetChanged.connect(this._onDatasetChanged, this);
    model.dataChanged.connect(this._onDataChanged, this);
  }

  readonly model: IVisionLensModel;

  /** Emitted when the page, the choice, the selection or the error changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get choice(): IPatchesChoice {
    return this._choice;
  }

  /** The page shown, or null before the first answer. */
  get page(): IPatchesPage | null {
    return this._page;
  }

  /** The last request's error message, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether only the objects of the shared selection's samples are shown. */
  get onlySelectedSamples(): boolean {
    return this._onlySelected;
  }

  /** The selected objects (annotation ids). */
  get selected(): ReadonlySet<number> {
    return new Set(this._selected.keys());
  }

  /** The selected objects, as their pages showed them. */
  get selectedPatches(): IPatch[] {
    return [...this._selected.values()];
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._abort?.abort();
    Signal.clearData(this);
  }

  /** The request body of the current choice at `offset` (of the browsed version). */
  query(offset: number): IPatchQuery {
    const c = this._choice;
    const query: IPatchQuery = {
      kind: c.kind,
      sort: c.sort || undefined,
      order: c.order,
      offset,
      limit: this._pageSize,
      ...versionBrowse(this.model).params(this.model.dataset)
    };
    if (c.kind === 'evaluation') {
      query.model = c.source;
      query.statuses = c.statuses;
    } else {
      query.source = c.source;
    }
    if (c.lqModel) {
      query.lq_model = c.lqModel;
    }
    return query;
  }

  /** The filter the pages are read under. */
  filter(): IFilter {
    return this._onlySelected
      ? this.model.selectionFilter()
      : this.model.filter;
  }

  /** Show other objects or another order (from the first page). */
  setChoice(choice: Partial<IPatchesChoice>): Promise<void> {
    const next = { ...this._choice, ...choice };
    if (choice.kind && choice.kind !== this._choice.kind && !choice.sort) {
      next.sort = choice.kind === 'evaluation' ? 'iou' : 'score';
    }
    if (choice.source !== undefined && choice.lqModel === undefined) {
      delete next.lqModel; // another source: its own model's run (the server's default)
    }
    this._choice = next;
    this._selected = new Map();
    return this.load(0);
  }

  /** Show only the objects of the shared selection's samples, or all again. */
  setOnlySelectedSamples(only: boolean): Promise<void> {
    this._onlySelected = only;
    return this.load(0);
  }

  /** Read the page at `offset` (an older request still running is dropped). */
  async load(offset: number): Promise<void> {
    const dataset = this.model.dataset;
    this._abort?.abort();
    if (!dataset) {
      this._page = null;
      this._changed.emit();
      return;
    }
    const abort = (this._abort = new AbortController());
    try {
      const page = await this.model.client.queryPatches(
        dataset,
        this.filter(),
        this.query(Math.max(0, offset)),
        abort.signal
      );
      if (abort.signal.aborted || this._disposed) {
        return;
      }
      this._page = page;
      this._error = null;
    } catch (error) {
      if (abort.signal.aborted || this._disposed) {
        return;
      }
      this._error = (error as Error).message;
    }
    this._changed.emit();
  }

  /** The next / previous page (nothing past the ends). */
  turn(pages: number): Promise<void> {
    const page = this._page;
    if (!page) {
      return this.load(0);
    }
    const offset = page.offset + pages * this._pageSize;
    if (offset < 0 || offset >= page.total) {
      return Promise.resolve();
    }
    return this.load(offset);
  }

  /** The URL of the crop of `patch` of `dataset` (with its pair's), `size` px (where it was at the browsed version). */
  cropUrl(dataset: string, patch: IPatch, size: number): string {
    const pair = patch.crop_with ?? undefined;
    const { version } = versionBrowse(this.model).params(dataset);
    return this.model.client.cropUrl(
      dataset,
      patch.ann_id,
      size,
      0.25,
      pair,
      version
    );
  }

  isSelected(annId: number): boolean {
    return this._selected.has(annId);
  }

  /**
   * Select or unselect one patch; the shared selection becomes the samples of
   * the selected patches (the grid, the map and the notebook see them).
   */
  async toggle(patch: IPatch): Promise<void> {
    const next = new Map(this._selected);
    if (!next.delete(patch.ann_id)) {
      next.set(patch.ann_id, patch);
    }
    this._selected = next;
    this._changed.emit();
    await this._share();
  }

  /** Unselect every patch (and the shared selection with them). */
  async clear(): Promise<void> {
    this._selected = new Map();
    this._changed.emit();
    await this._share();
  }

  private async _share(): Promise<void> {
    const dataset = this.model.dataset;
    if (!dataset) {
      return;
    }
    const wanted = this._selected;
    const { version } = versionBrowse(this.model).params(dataset);
    const ids = wanted.size
      ? await this.model.client.patchSamples(
          dataset,
          [...wanted.keys()],
          undefined,
          version
        )
      : [];
    if (wanted === this._selected && !this._disposed) {
      this.model.setSelection(ids, 'patches'); // a later click's answer wins
    }
  }

  private _onViewChanged(): void {
    this._selected = new Map();
    void this.load(0);
  }

  /**
   * Labels changed (an edit here or elsewhere): read the page again where it
   * is; selected objects the page showed and no longer shows are unselected.
   */
  private async _onDataChanged(
    _: IVisionLensModel,
    change: IDataChange
  ): Promise<void> {
    const page = this._page;
    if (
      change.dataset !== this.model.dataset ||
      !['labels', 'predictions', 'evaluation'].includes(change.kind)
    ) {
      return;
    }
    await this.load(page?.offset ?? 0);
    const shown = new Set((this._page?.objects ?? []).map(p => p.ann_id));
    const gone = (page?.objects ?? []).filter(
      p => this._selected.has(p.ann_id) && !shown.has(p.ann_id)
    );
    if (gone.length) {
      const next = new Map(this._selected);
      gone.forEach(p => next.delete(p.ann_id));
      this._selected = next;
      this._changed.emit();
      await this._share();
    }
  }

  private _onDatasetChanged(): void {
    this._choice = { ...DEFAULT_CHOICE };
    this._onlySelected = false;
    this._onViewChanged();
  }

  private _pageSize: number;
  private _choice: IPatchesChoice = { ...DEFAULT_CHOICE };
  private _page: IPatchesPage | null = null;
  private _error: string | null = null;
  private _selected: Map<number, IPatch> = new Map();
  private _onlySelected = false;
  private _abort: AbortController | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}

const DEFAULT_CHOICE: IPatchesChoice = {
  kind: 'objects',
  source: GROUND_TRUTH,
  sort: '',
  order: 'asc'
};
