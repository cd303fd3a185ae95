/**
 * The model token of the VisionLens lab extension, and the lab-side plugin API
 * other extensions register on it.
 *
 * Every panel is its own plugin that requires `IVisionLensModel`; panels never
 * talk to each other directly, they read and change the one shared state here
 * and reach the server only through the model layer (`src/model/`).
 *
 * The plugin API is versioned (`VISIONLENS_EXTENSIONS_API_VERSION`): a minor
 * bump only adds optional members, a major bump may change or remove them
 * (see docs/plugins.md).
 */
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import { IVisionLensClient } from '../api/interfaces';
import { IDatasetInfo, IFilter, IJob, ISample } from '../api/types';
import {
  IDataChange,
  IJobsModel,
  IQueryChange,
  IRevealRequest,
  ISearchModel,
  ISelection,
  ISort,
  IViewQuery,
  RowKind,
  SelectionOrigin
} from './interfaces';

export * from '../api/types';
export * from '../api/mapTypes';
export * from '../api/blindSpotTypes';
export * from '../api/editTypes';
export * from '../api/segmentTypes';
export * from '../api/modelJobTypes';
export * from '../api/labelStudioTypes';
export * from '../api/exportTypes';
export * from '../api/patchTypes';
export * from '../api/versionTypes';
export * from '../api/qualityTypes';
export * from '../api/selectionTypes';
export * from '../api/interfaces';
export * from '../api/wireTypes';
export * from './interfaces';

/**
 * The shared VisionLens state and REST client.
 *
 * Other JupyterLab extensions require this token to extend VisionLens: they
 * register tile overlays, sample-view sections and map colour schemes on
 * `extensions`, and a panel of their own reads and sets the shared selection
 * through `selection`, `setSelection`, `addToSelection`, `clearSelection` and
 * `selectionChanged` (see docs/plugins.md).
 */
export interface IVisionLensModel {
  readonly client: IVisionLensClient;
  /** The versioned registry of lab-side contributions (other extensions). */
  readonly extensions: IVisionLensExtensions;
  /** The server's background jobs. */
  readonly jobs: IJobsModel;
  /** The similarity / text search shown in the grid. */
  readonly search: ISearchModel;

  /** The current dataset name, or null. */
  readonly dataset: string | null;
  setDataset(name: string | null): void;
  readonly datasetChanged: ISignal<IVisionLensModel, string | null>;

  /** Known datasets (from the last `refreshDatasets`). */
  readonly datasets: readonly IDatasetInfo[];
  /**
   * Read the datasets list again (calls in one tick share one read). `job`:
   * the job whose change prompts it; its change is read for once, however
   * often it is told (its job event, then its dataset event).
   */
  refreshDatasets(job?: string): Promise<IDatasetInfo[]>;
  readonly datasetsChanged: ISignal<IVisionLensModel, readonly IDatasetInfo[]>;
  /** The listing of the current dataset, if known. */
  readonly currentInfo: IDatasetInfo | null;

  /**
   * The whole view query: dataset, filter, sort, row kind and the search's
   * ranking. Every view shows its rows, in its order.
   */
  readonly query: IViewQuery;
  /** Emitted on every query change, with the parts that changed. */
  readonly queryChanged: ISignal<IVisionLensModel, IQueryChange>;

  /** The current filter (`query.filter`). Treat as immutable. */
  readonly filter: IFilter;
  /** Replace the filter; the previous one becomes undoable. */
  setFilter(filter: IFilter): void;
  /** Replace the sort; the previous one becomes undoable. */
  setSort(sort: ISort): void;
  setRowKind(rowKind: RowKind): void;
  /** Go back to the filter and sort before the last change. */
  undo(): boolean;
  /** Redo the last undone filter or sort change. */
  redo(): boolean;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  /** Emitted when the filter changed (also by a dataset change or undo). */
  readonly filterChanged: ISignal<IVisionLensModel, IFilter>;

