/**
 * The model token of the VisionLens lab extension and the interfaces behind it.
 *
 * Every panel is its own plugin that requires `IVisionLensModel`; panels never
 * talk to each other directly, they read and change the one shared state here,
 * and reach the server only through its `client`.
 */
import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import {
  IDatasetDetail,
  IDatasetInfo,
  IDuplicatesRequest,
  IDuplicatesResult,
  IEmbeddingModel,
  IEmbedRequest,
  IEvaluationReport,
  IEvaluationRequest,
  IEvaluationSummary,
  IFacets,
  IFilter,
  IJob,
  IPluginsListing,
  IQueryOptions,
  ISample,
  ISamplesPage,
  ISearchRequest,
  ISearchResult,
  IVectorSpace
} from './types';
import { IMapDescriptor, IMapRequest, MapShape } from './map/types';
import { IVisionLensExtensions } from './registry/types';

export * from './types';
export * from './map/types';
export * from './registry/types';
import {
  BlindSpotVerdict,
  IBlindSpotsRequest,
  IBlindSpotsResult
} from './blindspots/types';

export * from './types';
export * from './map/types';
export * from './blindspots/types';

/** The body of `POST /datasets` (an ingest). */
export interface IIngestRequest {
  source: string;
  name: string;
  format?: string;
  images?: string;
  split?: string;
}

/** How `waitForJob` follows a job. */
export interface IWaitForJobOptions {
  /** Stop waiting (the job itself goes on): the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /** Poll interval in ms (default 500). */
  intervalMs?: number;
  /** Called with every state seen, the first and the last included. */
  onUpdate?: (job: IJob) => void;
}

