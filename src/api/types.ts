/**
 * The JSON shapes of the VisionLens REST API (`{base_url}visionlens/api/`,
 * documented in visionlens_jlab/openapi.yaml).
 */

import type {
  IWireBox,
  IWireClassification,
  IWireDataset,
  IWireDuplicatesRequest,
  IWireDuplicatesResult,
  IWireEmbeddingModel,
  IWireEmbedRequest,
  IWireEvaluationClassRow,
  IWireEvaluationReport,
  IWireEvaluationSummary,
  IWireFileFormat,
  IWireFileFormats,
  IWireFilter,
  IWireJob,
  IWireJobEffects,
  IWireKeypointClass,
  IWireLeak,
  IWireModel,
  IWirePluginsListing,
  IWirePythonPlugin,
  IWireSample,
  IWireSampleIds,
  IWireSamplesDetailsRequest,
  IWireSearchFusion,
  IWireSearchHit,
  IWireSearchRequest,
  IWireSearchResult,
  IWireSelectionCode,
  IWireVectorSpace,
  IWireVideoTimeline,
  WireFacet,
  WireFacetFilter
} from './wireTypes';

import { IouType, ObjectLabelType } from './labelKinds';

export type {
  ILabelKind,
  ILabelTypeCounts,
  IouType,
  LabelKindName,
  LabelType,
  ObjectLabelType
} from './labelKinds';
export { LABEL_KINDS } from './labelKinds';

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
  /** Only objects with a mask / keypoints (a list: any of them). */
  type?: ObjectLabelType | ObjectLabelType[];
  /** Box columns (`mask_area`, `num_keypoints`...) or `attributes.<key>`. */
  where?: { [field: string]: ICondition };
  /** Extra keys registered server-side (evaluation status...). */
  [key: string]: unknown;
}

/**
 * `sample.semantic_regions`: some stored region of `model`'s last semantic
 * label-quality run meets every key given (its class, the model's class for
 * its pixels, its score, its flag).
 */
export interface ISemanticRegionsFilter {
  model: string;
  class?: string[];
  predicted?: string[];
  score?: IRange;
  flagged?: boolean;
}

/** The key of the regions' condition among the sample conditions. */
export const SEMANTIC_REGIONS = 'semantic_regions';

/**
 * The sample conditions: one per sample field, and the regions' condition
 * (not a field's: read it by its key, the fields through `fieldCondition`).
 */
export interface ISampleConditions {
  semantic_regions?: ISemanticRegionsFilter;
  [field: string]: ICondition | ISemanticRegionsFilter | undefined;
}

/** Boxes per sample condition. */
export interface IBoxCountFilter extends IRange {
  source?: string;
  classes?: string[];
}

/** One image-level label condition: some label of `source` meets every key. */
export interface IClassificationFilter {
  source?: string;
  classes?: string[];
  score?: IRange;
  /** A model's labels that are not (true) / are (false) among the ground truth's. */
  differs_from_ground_truth?: boolean;
}

/**
 * The filter JSON the lab writes: the wire filter (`IWireFilter`, see
 * `visionlens_jlab/catalog/query/filters.py`) in the lab's normal form, its
 * label conditions always a list. Extending the wire type makes the compiler
 * check that every filter the lab sends is one the contract takes.
 */
export interface IFilter extends IWireFilter {
  sample?: ISampleConditions;
  labels?: ILabelFilter[];
  /** One condition per source (the API also reads a single object). */
  box_count?: IBoxCountFilter | IBoxCountFilter[];
  /** Image-level labels (the API also reads a single object). */
  classifications?: IClassificationFilter | IClassificationFilter[];
}

/** A model (prediction source) of a dataset. */
export type IModelInfo = IWireModel;

/** One dataset as listed by `GET /datasets`. */
export type IDatasetInfo = IWireDataset;

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

/**
 * `GET /datasets/{name}`: a listed dataset with its report, classes, keypoint
 * classes and media counts (the same schema, those keys present).
 */
export type IDatasetDetail = IWireDataset;

/** A background job. */
export type IJob = IWireJob;

/** The states of a job; the last three are final. */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/**
 * The data a job writes that panels show: new samples (an ingest), a
 * prediction set or captions, an evaluation, computed sample fields.
 */
export type JobDataChange = 'samples' | 'predictions' | 'evaluation' | 'fields';

/**
 * What a job changed when it ended well, as the server declares it for the
 * job's kind (`visionlens_jlab/jobs/kinds.py`).
 */
export type IJobEffects = IWireJobEffects;

/** One embedding model of `GET /models`. */
export type IEmbeddingModel = IWireEmbeddingModel;

/** The body of `POST /datasets/{name}/samples/details` (a window of frames' labels). */
export type ISampleDetailsRequest = IWireSamplesDetailsRequest;

/** The body of `POST /datasets/{name}/embed`. */
export type IEmbedRequest = IWireEmbedRequest;

/** One vector space of a dataset (`GET /datasets/{name}/spaces`). */
export type IVectorSpace = IWireVectorSpace;

/** The body of `POST /datasets/{name}/search`: one of text, like, image. */
export type ISearchRequest = IWireSearchRequest;

/** One hit of a search, best first. */
export type ISearchHit = IWireSearchHit;

/** A ranking a text search fuses: CLIP's, or the caption keyword ranking. */
export type SearchSource = NonNullable<IWireSearchHit['sources']>[number];

/** How a text search fused CLIP's ranking with the captions' (`search/captioned.py`). */
export type ISearchFusion = IWireSearchFusion;