  /** The selection shared by every view (the grid, the map, other extensions). */
  readonly selection: ISelection;
  /**
   * Select exactly these sample ids (of the current dataset). `origin`: who
   * selects (default `other`); a selection made elsewhere than the grid is
   * brought into view (`selectionRevealRequested`).
   */
  setSelection(ids: Iterable<number>, origin?: SelectionOrigin): void;
  toggleSelected(id: number, origin?: SelectionOrigin): void;
  /** Add these sample ids to the selection (`origin`: as `setSelection`). */
  addToSelection(ids: Iterable<number>, origin?: SelectionOrigin): void;
  /** Select every sample matching the current filter (mode `all`). */
  selectAllMatching(): void;
  clearSelection(): void;
  isSelected(id: number): boolean;
  /** The filter that designates the selected samples (for tagging, export). */
  selectionFilter(): IFilter;
  readonly selectionChanged: ISignal<IVisionLensModel, ISelection>;
  /**
   * Emitted after `selectionChanged` when explicit ids were selected from
   * elsewhere than the grid: the grid scrolls to them (and comes in front of
   * the Patches view), saying how many the filter hides.
   */
  readonly selectionRevealRequested: ISignal<IVisionLensModel, IRevealRequest>;

  /**
   * The evaluation picked in the Evaluation panel (its key, FiftyOne's eval
   * key): the one whose TP/FP/FN statuses colour the labels when the filter
   * names none; null (after a dataset change too): the newest evaluation.
   */
  readonly evalKey: string | null;
  setEvalKey(key: string | null): void;
  readonly evalKeyChanged: ISignal<IVisionLensModel, string | null>;

  /** Box sources hidden in every view. */
  isSourceVisible(source: string): boolean;
  setSourceVisible(source: string, visible: boolean): void;
  /** Predictions under this score are hidden in every view. */
  readonly confidenceThreshold: number;
  setConfidenceThreshold(value: number): void;
  /** Sample fields (`split`, `fields.<key>`) shown on grid tiles. */
  readonly visibleFields: readonly string[];
  setFieldVisible(name: string, visible: boolean): void;
  /** Whether a box of `source` with `score` is drawn (sources + threshold). */
  isBoxVisible(source: string, score: number | null): boolean;
  /** Colour of a class in every view (settings overrides first). */
  classColor(label: string): string;
  setColorOverrides(overrides: { [label: string]: string }): void;
  /** The JupyterLab theme changed: views redraw in its colours. */
  themeChanged(): void;
  /** Emitted when sources, threshold, colours or the theme change. */
  readonly viewChanged: ISignal<IVisionLensModel, void>;

  /** Add/remove tags on the selected samples; emits `dataChanged`. */
  tagSelection(add: string[], remove: string[]): Promise<number>;
  /** Add/remove tags on one sample; emits `dataChanged`. */
  tagSamples(ids: number[], add: string[], remove: string[]): Promise<number>;
  /**
   * Server-side data changed: which dataset, what kind of write and, when
   * known, which samples (views refetch only what the change can touch).
   */
  readonly dataChanged: ISignal<IVisionLensModel, IDataChange>;
  notifyDataChanged(change: IDataChange): void;
  /**
   * A job this side waited on ended: what it changed is announced through
   * `dataChanged` (and a fresh datasets list), once per job, whether the
   * server's job event or a waiting panel told of its end first.
   */
  jobEnded(job: IJob): void;

  /** Resolves when the persisted state has been restored. */
  readonly restored: Promise<void>;
}

/** The token of the shared VisionLens model. */
export const IVisionLensModel = new Token<IVisionLensModel>(
  'visionlens_jlab:IVisionLensModel',
  'The shared VisionLens state (dataset, filter, selection, view) and REST client.'
);