/** Typed REST client of `{base_url}visionlens/api/`: the only way to the server. */
export interface IVisionLensClient {
  /** The Jupyter server connection every request goes through. */
  readonly serverSettings: ServerConnection.ISettings;
  listDatasets(signal?: AbortSignal): Promise<IDatasetInfo[]>;
  getDataset(name: string, signal?: AbortSignal): Promise<IDatasetDetail>;
  /** Start an ingest job. */
  ingest(body: IIngestRequest): Promise<IJob>;
  deleteDataset(name: string): Promise<void>;
  listJobs(signal?: AbortSignal): Promise<IJob[]>;
  getJob(id: string, signal?: AbortSignal): Promise<IJob>;
  /** Ask the server to cancel a job; answers its state after the request. */
  cancelJob(id: string): Promise<IJob>;
  /**
   * Poll a job until it ends. Resolves with the `done` job; rejects with a
   * `JobError` when it failed or was cancelled, with an AbortError when
   * `options.signal` is aborted.
   */
  waitForJob(job: IJob | string, options?: IWaitForJobOptions): Promise<IJob>;
  querySamples(
    dataset: string,
    filter: IFilter,
    options: IQueryOptions,
    signal?: AbortSignal
  ): Promise<ISamplesPage>;
  getSample(
    dataset: string,
    sampleId: number,
    signal?: AbortSignal
  ): Promise<ISample>;
  ids(
    dataset: string,
    filter: IFilter,
    signal?: AbortSignal
  ): Promise<{ ids: number[]; total: number }>;
  tags(
    dataset: string,
    filter: IFilter,
    add: string[],
    remove: string[]
  ): Promise<{ updated: number }>;
  facets(
    dataset: string,
    filter: IFilter,
    signal?: AbortSignal
  ): Promise<IFacets>;
  /** Stored evaluations of a dataset, newest first. */
  listEvaluations(
    dataset: string,
    signal?: AbortSignal
  ): Promise<IEvaluationSummary[]>;
  getEvaluation(
    dataset: string,
    key: string,
    signal?: AbortSignal
  ): Promise<IEvaluationReport>;
  /** Start an evaluation job. */
  startEvaluation(dataset: string, request: IEvaluationRequest): Promise<IJob>;
  /** Embedding models usable here (`GET /models`). */
  listModels(signal?: AbortSignal): Promise<IEmbeddingModel[]>;
  /** Start an embedding job (only samples without a vector for the model). */
  embed(dataset: string, request?: IEmbedRequest): Promise<IJob>;
  /** Similarity or text search, best first, within `request.filter`. */
  search(
    dataset: string,
    request: ISearchRequest,
    signal?: AbortSignal
  ): Promise<ISearchResult>;
  /** The vector spaces of a dataset (one per embedding model). */
  listSpaces(dataset: string, signal?: AbortSignal): Promise<IVectorSpace[]>;
  /** Start a near-duplicates and leaks job (its result: `IDuplicatesResult`). */
  findDuplicates(dataset: string, request: IDuplicatesRequest): Promise<IJob>;
  /** The last duplicates result of a dataset, or null when none was computed. */
  lastDuplicates(
    dataset: string,
    signal?: AbortSignal
  ): Promise<IDuplicatesResult | null>;
  /** Stored embedding maps of a dataset. */
  listMaps(dataset: string, signal?: AbortSignal): Promise<IMapDescriptor[]>;
  /** A stored map (`map`), or the job computing it (`job`, its result is the map). */
  requestMap(
    dataset: string,
    request: IMapRequest
  ): Promise<{ map?: IMapDescriptor; job?: IJob }>;
  /** A map's points as the binary frame (src/map/wire.ts decodes it). */
  mapPoints(
    dataset: string,
    mapId: string,
    signal?: AbortSignal
  ): Promise<ArrayBuffer>;
  /** One field's per-point values as the binary frame. */
  mapValues(
    dataset: string,
    mapId: string,
    field: string,
    model?: string | null,
    signal?: AbortSignal
  ): Promise<ArrayBuffer>;
  /** Sample ids inside a lasso polygon or rectangle (int64 LE), filtered. */
  mapSelect(
    dataset: string,
    mapId: string,
    shape: MapShape,
    filter?: IFilter | null,
    signal?: AbortSignal
  ): Promise<ArrayBuffer>;
  /** Python plugins of the server and their status (`GET /plugins`). */
  listPlugins(signal?: AbortSignal): Promise<IPluginsListing>;
  /** Start a blind-spots job (its result: `IBlindSpotsResult`). */
  startBlindSpots(dataset: string, request: IBlindSpotsRequest): Promise<IJob>;
  /** The last blind-spots result of `model`, or null when none was computed. */
  lastBlindSpots(
    dataset: string,
    model: string,
    signal?: AbortSignal
  ): Promise<IBlindSpotsResult | null>;
  /** Store a verdict on a finding (the newest verdict wins). */
  reviewBlindSpot(
    dataset: string,
    findingId: string,
    verdict: BlindSpotVerdict
  ): Promise<void>;
  /** Plain HTTP URL of a sample image (a thumbnail when `size` is given). */
  imageUrl(dataset: string, sampleId: number, size?: number): string;
}

/** The server's background jobs, kept fresh while watched. */
export interface IJobsModel {
  /** Running first, then queued by queue position, then finished, newest first. */
  readonly jobs: readonly IJob[];
  readonly changed: ISignal<IJobsModel, readonly IJob[]>;
  refresh(): Promise<readonly IJob[]>;
  /** Ask the server to cancel a job, then refresh. */
  cancel(id: string): Promise<void>;
  /** Poll the list until the returned handle is disposed (reference-counted). */
  watch(): IDisposable;
}

/** What to search for: one of text, like (a sample id) or image (base64). */
export type SearchQuery = Omit<ISearchRequest, 'filter'>;

/** The search the grid shows. */
export interface ISearchState {
  readonly dataset: string;
  readonly query: SearchQuery;
  /** The filter it ran within (the model's filter then). */
  readonly filter: IFilter;
  /** Null while it runs or when it failed. */
  readonly result: ISearchResult | null;
  readonly error: string | null;
}

