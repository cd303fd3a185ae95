/**
 * The interface of the REST client (`VisionLensClient` implements it) and the
 * request shapes that only the client takes.
 */
import { ServerConnection } from '@jupyterlab/services';

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
  IFileFormats,
  IFilter,
  IJob,
  IPluginsListing,
  IQueryOptions,
  IReportItem,
  ISample,
  ISampleIds,
  ISamplesPage,
  ISearchRequest,
  ISearchResult,
  ISelectionCode,
  IVectorSpace,
  IVideoTimeline,
  SelectionCodeRequest
} from './types';
import { IMapDescriptor, IMapRequest, MapShape } from './mapTypes';
import { EditOperation, IEditResult } from './editTypes';
import {
  ILabelStudioChanges,
  ILabelStudioConnection,
  ILabelStudioProject,
  ILabelStudioSend
} from './labelStudioTypes';
import {
  IDeleteLabelsRequest,
  IDeleteLabelsResult,
  IDeleteModelResult,
  IDeleteSamplesRequest,
  IDeleteSamplesResult,
  IExportRequest,
  ILabelVersion,
  IMergeRequest,
  ISubsetRequest
} from './exportTypes';
import { IPatchesPage, IPatchQuery, IRegionPatchesPage } from './patchTypes';
import { IVersionDiff, IVersionDiffQuery } from './versionTypes';
import { IWireSelectionPosition } from './wireTypes';
import {
  BlindSpotVerdict,
  IBlindSpotsRequest,
  IBlindSpotsResult
} from './blindSpotTypes';
import { IQualityOverview } from './qualityTypes';
import { IVideosClient } from './videoTypes';
import { IModelJobsClient } from './modelJobTypes';
import { ISelectionRecord, ISelectionRequest } from './selectionTypes';
import {
  ISegmentMask,
  ISegmentPrefetch,
  ISegmentRequest
} from './segmentTypes';
import type { IWireIngestRequest, IWirePredictionsRequest } from './wireTypes';

/** The body of `POST /datasets` (an ingest). */
export type IIngestRequest = IWireIngestRequest;

/** The body of `POST /datasets/{name}/predictions` (a model's predictions). */
export type IPredictionsRequest = IWirePredictionsRequest;

/**
 * The result of a finished ingest or predictions job: what was written, and
 * the report's warnings and errors.
 */
export interface IIngestSummary {
  dataset: string;
  samples: number;
  annotations: number;
  categories: number;
  predictions: number;
  /** Predictions jobs only: the model they were written for. */
  model?: string;
  warnings: IReportItem[];
  errors: IReportItem[];
}

/** The body of `POST /datasets/{name}/position`. */
export interface IPositionRequest {
  filter: IFilter;
  /** The samples to find (a selection). */
  ids: number[];
  /** The pages' sort key and order (absent: by sample id, ascending). */
  sort?: string;
  order?: 'asc' | 'desc';
  /** The labels of this saved version (absent: the current ones). */
  version?: number;
}