/** The answer of `POST /datasets/{name}/search`. */
export type ISearchResult = IWireSearchResult;

/** The body of `POST /datasets/{name}/duplicates`. */
export type IDuplicatesRequest = IWireDuplicatesRequest;

/** A val/test sample with a duplicate in train (one per pair). */
export type ILeak = IWireLeak;

/** The result of a duplicates job (`GET /datasets/{name}/duplicates`: the last one). */
export type IDuplicatesResult = IWireDuplicatesResult;

/**
 * An object of a sample: its box, and the fields of its other kinds where it
 * has them. `segmentation`, `obb` and `polyline` are untrusted: read them
 * through `maskOf` and the shape readers (src/model/labelShapes.ts).
 */
export type IAnnotation = IWireBox;

/** A box's status in an evaluation (`box_evaluations.status`). */
export type EvalStatus = 'tp' | 'fp' | 'fn' | 'ignored';

/** An image-level label, ground truth or a model's. */
export type IClassification = IWireClassification;

/** The point names and skeleton (COCO's 1-based pairs) of a keypoint class. */
export type IKeypointClass = IWireKeypointClass;

/** A sample of a page, or a full sample (`GET /samples/{id}`). */
export type ISample = IWireSample;

/**
 * The video a frame sample belongs to (`GET /samples/{id}/timeline`): its
 * metadata, its frame samples by frame number and its tracks.
 */
export type IVideoTimeline = IWireVideoTimeline;

/** A page of `POST /samples/query`. */
export interface ISamplesPage {
  total: number;
  offset: number;
  limit: number;
  samples: ISample[];
  /** The notebook call returning this view's rows in this order (null for a
   * filter of too many ids to write out). */
  code?: string;
}

/** The body of `POST /selection-code`: an explicit selection's ids, or the
 * filter of "all matching". */
export type SelectionCodeRequest = { ids: number[] } | { filter: IFilter };

/** The answer of `POST /datasets/{name}/ids` (JSON): every matching sample id, ascending. */
export type ISampleIds = IWireSampleIds;

/** An answer of `POST /selection-code` (`select_code` in view_code.py). */
export type ISelectionCode = IWireSelectionCode;

/** A file format ingest reads or export writes (`GET /formats`). */
export type IFileFormat = IWireFileFormat;

/** `GET /formats`: declared once on the server (`visionlens_jlab/formats.py`). */
export type IFileFormats = IWireFileFormats;

/**
 * A facet's place in the filter JSON (`path`, and `key` inside it), stated by
 * the server where the facet is defined: the lab filters by it, never by the
 * facet's name.
 */
export type IFacetFilter = WireFacetFilter;

/**
 * One facet as the server sends it (the `Facet` schema of openapi.yaml, strict:
 * every key named): categorical (its values counted) or numeric (its range and
 * histogram).
 */
export type Facet = WireFacet;

/** The things a facet's counts are numbers of. */
export type FacetUnit = Facet['unit'];

/** A categorical facet. */
export type ICategoricalFacet = Extract<Facet, { type: 'categorical' }>;

/** A numeric facet with its histogram. */
export type INumericFacet = Extract<Facet, { type: 'numeric' }>;

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
  /** A model: each box then carries its `status` in the model's latest evaluation. */
  eval_status?: string;
  /** A saved version: the labels as they were then (read-only). */
  version?: number;
}

/**
 * One row of the per-class table (numbers are null where undefined); the
 * protocol's extra columns (COCO's AP50, AP75, AR100; VOC's AP_11point) by name.
 */
export type IClassRow = IWireEvaluationClassRow;

/** What a COCO evaluation matches: boxes (IoU), masks (mask IoU) or keypoints (OKS). */

/** `GET /datasets/{name}/evaluations/{key}`: a full report. */
export type IEvaluationReport = IWireEvaluationReport;

/** One entry of `GET /datasets/{name}/evaluations`. */
export type IEvaluationSummary = IWireEvaluationSummary;

/** Parameters of a new evaluation. */
export interface IEvaluationRequest {
  model: string;
  protocol: 'coco' | 'voc';
  iou: number;
  plus_one: boolean;
  /** COCO only; bbox when absent. */
  iou_type?: IouType;
  /** keypoints only: one OKS sigma per keypoint (server default when absent). */
  sigmas?: number[];
}

/** One row of a classification report's per-class table. */
export interface IClassificationClassRow {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/**
 * The result of evaluating a classification model (image-level labels): the
 * evaluation job's result, not stored (docs/evaluation.md, "Classification").
 */
export interface IClassificationReport {
  kind: 'classification';
  dataset: string;
  model: string;
  images: number;
  accuracy: number | null;
  /** Top-5 accuracy over the `top_k_images` images that have per-class scores. */
  top5: number | null;
  top_k_images: number;
  per_class: IClassificationClassRow[];
  /** Rows: truth, columns: prediction, both in `labels` order. */
  confusion: { labels: string[]; matrix: number[][] };
  calibration: { ece: number | null; bins: number; images: number };
  counts: { [key: string]: number };
  warnings: string[];
}

/** Where a Python plugin was found. */
export type PluginSource = IWirePythonPlugin['source'];

/** A server-side (Python) plugin and whether it loaded. */
export type IPythonPlugin = IWirePythonPlugin;

/** `GET /plugins`: the server's plugin API version and its plugins. */
export type IPluginsListing = IWirePluginsListing;