/** Command ids shared by the panels (panels reach each other only through these). */
export namespace CommandIDs {
  export const openPanel = 'visionlens:open-panel';
  export const openGrid = 'visionlens:open-grid';
  export const openSample = 'visionlens:open-sample';
  export const openSampleTab = 'visionlens:open-sample-tab';
  export const openFilters = 'visionlens:open-filters';
  export const openJobs = 'visionlens:open-jobs';
  export const openInVisionLens = 'visionlens:open-in-visionlens';
  export const undoFilter = 'visionlens:undo-filter';
  export const redoQuery = 'visionlens:redo-query';
  export const clearFilters = 'visionlens:clear-filters';
  export const selectAll = 'visionlens:select-all-matching';
  export const clearSelection = 'visionlens:clear-selection';
  export const showSelected = 'visionlens:show-selected';
  export const tagSelected = 'visionlens:tag-selected';
  export const moreLikeThis = 'visionlens:more-like-this';
  export const gridMoveLeft = 'visionlens:grid-move-left';
  export const gridMoveRight = 'visionlens:grid-move-right';
  export const gridMoveUp = 'visionlens:grid-move-up';
  export const gridMoveDown = 'visionlens:grid-move-down';
  export const gridToggleSelected = 'visionlens:grid-toggle-selected';
  export const gridOpenSample = 'visionlens:grid-open-sample';
  export const gridPageDown = 'visionlens:grid-page-down';
  export const gridPageUp = 'visionlens:grid-page-up';
  export const gridFirst = 'visionlens:grid-first';
  export const gridLast = 'visionlens:grid-last';
  export const gridTag = 'visionlens:grid-tag';
  export const sampleClose = 'visionlens:sample-close';
  export const sampleDeleteObject = 'visionlens:sample-delete-object';
  export const sampleRelabelObject = 'visionlens:sample-relabel-object';
  export const sampleAcceptObject = 'visionlens:sample-accept-object';
  export const sampleRotateObject = 'visionlens:sample-rotate-object';
  export const sampleDrawBox = 'visionlens:sample-draw-box';
  export const sampleDrawPolygon = 'visionlens:sample-draw-polygon';
  export const samplePolygonClose = 'visionlens:sample-polygon-close';
  export const samplePolygonUndoPoint = 'visionlens:sample-polygon-undo-point';
  export const sampleDrawRotatedBox = 'visionlens:sample-draw-rotated-box';
  export const sampleDrawPolyline = 'visionlens:sample-draw-polyline';
  export const samplePolylineFinish = 'visionlens:sample-polyline-finish';
  export const samplePolylineUndoPoint =
    'visionlens:sample-polyline-undo-point';
  export const sampleDrawKeypoints = 'visionlens:sample-draw-keypoints';
  export const sampleKeypointsFinish = 'visionlens:sample-keypoints-finish';
  export const sampleKeypointsSkip = 'visionlens:sample-keypoints-skip';
  export const sampleKeypointsUndoPoint =
    'visionlens:sample-keypoints-undo-point';
  export const sampleMaskTool = 'visionlens:sample-mask-tool';
  export const sampleMaskAccept = 'visionlens:sample-mask-accept';
  export const sampleMaskToSelected = 'visionlens:sample-mask-to-selected';
  export const sampleMaskUndoClick = 'visionlens:sample-mask-undo-click';
  export const sampleMaskBrush = 'visionlens:sample-mask-brush';
  export const sampleMaskEraser = 'visionlens:sample-mask-eraser';
  export const sampleBrushSmaller = 'visionlens:sample-brush-smaller';
  export const sampleBrushLarger = 'visionlens:sample-brush-larger';
  export const sampleUndoEdit = 'visionlens:sample-undo-edit';
  export const sampleRedoEdit = 'visionlens:sample-redo-edit';
  export const samplePrevious = 'visionlens:sample-previous';
  export const sampleNext = 'visionlens:sample-next';
  export const clearSearch = 'visionlens:clear-search';
  export const computeEmbeddings = 'visionlens:compute-embeddings';
  export const runModel = 'visionlens:run-model';
  export const openDuplicates = 'visionlens:open-duplicates';
  export const openMap = 'visionlens:open-map';
  export const openPlugins = 'visionlens:open-plugins';
  export const openBlindSpots = 'visionlens:open-blindspots';
  export const exportView = 'visionlens:export-view';
  export const subsetView = 'visionlens:subset-view';
  export const mergeInto = 'visionlens:merge-into';
  export const deleteViewLabels = 'visionlens:delete-view-labels';
  export const deleteModel = 'visionlens:delete-model';
  export const openPatches = 'visionlens:open-patches';
  export const openVideos = 'visionlens:open-videos';
  export const openTracks = 'visionlens:open-tracks';
  export const labelStudio = 'visionlens:label-studio';
  export const openVersions = 'visionlens:open-versions';
  export const openQuality = 'visionlens:open-quality';
  export const openEvaluation = 'visionlens:open-evaluation';
  export const openSelection = 'visionlens:open-selection';
}
/** Version of the registry interface: "major.minor". */
export const VISIONLENS_EXTENSIONS_API_VERSION = '1.0';