/** An answer of `POST /datasets/{name}/position` (`catalog/reads/positions.py`). */
export type ISelectionPosition = IWireSelectionPosition;

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
export interface IVisionLensClient extends IVideosClient, IModelJobsClient {
  /** The Jupyter server connection every request goes through. */
  readonly serverSettings: ServerConnection.ISettings;
  listDatasets(signal?: AbortSignal): Promise<IDatasetInfo[]>;
  /** The formats ingest reads (plugins' too) and export writes. */
  formats(signal?: AbortSignal): Promise<IFileFormats>;
  getDataset(name: string, signal?: AbortSignal): Promise<IDatasetDetail>;
  /** Start an ingest job. */
  ingest(body: IIngestRequest): Promise<IJob>;
  /** Start a job importing a model's predictions into a dataset. */
  importPredictions(dataset: string, body: IPredictionsRequest): Promise<IJob>;
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
  /**
   * With `evalStatus` (a model), each box's `status` in its latest evaluation;
   * with `version`, its objects as they were at that saved version.
   */
  getSample(
    dataset: string,
    sampleId: number,
    signal?: AbortSignal,
    evalStatus?: string,
    version?: number
  ): Promise<ISample>;
  /**
   * Several samples (at most 64), each as `getSample` answers it, in the
   * order of `ids`, in one request; an id of no sample fails it (404).
   */
  sampleDetails(
    dataset: string,
    ids: readonly number[],
    signal?: AbortSignal,
    evalStatus?: string,
    version?: number
  ): Promise<ISample[]>;
  /**
   * The video of frame sample `sampleId`: its frames and tracks (404 for a
   * still image); with `model` (one of its `tracking_models`) each track's
   * identity switches in that model's tracking evaluation.
   */
  sampleTimeline(
    dataset: string,
    sampleId: number,
    signal?: AbortSignal,
    model?: string
  ): Promise<IVideoTimeline>;
  ids(
    dataset: string,
    filter: IFilter,
    signal?: AbortSignal,
    version?: number
  ): Promise<ISampleIds>;
  /**
   * Where the first of `body.ids` stands among the rows of `body.filter` in
   * the samples pages' order, and how many of them the filter shows and hides.
   */
  selectionPosition(
    dataset: string,
    body: IPositionRequest,
    signal?: AbortSignal
  ): Promise<ISelectionPosition>;
  tags(
    dataset: string,
    filter: IFilter,
    add: string[],
    remove: string[]
  ): Promise<{ updated: number }>;
  /** With `version`: counted over the labels of that saved version. */
  facets(
    dataset: string,
    filter: IFilter,
    signal?: AbortSignal,
    version?: number
  ): Promise<IFacets>;
  /** The notebook call selecting `body`'s ids, or all matching its filter. */
  selectionCode(
    dataset: string,
    body: SelectionCodeRequest,
    signal?: AbortSignal
  ): Promise<ISelectionCode>;
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
  /** Start a job exporting a view of `dataset` to files on the server. */
  startExport(dataset: string, request: IExportRequest): Promise<IJob>;
  /** Start a job copying a view of `dataset` into a new dataset. */
  startSubset(dataset: string, request: ISubsetRequest): Promise<IJob>;
  /** Start a job merging the dataset `request.from` into `dataset`. */
  startMerge(dataset: string, request: IMergeRequest): Promise<IJob>;
  /**
   * Delete the labels of one source on a view's samples as one undoable
   * batch; with `dry_run` only count them.
   */
  deleteViewLabels(
    dataset: string,
    request: IDeleteLabelsRequest
  ): Promise<IDeleteLabelsResult>;
  /**
   * Delete a view's samples with every row and vector of theirs as one
   * undoable batch; with `dry_run` only count the samples and labels.
   */
  deleteViewSamples(
    dataset: string,
    request: IDeleteSamplesRequest
  ): Promise<IDeleteSamplesResult>;
  /**
   * Delete a model from a dataset: every prediction of it, its evaluations and
   * its row (not undoable); with `dryRun` only count what would go.
   */
  deleteModel(
    dataset: string,
    model: string,
    dryRun?: boolean
  ): Promise<IDeleteModelResult>;
  /** The saved versions of a dataset's labels, oldest first. */
  listVersions(dataset: string, signal?: AbortSignal): Promise<ILabelVersion[]>;
  /** Name the labels as they are now as a new version (copies nothing). */
  saveVersion(dataset: string, message: string): Promise<ILabelVersion>;
  /**
   * What changed between two versions, per class and, with `query.model`,
   * that model's evaluation deltas (a 400 for a model without predictions).
   */
  diffVersions(
    dataset: string,
    query: IVersionDiffQuery,
    signal?: AbortSignal
  ): Promise<IVersionDiff>;
  /**
   * Make the labels what they were at `version`: one undoable batch of kind
   * `restore` (a 400 when they already are, a 409 with an `IEditConflict`).
   */
  restoreVersion(dataset: string, version: number): Promise<IEditResult>;
  /**
   * Apply label edits as one batch (all or nothing); a 409 `VisionLensAPIError`
   * whose body is an `IEditConflict` when an object changed since its `expected`.
   */
  applyEdits(
    dataset: string,
    operations: EditOperation[]
  ): Promise<IEditResult>;
  /** Undo the dataset's last edit batch (a 400 when there is none). */
  undoEdit(dataset: string): Promise<IEditResult>;
  /** Redo the last undone batch, if no edit came after it. */
  redoEdit(dataset: string): Promise<IEditResult>;
  /**
   * Click-to-mask: the best mask of `request`'s points and box on the sample's
   * image (nothing is written; an edit keeps it). A 400 names a missing model
   * and where it was looked for.
   */
  segmentSample(
    dataset: string,
    sampleId: number,
    request: ISegmentRequest,
    signal?: AbortSignal
  ): Promise<ISegmentMask>;
  /** Compute the image embeddings of samples likely clicked next, in the background. */
  prefetchSegment(
    dataset: string,
    model: string,
    sampleIds: number[]
  ): Promise<ISegmentPrefetch>;
  /** Make a Label Studio project of a view (its images served by this server). */
  sendToLabelStudio(
    dataset: string,
    request: ILabelStudioSend
  ): Promise<ILabelStudioProject>;
  /** A project's annotations as edits; with `apply`, applied as one undoable batch. */
  pullFromLabelStudio(
    dataset: string,
    project: number,
    connection: ILabelStudioConnection,
    apply: boolean
  ): Promise<ILabelStudioChanges>;
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
  /** A map's points as the binary frame (src/api/mapWire.ts decodes it). */
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
  /**
   * Sample ids inside a lasso polygon or rectangle (int64 LE), filtered
   * (over the labels and tags of saved `version` when given).
   */
  mapSelect(
    dataset: string,
    mapId: string,
    shape: MapShape,
    filter?: IFilter | null,
    signal?: AbortSignal,
    version?: number
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
  /**
   * Plain HTTP URL of the video file a frame sample is a frame of, streamed
   * with HTTP ranges for a `<video>` element (404 for a still image).
   */
  videoUrl(dataset: string, sampleId: number): string;
  /**
   * Plain HTTP URL of a sample's semantic or panoptic mask of `source`: an
   * RGBA PNG in its classes' colours (`mask_sources` of the sample), its
   * longer side at most `size` pixels when given (a tile's).
   */
  maskUrl(
    dataset: string,
    sampleId: number,
    source: string,
    size?: number
  ): string;
  /** A page of objects (the patches view) of the samples `filter` selects. */
  queryPatches(
    dataset: string,
    filter: IFilter,
    query: IPatchQuery,
    signal?: AbortSignal
  ): Promise<IPatchesPage>;
  /**
   * A page of the regions of `query.model`'s semantic label-quality run (kind
   * `regions`) in the samples `filter` selects.
   */
  queryRegionPatches(
    dataset: string,
    filter: IFilter,
    query: IPatchQuery,
    signal?: AbortSignal
  ): Promise<IRegionPatchesPage>;
  /**
   * The samples (ids, ascending, each once) of the objects `annIds` (of
   * saved `version`'s objects when given).
   */
  patchSamples(
    dataset: string,
    annIds: number[],
    signal?: AbortSignal,
    version?: number
  ): Promise<number[]>;
  /**
   * Plain HTTP URL of the crop of one object with `context` around it; with
   * `pair` (another object of its image), of both (a matched pair); where it
   * was at saved `version` when given.
   */
  cropUrl(
    dataset: string,
    annId: number,
    size?: number,
    context?: number,
    pair?: number,
    version?: number
  ): string;
  /** Plain HTTP URL of the crop of one stored region of `model`'s run (its box). */
  regionCropUrl(
    dataset: string,
    sampleId: number,
    region: number,
    model: string,
    size?: number,
    context?: number
  ): string;
  /** The quality view: issue types with counts, views and code (`model`'s run). */
  qualityOverview(
    dataset: string,
    model?: string | null,
    signal?: AbortSignal
  ): Promise<IQualityOverview>;
  /** Start a label-quality job of `model` (its result is stored). */
  startLabelQuality(dataset: string, model: string): Promise<IJob>;
  /** Start an image-quality job (its result is stored as sample fields). */
  startImageQuality(dataset: string): Promise<IJob>;
  /** Start a selection of what to label next (its result: the stored record, `sample_ids` in rank order). */
  startSelection(dataset: string, request: ISelectionRequest): Promise<IJob>;
  /** The dataset's stored selections, newest first, without their rows. */
  listSelections(
    dataset: string,
    signal?: AbortSignal
  ): Promise<ISelectionRecord[]>;
  /** One stored selection with its chosen rows in rank order. */
  getSelection(
    dataset: string,
    id: number,
    signal?: AbortSignal
  ): Promise<ISelectionRecord>;
}
