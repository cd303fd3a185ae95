/**
 * Public types and the model token of the VisionLens lab extension.
 *
 * Every panel is its own plugin that requires `IVisionLensModel`; panels never
 * talk to each other directly, they read and change the one shared state here.
 */
import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

/** The source name of ground-truth boxes (everything else is a model name). */
export const GROUND_TRUTH = 'ground_truth';

/** A numeric range condition of the filter JSON; either end may be absent. */
export interface IRange {
  min?: number;
  max?: number;
}

/** One field condition of the filter JSON. */
export interface ICondition extends IRange {
  in?: string[];
  eq?: string | number | boolean;
  contains?: string;
  is_null?: boolean;
}

/** One label condition: some box of `source` meets every key. */
export interface ILabelFilter {
  source?: string;
  classes?: string[];
  score?: IRange;
  where?: { [field: string]: ICondition };
  /** Extra keys registered server-side (evaluation status...). */
  [key: string]: unknown;
}

/** Boxes per sample condition. */
export interface IBoxCountFilter extends IRange {
  source?: string;
  classes?: string[];
}

/** The filter JSON of the REST API (see `visionlens_jlab/catalog/filters.py`). */
export interface IFilter {
  ids?: number[];
  sample?: { [field: string]: ICondition };
  tags?: { any?: string[]; all?: string[]; none?: string[] };
  labels?: ILabelFilter[];
  box_count?: IBoxCountFilter;
}

/** A model (prediction source) of a dataset. */
export interface IModelInfo {
  name: string;
  num_predictions: number;
  format?: string | null;
  created_at?: string | null;
}

/** One dataset as listed by `GET /datasets`. */
export interface IDatasetInfo {
  id: number;
  name: string;
  format: string;
  source?: string | null;
  media_root?: string | null;
  created_at?: string | null;
  num_samples: number;
  num_annotations: number;
  num_categories?: number;
  models: IModelInfo[];
}

/** One warning or error line of an ingest report. */
export interface IReportItem {
  code: string;
  message: string;
  count?: number;
  examples?: unknown[];
}

/** The validation report written by every ingest. */
export interface IIngestReport {
  counts?: { [key: string]: number };
  warnings?: IReportItem[];
  errors?: IReportItem[];
}

/** `GET /datasets/{name}`. */
export interface IDatasetDetail extends IDatasetInfo {
  report?: IIngestReport | null;
  categories?: string[];
}

/** A background job. */
export interface IJob {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  progress: number | null;
  message?: string | null;
  result?: { [key: string]: unknown } | null;
  error?: string | null;
  created_at?: string | null;
}

/** A box of a sample. */
export interface IAnnotation {
  ann_id: number;
  source: string;
  label: string;
  bbox: [number, number, number, number];
  score: number | null;
  iscrowd?: boolean;
  difficult?: boolean;
  area?: number | null;
  source_ann_id?: string | null;
  segmentation?: unknown;
  attributes?: { [key: string]: unknown };
}

/** A sample of a page, or a full sample (`GET /samples/{id}`). */
export interface ISample {
  sample_id: number;
  file_name: string;
  width: number | null;
  height: number | null;
  split?: string | null;
  source_image_id?: string | null;
  tags: string[];
  fields: { [key: string]: unknown };
  annotations: IAnnotation[];
}

/** A page of `POST /samples/query`. */
export interface ISamplesPage {
  total: number;
  offset: number;
  limit: number;
  samples: ISample[];
}

/** A categorical facet. */
export interface ICategoricalFacet {
  name: string;
  type: 'categorical';
  source?: string;
  values: { value: string | number | boolean | null; count: number }[];
}

/** A numeric facet with its histogram. */
export interface INumericFacet {
  name: string;
  type: 'numeric';
  source?: string;
  min: number | null;
  max: number | null;
  count: number;
  histogram: { lo: number; hi: number; count: number }[];
}

export type Facet = ICategoricalFacet | INumericFacet;

/** `GET /facets`. */
export interface IFacets {
  total: number;
  facets: Facet[];
}

/** The query options of a samples page. */
export interface IQueryOptions {
  offset: number;
  limit: number;
  sort?: string;
  order?: 'asc' | 'desc';
}

/** Typed REST client of `{base_url}visionlens/api/`. */
export interface IVisionLensClient {
  listDatasets(signal?: AbortSignal): Promise<IDatasetInfo[]>;
  getDataset(name: string, signal?: AbortSignal): Promise<IDatasetDetail>;
  ingest(body: {
    source: string;
    name: string;
    format?: string;
    images?: string;
    split?: string;
  }): Promise<IJob>;
  deleteDataset(name: string): Promise<void>;
  getJob(id: string, signal?: AbortSignal): Promise<IJob>;
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
  /** Plain HTTP URL of a sample image (a thumbnail when `size` is given). */
  imageUrl(dataset: string, sampleId: number, size?: number): string;
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

/** The shared VisionLens state and REST client. */
export interface IVisionLensModel {
  readonly client: IVisionLensClient;

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

  /** The selection. */
  readonly selection: ISelection;
  setSelection(ids: Iterable<number>): void;
  toggleSelected(id: number): void;
  addToSelection(ids: Iterable<number>): void;
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
  export const openInVisionLens = 'visionlens:open-in-visionlens';
  export const undoFilter = 'visionlens:undo-filter';
  export const clearFilters = 'visionlens:clear-filters';
  export const selectAll = 'visionlens:select-all-matching';
  export const clearSelection = 'visionlens:clear-selection';
  export const tagSelected = 'visionlens:tag-selected';
}