/** The one search of the current dataset, within the current filter. */
export interface ISearchModel {
  readonly state: ISearchState | null;
  /** How many results a search asks for when its query names no `k`. */
  readonly k: number;
  /** Change `k`; an active search is run again with it. */
  setK(k: number): void;
  /** Emitted when a search starts, ends, fails or is cleared. */
  readonly changed: ISignal<ISearchModel, ISearchState | null>;
  /** Search the current dataset within the current filter (re-run on filter changes). */
  run(query: SearchQuery): Promise<ISearchState>;
  clear(): void;
}

/** How the selection is held. */
export type SelectionMode = 'ids' | 'all';

/** A read-only view of the selection. */
export interface ISelection {
  /** `ids`: exactly `ids`; `all`: every sample matching the current filter. */
  readonly mode: SelectionMode;
  readonly ids: ReadonlySet<number>;
}

/** The serialized state kept in the state database across reloads. */
export interface IPersistedState {
  dataset: string | null;
  filter: IFilter;
  selection: { mode: SelectionMode; ids: number[] };
  hiddenSources: string[];
  confidenceThreshold: number;
  visibleFields?: string[];
}

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
  refreshDatasets(): Promise<IDatasetInfo[]>;
  readonly datasetsChanged: ISignal<IVisionLensModel, readonly IDatasetInfo[]>;
  /** The listing of the current dataset, if known. */
  readonly currentInfo: IDatasetInfo | null;

  /** The current filter (filter JSON of the API). Treat as immutable. */
  readonly filter: IFilter;
  /** Replace the filter; the previous one becomes undoable. */
  setFilter(filter: IFilter): void;
  /** Go back to the filter before the last change. */
  undoFilter(): boolean;
  readonly canUndo: boolean;
  readonly filterChanged: ISignal<IVisionLensModel, IFilter>;

  /** The selection shared by every view (the grid, the map, other extensions). */
  readonly selection: ISelection;
  /** Select exactly these sample ids (of the current dataset). */
  setSelection(ids: Iterable<number>): void;
  toggleSelected(id: number): void;
  /** Add these sample ids to the selection. */
  addToSelection(ids: Iterable<number>): void;
  /** Select every sample matching the current filter (mode `all`). */
  selectAllMatching(): void;
  clearSelection(): void;
  isSelected(id: number): boolean;
  /** The filter that designates the selected samples (for tagging, export). */
  selectionFilter(): IFilter;
  readonly selectionChanged: ISignal<IVisionLensModel, ISelection>;

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
  /** Emitted when sources, threshold or colours change. */
  readonly viewChanged: ISignal<IVisionLensModel, void>;

  /** Add/remove tags on the selected samples; emits `dataChanged`. */
  tagSelection(add: string[], remove: string[]): Promise<number>;
  /** Add/remove tags on one sample; emits `dataChanged`. */
  tagSamples(ids: number[], add: string[], remove: string[]): Promise<number>;
  /** Server-side data of the current dataset changed (tags...): refetch. */
  readonly dataChanged: ISignal<IVisionLensModel, void>;
  notifyDataChanged(): void;

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
  export const openFilters = 'visionlens:open-filters';
  export const openJobs = 'visionlens:open-jobs';
  export const openInVisionLens = 'visionlens:open-in-visionlens';
  export const undoFilter = 'visionlens:undo-filter';
  export const clearFilters = 'visionlens:clear-filters';
  export const selectAll = 'visionlens:select-all-matching';
  export const clearSelection = 'visionlens:clear-selection';
  export const tagSelected = 'visionlens:tag-selected';
  export const moreLikeThis = 'visionlens:more-like-this';
  export const clearSearch = 'visionlens:clear-search';
  export const computeEmbeddings = 'visionlens:compute-embeddings';
  export const openDuplicates = 'visionlens:open-duplicates';
  export const openMap = 'visionlens:open-map';
  export const openPlugins = 'visionlens:open-plugins';
  export const openBlindSpots = 'visionlens:open-blindspots';
}