/** What every contribution names: who made it and its place among the others. */
export interface IContribution {
  /** Unique within its kind (a second registration with the same id is refused). */
  readonly id: string;
  /** The extension that registered it (shown in the Plugins panel and in logs). */
  readonly owner: string;
  /** Lower ranks run (or show) first; default 100; ties keep registration order. */
  readonly rank?: number;
}

/** What a tile overlay draws on: one grid tile showing one sample. */
export interface ITileOverlayContext {
  readonly model: IVisionLensModel;
  readonly sample: ISample;
  /**
   * An element covering the tile, above the image and the boxes, emptied
   * before every call. Append anything (a canvas, text) to it; it ignores the
   * pointer, so clicks still reach the tile.
   */
  readonly element: HTMLElement;
  /** Tile side in CSS pixels. */
  readonly size: number;
}

/** A renderer called for every grid tile each time it shows a sample or the view changes. */
export interface ITileOverlay extends IContribution {
  render(context: ITileOverlayContext): void;
}

/** What a sample-view section renders into. */
export interface ISampleSectionContext {
  readonly model: IVisionLensModel;
  readonly sample: ISample;
  /** The section's body (below its title), emptied before every call. */
  readonly element: HTMLElement;
}

/** A titled section in the sample view's side column, below the built-in tables. */
export interface ISampleViewSection extends IContribution {
  /** The section's heading (text). */
  readonly title: string;
  render(context: ISampleSectionContext): void;
}

/** A colour scheme the map's "Colours" picker offers. */
export interface IMapColorScheme extends IContribution {
  /** Its name in the picker. */
  readonly label: string;
  /**
   * CSS colour (`#rrggbb`, `rgb()` or `hsl()`) of a categorical value;
   * `index` is the value's rank by count (0: the most frequent).
   * Missing: the model's class colours.
   */
  categorical?(value: string, index: number): string;
  /** CSS colour at `t` in 0..1 for numeric fields. Missing: the built-in ramp. */
  numeric?(t: number): string;
}

/** The contribution kinds. */
export type ContributionKind =
  'tileOverlay' | 'sampleSection' | 'mapColorScheme';

/** One registered contribution as the Plugins panel lists it. */
export interface IContributionInfo {
  readonly kind: ContributionKind;
  readonly id: string;
  readonly owner: string;
  /** How many of its calls threw. */
  readonly errors: number;
  /** The message of the last error, or null. */
  readonly lastError: string | null;
}

/**
 * The registry of lab-side contributions (`model.extensions`).
 *
 * Every `add*` returns an `IDisposable` that unregisters the contribution.
 * A contribution that throws is caught, logged with its owner and counted: it
 * never breaks the grid, the sample view or the map. To read and set the
 * shared selection from an extension's own panel, use the model's selection
 * API (`model.selection`, `model.setSelection`, `model.addToSelection`,
 * `model.clearSelection`, `model.selectionChanged`).
 */
export interface IVisionLensExtensions {
  /** The interface version ("major.minor"), `VISIONLENS_EXTENSIONS_API_VERSION`. */
  readonly apiVersion: string;
  /**
   * Whether this registry serves an extension written for `version`
   * ("major" or "major.minor"): same major, and a minor no newer than ours.
   */
  supports(version: string): boolean;

  addTileOverlay(overlay: ITileOverlay): IDisposable;
  addSampleViewSection(section: ISampleViewSection): IDisposable;
  addMapColorScheme(scheme: IMapColorScheme): IDisposable;

  /** Registered contributions of a kind, by rank then registration order. */
  readonly tileOverlays: readonly ITileOverlay[];
  readonly sampleViewSections: readonly ISampleViewSection[];
  readonly mapColorSchemes: readonly IMapColorScheme[];
  /** A colour scheme by id, or null. */
  mapColorScheme(id: string): IMapColorScheme | null;

  /** Every contribution with its error count (the Plugins panel). */
  contributions(): IContributionInfo[];

  /**
   * Call `fn` for a contribution, catching and logging what it throws.
   * Returns false when it threw. The views call this; extensions need not.
   */
  invoke(
    kind: ContributionKind,
    contribution: IContribution,
    fn: () => void
  ): boolean;

  /** Emitted when a contribution of a kind is added or removed. */
  readonly changed: ISignal<IVisionLensExtensions, ContributionKind>;
  /** Emitted when a contribution throws (views do not re-render on it). */
  readonly failed: ISignal<IVisionLensExtensions, IContributionInfo>;
}
