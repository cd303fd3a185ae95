/**
 * The wire types, generated from `visionlens_jlab/openapi.yaml` by
 * `docs/tools/openapi_ts.py`: do not edit (a test fails when stale).
 */

/** Every key present must hold. Values are always bound as SQL parameters. */
export interface IWireFilter {
  ids?: number[];
  /** Sample columns (file_name, width, height, split, source_image_id, sample_id), fields.<key>, computed.<name> (computed sample fields such as computed.dup_count, computed.uniqueness), video_tracks, video_num_frames, video_duration, video_fps (of the video a frame belongs to; null for other samples), or box summaries: box_count.<source>, box_max.<field>.<source>, box_min.<field>.<source>; or semantic_regions (a condition on the stored regions of a semantic label-quality run) */
  sample?: {
    semantic_regions?: IWireSemanticRegionsFilter;
    [key: string]: IWireCondition | IWireSemanticRegionsFilter | undefined;
  };
  tags?: {
    any?: string[];
    all?: string[];
    none?: string[];
  };
  labels?: IWireLabelFilter | IWireLabelFilter[];
  /** Boxes per sample of one source (with optional label conditions), or a list of such conditions (one per source: ground truth and each model), all of which must hold */
  box_count?: WireBoxCountFilter | WireBoxCountFilter[];
  /** Image-level labels: samples with a label meeting every condition, or a list of such conditions, all of which must hold */
  classifications?: IWireClassificationFilter | IWireClassificationFilter[];
}

/** Samples with a stored region of the model's last semantic label-quality run meeting every given key (visionlens_jlab/label_quality/semantic_regions.py); in a page of kind regions of that model it also holds for each region */
export interface IWireSemanticRegionsFilter {
  /** the semantic model of the run */
  model: string;
  /** its ground-truth class is one of these */
  class?: string[];
  /** the class the model gives most of its pixels is one of these */
  predicted?: string[];
  /** bounds on its score (the share of its pixels the model agrees with) */
  score?: IWireCondition;
  /** most of its pixels are predicted as another class */
  flagged?: boolean;
}

/** Samples with at least one image-level label meeting every condition. */
export interface IWireClassificationFilter {
  /** ground_truth, predictions (any model) or a model name */
  source?: string;
  classes?: string[];
  score?: IWireCondition;
  /** A model's source only: true keeps labels that are not among the sample's ground-truth labels (on samples that have some), false those that are */
  differs_from_ground_truth?: boolean;
}

export type WireBoxCountFilter = IWireLabelFilter & {
  min?: number;
  max?: number;
};

export interface IWireCondition {
  in?: unknown[];
  eq?: unknown;
  min?: number;
  max?: number;
  contains?: string;
  is_null?: boolean;
}

/** Samples with at least one box meeting every condition. */
export interface IWireLabelFilter {
  /** ground_truth, predictions (any model) or a model name */
  source?: string;
  classes?: string[];
  score?: IWireCondition;
  /** Only objects that have a rotated box / a polyline / a mask / keypoints (a list: any of them) */
  type?:
    | ('rotated' | 'polyline' | 'mask' | 'keypoints')
    | ('rotated' | 'polyline' | 'mask' | 'keypoints')[];
  /** Box columns (label, x, y, w, h, score, area, iscrowd, difficult, mask_area: the mask's pixel area, num_keypoints: the labelled keypoints (v > 0), visible_keypoints: the visible ones (v = 2), track_length: the frames the object's track is seen on, null for an object of no track) or attributes.<key> */
  where?: { [key: string]: IWireCondition };
  /** Evaluation status of the box (see evaluations): key, model, status, error, confused_with, confused, iou, tide (TIDE error types: Cls, Loc, Both, Dupe, Bkg, Miss) */
  eval?: { [key: string]: unknown };
  /** The object's outcome in a model's latest tracking evaluation (POST datasets/{name}/tracking): model, status (matched, missed, false_positive, ignored, not_evaluated), switched (the object is one side of a match where its identity switched), track_switches ({min, max}: its ground-truth track's identity switches), track_status (MT, PT, ML) */
  track?: { [key: string]: unknown };
}

/** A saved version's number (GET .../versions); absent, null, empty or current: the current labels */
export type WireVersion = number | string | null;

/** A dataset as GET datasets lists it (visionlens_jlab/catalog/store/catalog.py: list_datasets); GET datasets/{name} adds report, categories, category_keypoints, media, num_videos, num_tracks and mask_sources, and each model's label_types, report and num_tracks */
export interface IWireDataset {
  id: number;
  name: string;
  /** coco, yolo, voc, cvat, dota, yolo-obb, txt, classification, or the name of a plugin ingest format */
  format: string;
  source: string;
  media_root: string;
  created_at: string;
  num_samples: number;
  num_annotations: number;
  num_categories: number;
  models: IWireModel[];
  /** GET datasets/{name} only: the ingest report */
  report?: IWireReport;
  /** GET datasets/{name} only: the class names, in class-id order */
  categories?: string[];
  /** GET datasets/{name} only: the keypoint classes by name, their point names and skeleton (COCO's 1-based index pairs); classes without keypoints are absent */
  category_keypoints?: { [key: string]: IWireKeypointClass };
  /** GET datasets/{name} only: the images the image route could not serve */
  media?: IWireMediaCounts;
  /** GET datasets/{name} only: its videos (0: a dataset of still images; visionlens_jlab/importing/video_reads.py: video_count); the lab offers the frames choices of export and embed by it */
  num_videos?: number;
  /** GET datasets/{name} only: its tracks, the ground truth's and every model's (visionlens_jlab/importing/video_reads.py: track_counts); the lab offers the grid's Tracks button by it */
  num_tracks?: number;
  /** GET datasets/{name} only: the sources with semantic or panoptic masks, the ground truth first (visionlens_jlab/semantic/overlay.py: mask_sources); the sample view lays each one's mask over the photo (GET .../samples/{sample_id}/masks/{source}) */
  mask_sources?: string[];
}

/** A model (prediction source) of a dataset */
export interface IWireModel {
  name: string;
  num_predictions: number;
  format: string;
  created_at: string;
  /** GET datasets/{name} only: the model's labels by type (visionlens_jlab/records/label_kinds.json) */
  label_types?: {
    boxes: number;
    rotated_boxes: number;
    polylines: number;
    masks: number;
    /** semantic or panoptic masks (one per image) */
    label_maps: number;
    keypoints: number;
    classifications: number;
  };
  /** GET datasets/{name} only: the import report */
  report?: IWireReport;
  /** GET datasets/{name} only: the model's tracks (0: a detector's boxes without identities; visionlens_jlab/importing/video_reads.py: track_counts); the tracks view's picker offers the models with tracks */
  num_tracks?: number;
}

/** The point names and skeleton of a keypoint class */
export interface IWireKeypointClass {
  keypoint_names: string[];
  skeleton: [number, number][];
  /** The class's own per-keypoint OKS sigmas (a COCO category's sigmas, an Ultralytics data.yaml's kpt_oks_sigmas); null where its source gave none */
  sigmas?: number[] | null;
}

/** Images of the dataset the image route answered with a placeholder, by error (visionlens_jlab/media/lookup.py: bad_media_counts) */
export interface IWireMediaCounts {
  missing: number;
  corrupt: number;
  too_large: number;
  unsupported: number;
  total: number;
  /** up to 5 */
  examples: {
    sample_id?: number;
    error?: string;
    detail?: string | null;
  }[];
}

/** The answer of POST datasets/{name}/search (visionlens_jlab/search/engine.py: search; a text query: visionlens_jlab/search/captioned.py: text_search) */
export interface IWireSearchResult {
  /** the embedding model; null when the captions answered alone */
  model: string | null;
  /** the vector space searched; null when the captions answered alone */
  space: string | null;
  /** memory: the server's in-memory exact scan; else dataset | exact-ids | post-filter | empty (a filter matching nothing); captions: the captions answered alone */
  strategy:
    'memory' | 'dataset' | 'exact-ids' | 'post-filter' | 'empty' | 'captions';
  /** samples the filter matched; null without a filter */
  matched: number | null;
  /** best first */
  results: IWireSearchHit[];
  /** null, or why the space may not cover every sample: an unfinished embedding run, samples added since */
  warning: string | null;
  /** the notebook call: ds.search goes through this route, so it gets the same answer */
  code: string;
  /** text queries only: null unless the query met captions */
  fusion?: IWireSearchFusion | null;
}

/** One result of a search */
export interface IWireSearchHit {
  sample_id: number;
  /** the cosine, or the fused score when the answer has fusion */
  score: number;
  file_name: string;
  /** with fusion: the rankings that hold the sample */
  sources?: ('clip' | 'caption')[];
  /** with fusion: its caption, when the caption matched (dataset text) */
  caption?: string | null;
  /** with fusion: its CLIP cosine, when CLIP ranked it */
  clip_score?: number | null;
}

/** How a text search fused CLIP's ranking with the captions' (reciprocal rank fusion: score = sum of 1 / (rrf_k + rank)) */
export interface IWireSearchFusion {
  method: 'rrf';
  rrf_k: number;
  /** CLIP hits */
  clip: number;
  /** caption hits */
  caption: number;
  /** null, or why CLIP gave none (no vectors, no text tower) */
  clip_error: string | null;
}

/** A duplicates job's result (visionlens_jlab/dedup/job.py: run_duplicates, without pair_list); GET datasets/{name}/duplicates answers the last one stored (visionlens_jlab/dedup/results.py: last_result), with pair_list and created_at */
export interface IWireDuplicatesResult {
  dataset: string;
  /** the embedding model of the near duplicates; null when they were skipped (no vectors) */
  model: string | null;
  space: string | null;
  /** the cosine at or above which two vectors are near duplicates */
  threshold: number;
  /** the most pHash bits apart of perceptual duplicates */
  max_hamming?: number;
  /** exact all-pairs near search instead of the approximate self-join */
  exact: boolean;
  /** every image was read for the content hash and pHash */
  hashes?: boolean;
  /** how the near pairs were found; null without vectors */
  method?: string | null;
  samples: number;
  /** samples with a vector */
  vectors: number;
  /** the duplicate groups, as sample ids */
  groups: number[][];
  /** distinct pairs, all kinds */
  pairs: number;
  /** pairs and groups by kind (exact, perceptual, near): only the kinds that ran */
  counts: {
    [key: string]: {
      pairs: number;
      groups: number;
    };
  };
  /** GET only: the pairs of every kind (the first 100,000) */
  pair_list?: IWireDuplicatePair[];
  /** more pairs than pair_list holds */
  pair_list_truncated?: boolean;
  /** one per pair of a val/test sample and a train sample, most similar first */
  leaks: IWireLeak[];
  /** e.g. near duplicates skipped: no vectors */
  notes: string[];
  /** with hashes: images outside the dataset's media root, never read */
  refused?: number;
  /** up to 5 sample ids */
  refused_examples?: number[];
  /** with hashes: file names no file system can hold, never read */
  bad_names?: number;
  /** up to 5 sample ids */
  bad_name_examples?: number[];
  /** the computed sample fields written (computed.<name>) */
  fields: string[];
  seconds?: number;
  /** the notebook call computing the same */
  code: string;
  /** GET only: when the result was stored */
  created_at?: string;
  /** GET only: samples were deleted, restored or added, or the labels it read changed, since it was computed (visionlens_jlab/catalog/reads/result_basis.py): compute it again */
  stale?: boolean;
  /** GET only: why it is stale, e.g. '12 samples deleted since it was computed'; null when fresh */
  stale_reason?: string | null;
  /** GET only: samples it was computed over that are gone (null: a result stored before this was recorded) */
  samples_removed?: number | null;
  /** GET only: samples added since (null: as samples_removed) */
  samples_added?: number | null;
  /** GET only: the labels of the sources it read changed since (results that read labels: blind spots, label quality) */
  labels_changed?: boolean;
  /** GET only: samples deleted since that the groups, pair_list and leaks no longer name (a group left with one sample is dropped); counts stay those computed */
  deleted_members?: number;
}

/** Two samples a kind found duplicates of each other */
export interface IWireDuplicatePair {
  sample_id: number;
  duplicate_id: number;
  kind: 'exact' | 'perceptual' | 'near';
  /** 1 for exact; 1 - bits / 64 for perceptual; the cosine for near */
  similarity: number;
}

/** A val/test sample with a duplicate in train (one per pair; kind and similarity of the strongest kind that found it: exact, perceptual, near) */
export interface IWireLeak {
  sample_id: number;
  /** val, test or another split but train */
  split: string;
  /** the train sample */
  duplicate_id: number;
  /** train */
  duplicate_split: string;
  /** of kind */
  similarity: number;
  kind: 'exact' | 'perceptual' | 'near';
  /** every kind that found the pair */
  kinds: ('exact' | 'perceptual' | 'near')[];
}

/** A named version of a dataset's labels (visionlens_jlab/edits/versions.py: list_versions, snapshot) */
export interface IWireVersionInfo {
  version: number;
  created_at: string;
  message: string;
  /** the dataset's samples then */
  samples: number;
  /** its ground-truth objects then */
  annotations: number;
  /** the operation log's position the version names */
  seq: number;
  /** the Jupyter user who named it */
  user: string;
}

/** Objects added, removed, relabelled and moved (added and moved count under the class in the later state, removed and relabelled under the earlier one) */
export interface IWireDiffCounts {
  added: number;
  removed: number;
  relabelled: number;
  moved: number;
}

/** What changed between two versions, folded per object (visionlens_jlab/edits/versions.py: diff_versions) */
export interface IWireVersionDiff {
  added: number;
  removed: number;
  relabelled: number;
  moved: number;
  /** samples with a change, tag changes too (an object's and a sample's) and image-label changes of the source */
  samples_changed: number;
  /** the tags added to and removed from samples (one per sample and tag) */
  sample_tags: {
    added: number;
    removed: number;
  };
  /** the image-level labels of the source given to samples and taken from them (a sample's label changed from one class to another counts once under each), in total and per class */
  image_labels: {
    added: number;
    removed: number;
    /** only the classes with a change */
    by_class: {
      [key: string]: {
        added: number;
        removed: number;
      };
    };
  };
  /** only the classes with a change */
  by_class: { [key: string]: IWireDiffCounts };
  /** the version as the query named it (a number or current) */
  from: string;
  to: string;
  /** with model only */
  evaluation?: IWireEvaluationDiff;
}

/** An evaluation's numbers on one side of a diff (its stats, then tp, fp, fn, ignored; per class: AP, precision, recall, tp, fp, fn, num_gt, ...), or their deltas (to minus from): null where a number is undefined on either side (COCO's -1, a class without ground truth) */
export type IWireEvaluationNumbers = { [key: string]: number | null };

/** A diff's evaluation: one model's predictions evaluated against the labels at from and at to (visionlens_jlab/edits/version_eval.py: evaluation_diff) */
export interface IWireEvaluationDiff {
  model: string;
  method: 'coco' | 'voc';
  iou: number;
  from: IWireEvaluationNumbers;
  to: IWireEvaluationNumbers;
  delta: IWireEvaluationNumbers;
  /** every class evaluated on either side */
  by_class: {
    [key: string]: {
      from: IWireEvaluationNumbers;
      to: IWireEvaluationNumbers;
      delta: IWireEvaluationNumbers;
    };
  };
}

/** The answer of a batch of the operation log: an edit, undo, redo or restore (visionlens_jlab/edits/engine.py: commit_batch); the batch is also sent as a labels event on /api/events/subscribe */
export interface IWireEditResult {
  /** operations applied (an undo, redo or restore: objects and sample tag lists changed) */
  applied: number;
  /** ground-truth objects of the dataset now */
  annotations: number;
  /** the batch's number in the dataset's log */
  batch: number;
  kind: 'edit' | 'undo' | 'redo' | 'restore';
  /** an edit only: the ids of the objects added, in the order of its operations */
  added?: number[];
  /** an undo or redo of a batch that deleted samples only: the samples put back or deleted again */
  samples?: number;
  /** with samples: their labels (objects and image-level labels of every source) */
  labels?: number;
  /** with samples: their vectors put back or deleted, per vector space */
  vectors?: { [key: string]: number };
  /** with samples: the points could not be deleted now; the store's reconcile removes them when it next opens */
  vectors_pending?: boolean;
  /** an undo or redo only: the batch it inverted */
  inverted?: number;
  /** a restore only: the version the labels are now as they were at */
  restored?: number;
  /** the samples touched (null past 1,000) */
  sample_ids: number[] | null;
}

/** The answer of POST /datasets/{name}/edits/delete_labels: one batch of the operation log (visionlens_jlab/bulk/delete_labels.py), as an edit answers, with what it deleted */
export interface IWireDeleteLabelsResult {
  /** operations applied (one bulk delete) */
  applied?: number;
  /** ground-truth objects of the dataset now */
  annotations?: number;
  /** the batch's number in the dataset's log (undo inverts it) */
  batch?: number;
  kind?: 'edit';
  /** always empty */
  added?: number[];
  /** the samples touched (null past 1,000) */
  sample_ids?: number[] | null;
  /** objects deleted (with dry_run: that would be) */
  deleted: number;
  /** whose labels: ground_truth or a model's name */
  source: string;
  /** only with dry_run: nothing was written (the other keys are absent) */
  dry_run?: boolean;
}

/** The answer of DELETE /datasets/{name}/models/{model} (visionlens_jlab/bulk/delete_model.py): what went, or with dry_run what would go */
export interface IWireDeleteModelResult {
  dataset: string;
  model: string;
  /** the model's objects (annotations rows) */
  objects: number;
  /** its image-level labels (classifications rows) */
  image_labels: number;
  /** its semantic or panoptic label maps */
  label_maps: number;
  /** its evaluations, with their per-object rows and summaries */
  evaluations: number;
}

/** The answer of POST /datasets/{name}/edits/delete_samples: one batch of the operation log (visionlens_jlab/edits/sample_deletes.py) with what it deleted; with dry_run only the counts */
export interface IWireDeleteSamplesResult {
  /** samples deleted */
  applied?: number;
  /** ground-truth objects of the dataset now */
  annotations?: number;
  /** the batch's number in the dataset's log (undo puts every row and vector back) */
  batch?: number;
  kind?: 'delete_samples';
  /** always empty */
  added?: number[];
  /** the samples deleted (null past 1,000) */
  sample_ids?: number[] | null;
  /** samples deleted (with dry_run: that would be) */
  samples: number;
  /** their labels: objects and image-level labels of every source (with dry_run: that would go) */
  labels: number;
  /** vectors deleted per vector space */
  vectors?: { [key: string]: number };
  /** the points could not be deleted now (the catalog's delete is committed); the store's reconcile removes them when it next opens, and an undo puts them back */
  vectors_pending?: boolean;
  /** only with dry_run: nothing was written (only samples and labels are present) */
  dry_run?: boolean;
}

/** A model's blind-spot result (visionlens_jlab/blindspots/api.py: run_engine; the job adds agent and attributes, visionlens_jlab/blindspots/job.py); GET answers the last one stored with created_at and each finding's review (visionlens_jlab/blindspots/results.py: last_result); see docs/blindspots.md */
export interface IWireBlindSpotsResult {
  dataset: string;
  model: string;
  /** the evaluation the slices were tested on (the model's latest) */
  eval_key: string;
  /** strongest (smallest q, largest effect) first */
  findings: IWireBlindSpotFinding[];
  /** the tests of the run's ledger */
  tested: number;
  /** the agent's claims and slices the tools did not confirm */
  rejected: IWireBlindSpotRejected[];
  /** every test with its outcome, strongest confirmation first (results stored before it was added lack it) */
  tests?: IWireBlindSpotTest[];
  params: {
    min_n: number;
    fdr: number;
    seed?: number;
    /** the kappa the VLM attributes sliced by had to reach; null: none sliced */
    vlm_threshold?: number | null;
  };
  /** an engine run's time (absent after an agent's run) */
  seconds?: number;
  /** the language model that worded the findings; none: templated wording. The job's result, and a stored agent run */
  agent?: string;
  /** the job's result only, when it measured the attributes first */
  attributes?: IWireAttributesSummary;
  /** GET only: when the result was stored */
  created_at?: string;
  /** GET only: samples were deleted, restored or added, or the labels it read changed, since it was computed (visionlens_jlab/catalog/reads/result_basis.py): compute it again */
  stale?: boolean;
  /** GET only: why it is stale, e.g. '12 samples deleted since it was computed'; null when fresh */
  stale_reason?: string | null;
  /** GET only: samples it was computed over that are gone (null: a result stored before this was recorded) */
  samples_removed?: number | null;
  /** GET only: samples added since (null: as samples_removed) */
  samples_added?: number | null;
  /** GET only: the labels of the sources it read changed since (results that read labels: blind spots, label quality) */
  labels_changed?: boolean;
  /** GET only: samples deleted since that the findings' evidence no longer names; the findings' numbers stay those computed */
  deleted_members?: number;
}

/** One confirmed, grouped slice: every number comes from the engine (visionlens_jlab/blindspots/findings.py: finding, which writes every key but claim, confused_with, vlm_kappa and review; a result stored by an older version may lack p, images, mde, adjusted_effect, discovery, related and source) */
export interface IWireBlindSpotFinding {
  id: string;
  /** plain words: templated offline */
  summary: string;
  /** the agent's wording, where it claimed the finding */
  claim?: string;
  metric:
    | 'recall'
    | 'precision'
    | 'confusion'
    | 'localisation'
    | 'fp_per_image'
    | 'calibration';
  slice: {
    attribute: string;
    value: string;
  }[];
  /** the grid filter that shows exactly the slice */
  filter: IWireFilter;
  /** the metric inside the slice (confirmation half) */
  value: number | null;
  /** the metric elsewhere */
  baseline: number | null;
  /** value - baseline */
  effect: number | null;
  /** 95% interval of value - baseline (images resampled) */
  ci: [number | null, number | null];
  q: number | null;
  p?: number | null;
  /** units (boxes or images) in the slice, confirmation half */
  n: number;
  images?: number;
  /** minimum detectable effect */
  mde?: number | null;
  /** the effect adjusted for object size and class */
  adjusted_effect?: number | null;
  discovery?: {
    n: number;
    effect: number | null;
    q: number | null;
  };
  /** sample ids of the slice's images, worst first */
  evidence: number[];
  /** the other tests of its group */
  related?: {
    id: string;
    slice: string;
    effect: number | null;
  }[];
  /** engine or agent: who proposed the test */
  source?: string;
  /** the notebook call that reproduces it */
  python: string;
  /** confusion only: the classes taken instead, with counts */
  confused_with?: { [key: string]: number };
  /** Cohen's kappa of each VLM attribute the slice rests on (a model's answer) */
  vlm_kappa?: { [key: string]: number };
  /** GET only: the user's newest verdict, or null */
  review?: 'confirmed' | 'rejected' | null;
}

/** One test of the run's ledger and what became of it (visionlens_jlab/blindspots/api.py: tested_list) */
export interface IWireBlindSpotTest {
  id: string;
  metric: string;
  slice: string;
  source: string;
  n: number;
  effect: number | null;
  q: number | null;
  outcome: 'finding' | 'grouped' | 'rejected';
  /** rejected only: the first rule it failed */
  reason?: string;
}

/** A claim of the agent the tools did not confirm ({test, claim, reason}), or a test of the agent's that was not confirmed ({test, metric, slice, q, effect}) */
export interface IWireBlindSpotRejected {
  test: string;
  claim?: string;
  reason?: string;
  metric?: string;
  slice?: string;
  q?: number | null;
  effect?: number | null;
}

/** What measuring a dataset's attributes did (visionlens_jlab/blindspots/attributes.py: compute_attributes) */
export interface IWireAttributesSummary {
  dataset: string;
  images: number;
  measured: number;
  unreadable: number;
  /** images outside the dataset's media root: never read */
  refused?: number;
  refused_examples?: number[];
  bad_names?: number;
  bad_name_examples?: number[];
  objects: number;
  seconds?: number;
  images_per_s?: number | null;
}

/** A stored verdict on a finding */
export interface IWireBlindSpotReview {
  id: string;
  verdict: 'confirmed' | 'rejected';
}

/** The result of an export job: what `visionlens export --json` prints (visionlens_jlab/export/run.py: ExportResult) */
export interface IWireExportResult {
  /** the folder written */
  out: string;
  format: string;
  samples: number;
  annotations: number;
  /** files written (label files and images) */
  files: number;
  /** samples left out: their image lies outside the dataset's media root */
  refused: number;
  /** samples left out: their file name cannot exist on a file system */
  bad_names: number;
  /** the samples left out (the first 100) */
  skipped: {
    sample_id: number;
    error: string;
  }[];
}

/** The project a send made (visionlens_jlab/labelstudio/roundtrip.py: send_view) */
export interface IWireLabelStudioProject {
  /** the Label Studio project id */
  project: number;
  /** the project's page in Label Studio */
  url: string;
  /** tasks imported (one per sample) */
  tasks: number;
  /** ground-truth objects sent */
  objects: number;
}

/** What the annotators changed, as label edits (visionlens_jlab/labelstudio/roundtrip.py: pull_changes), applied as one batch when the pull said apply */
export interface IWireLabelStudioChanges {
  project: number;
  /** the project's tasks sent from this dataset */
  tasks: number;
  /** those with an annotation */
  annotated: number;
  /** operations per kind */
  edits: {
    added: number;
    deleted: number;
    relabelled: number;
    moved: number;
    /** rotated boxes turned or resized, polygons' points moved */
    reshaped: number;
    /** keypoint objects whose points were moved, added or removed */
    keypoints_changed: number;
    /** samples whose image labels were set */
    classified: number;
    /** samples whose image labels were all removed */
    unclassified: number;
  };
  /** the edits not applied yet, as POST edits takes them (add, delete, relabel, move, reshape, keypoints, classify, unclassify) */
  operations: {
    op: string;
  }[];
  /** tasks not sent from this dataset, and regions that cannot become edits, with why */
  skipped: {
    /** the Label Studio task id */
    task: number | null;
    /** the region's id (absent: the whole task) */
    region?: string | null;
    reason: string;
  }[];
  /** operations applied (0 without apply) */
  applied: number;
  /** the batch of the edit log that applied them; null: none */
  batch: number | null;
  /** with apply, when something was applied: the samples touched (null past 1,000) */
  sample_ids?: number[] | null;
}

/** A file format ingest reads or export writes */
export interface IWireFileFormat {
  /** what a request's format names */
  name: string;
  /** what a form shows */
  title: string;
  /** the plugin that reads it (ingest formats of plugins) */
  plugin?: string;
  /** an export format that writes videos: refused for a dataset without videos (present only when true) */
  videos?: boolean;
}

/** GET formats: declared once on the server (visionlens_jlab/formats.py), with the plugins' ingest formats (visionlens_jlab/handlers/datasets.py: FormatsHandler) */
export interface IWireFileFormats {
  /** the format that detects among the others */
  auto: string;
  datasets: IWireFileFormat[];
  predictions: IWireFileFormat[];
  exports: IWireFileFormat[];
}

/** An embedding model usable on this server (visionlens_jlab/embed/registry.py: _row) */
export interface IWireEmbeddingModel {
  name: string;
  /** tag or checkpoint path */
  pretrained: string | null;
  /** null: unknown until the model is loaded */
  dim: number | null;
  source: string;
  available_offline: boolean;
  /** has a text tower (text search) */
  text: boolean;
  default: boolean;
}

/** The samples a lasso or rectangle selected on a map (JSON form; visionlens_jlab/handlers/maps.py) */
export interface IWireMapSelection {
  count: number;
  /** sorted sample ids */
  ids: number[];
}

/** GET plugins: the server's plugin API version and its plugins (visionlens_jlab/plugins/registry.py: PluginRegistry.document) */
export interface IWirePluginsListing {
  /** The plugin API of this server (major.minor) */
  api_version: string;
  /** Major versions a plugin may declare */
  supported_api_versions: string[];
  plugins: IWirePythonPlugin[];
}

/** A server-side (Python) plugin and whether it loaded (visionlens_jlab/plugins/registry.py: PluginRecord.to_dict) */
export interface IWirePythonPlugin {
  name: string;
  version: string;
  /** the plugin API version it was written for */
  api_version: string;
  hooks: (
    | 'sample_fields'
    | 'ingest_formats'
    | 'embedders'
    | 'blindspot_attributes'
    | 'agent_tools'
  )[];
  status: 'loaded' | 'failed' | 'disabled';
  /** Why it failed (import error, unsupported api_version, a hook that raised or ran past its time limit) */
  error: string | null;
  source: 'entry_point' | 'folder';
  /** The module (entry points) or file (folder plugins) */
  module: string;
}

/** An object as the edit log and a conflict show it (visionlens_jlab/edits/errors.py: public_state) */
export interface IWireEditedObject {
  annotation_id: number;
  sample_id: number;
  source: string;
  label: string;
  /** x, y, w, h in pixels */
  bbox: [number, number, number, number];
  tags: string[];
}

/** A sample's whole tag list, before or after a batch changed it */
export interface IWireSampleTagsState {
  sample_id: number;
  tags: string[];
}

/** A sample's image-level labels of one source (sorted), before or after a batch changed them */
export interface IWireImageLabelsState {
  sample_id: number;
  source: string;
  labels: string[];
}

/** The operation log of label edits, newest first (visionlens_jlab/edits/log.py: edit_log) */
export interface IWireEditLog {
  operations: IWireEditLogEntry[];
  /** the batch an undo would invert, or null */
  undo: number | null;
  /** the batch a redo would invert, or null */
  redo: number | null;
}

/** One operation of the log: an object's (before/after an EditedObject, null where it did not exist), a sample's tag change (op sample_tags, annotation_id and source null, before/after a SampleTagsState) or a sample's image-label change (op image_labels, annotation_id null, before/after an ImageLabelsState) */
export interface IWireEditLogEntry {
  seq: number;
  batch: number;
  kind: 'edit' | 'undo' | 'redo' | 'restore';
  /** an undo's or redo's inverted batch; a restore's version */
  target: number | null;
  /** add, delete, relabel, move, mask, reshape, keypoints, accept, tag, untag, sample_tags or image_labels */
  op: string;
  annotation_id: number | null;
  sample_id: number;
  source: string | null;
  before:
    IWireEditedObject | IWireSampleTagsState | IWireImageLabelsState | null;
  after:
    IWireEditedObject | IWireSampleTagsState | IWireImageLabelsState | null;
  created_at: string;
  user: string;
}

export interface IWireReport {
  counts?: { [key: string]: number };
  warnings?: IWireIssue[];
  errors?: IWireIssue[];
}

export interface IWireIssue {
  code: string;
  message: string;
  count?: number;
  examples?: string[];
}

/** What to label next (visionlens_jlab/select/request.py): the strategies' words are checked before the job is queued (a bad word: 400 naming it) */
export interface IWireSelectionRequest {
  /** how many samples to choose */
  count: number;
  /** words name[:weight] (default diversity): diversity, typicality, coverage, representativeness, similar, unlike (vectors of `space`); balance, uncertainty, entropy, margin, disagreement, label_quality, image_quality, random */
  strategies?: string[];
  filter?: IWireFilter | null;
  /** the embedding space of the vector strategies: a space's name or a model name, as maps take it (default: the newest space holding the dataset's vectors) */
  space?: string | null;
  /** samples carrying any of these tags now are not candidates */
  exclude_tags?: string[];
  /** samples with ground truth now (objects, image labels or label maps) are not candidates */
  exclude_labelled?: boolean;
  /** the tag written on the chosen (default selected-<id>); a tag some samples carry already is added to the chosen too (one tag for every round of labelling), while each record lists its own chosen */
  tag?: string | null;
  /** the random seed: the same seed and data give the same choice (at most 2^63 - 1: the record keeps a 64-bit integer) */
  seed?: number;
  /** the candidates and the scores read at this saved version (the tag is written on the current samples) */
  version?: WireVersion;
  /** balance over: class (the ground-truth class, the default) or any sample field a filter names (split, fields.<key>, computed.<name>) */
  balance_field?: string | null;
  /** target shares per value (default: equal shares over the candidates' values) */
  balance_target?: { [key: string]: number } | null;
  /** the model of uncertainty (the first; default the newest with objects or image labels), the two of disagreement (of one kind: two classifiers or two detectors). A candidate the model has no prediction for ranks last: a classifier's is unscored (after every scored one, also when a probability is NaN or infinite), a detector's has no box (uncertainty 0, as sure as can be); disagreement: a classifier pair missing either prediction is unscored, a detector pair with no box on either side scores 0 */
  models?: string[];
  /** similar / unlike: the tag of the reference samples */
  reference_tag?: string | null;
}

/** A stored selection (visionlens_jlab/select/records.py); one read by id also has its rows */
export interface IWireSelection {
  id: number;
  dataset: string;
  created: string;
  strategies: {
    name: string;
    weight: number;
  }[];
  filter: { [key: string]: unknown };
  /** exclude_tags, exclude_labelled, version, balance_field, balance_target, models, reference_tag, candidates (how many there were), without_vectors (candidates left out for want of a vector) */
  options: { [key: string]: unknown };
  space: string | null;
  seed: number;
  /** asked for */
  count: number;
  /** chosen (fewer when the candidates ran out) */
  chosen: number;
  tag: string;
  seconds: number;
  rows?: IWireSelectionRow[];
  /** the job's result: the chosen in rank order */
  sample_ids?: number[];
}

/** A chosen sample: rank 0 was chosen first; scores are each strategy's scaled, weighted gain when it was chosen (they sum to score: why it was chosen) */
export interface IWireSelectionRow {
  sample_id: number;
  rank: number;
  score: number;
  scores: { [key: string]: number };
}

/** A mask as COCO's compressed RLE: size [height, width] and the counts text (pycocotools' encoding), in the image's pixels */
export interface IWireMaskRle {
  size: [number, number];
  counts: string;
}

/** Click-to-mask's answer (POST /datasets/{name}/samples/{sample_id}/segment): the best mask of the prompt, in the image's pixels; nothing is written (docs/segment.md) */
export interface IWireSegmentMask {
  sample_id: number;
  model: string;
  mask: IWireMaskRle;
  /** pixels in the mask */
  area: number;
  /** the mask's extent [x, y, w, h] */
  bbox: number[];
  /** the model's predicted IoU of this mask */
  score: number;
  width: number;
  height: number;
  /** whether this click paid the image encoder */
  embedding: 'cached' | 'computed';
  seconds: {
    /** the image encoder (0 when cached) */
    embed: number;
    /** the prompt encoder and mask decoder */
    decode: number;
  };
}

/** What a prefetch of image embeddings queued on the model's thread (POST /datasets/{name}/segment/prefetch) */
export interface IWireSegmentPrefetch {
  /** embeddings to compute */
  queued: number;
  /** already held */
  cached: number;
  /** samples of the previous prefetch not started, replaced */
  dropped: number;
}

/** What the server writes for a refused or failed request (jupyter_server's APIHandler.write_error): the message, and the HTTP reason phrase when an HTTPError set one (null for an unhandled error, which also sends an empty traceback). The edit routes' invalid batch adds index (the operation's position, or null); no route writes other keys */
export interface IWireError {
  message: string;
  reason?: string | null;
  /** edit routes: the invalid operation's position in the batch, or null */
  index?: number | null;
  /** an unhandled error only; always empty */
  traceback?: string;
}

/** The answer of a route that queues a background job (202): the job; its result comes on the job (GET /jobs/{job_id}, job events on /api/events/subscribe) */
export interface IWireJobQueued {
  job: IWireJob;
}

/** An object changed since the caller (or the batch being undone, redone or restored) saw it; nothing was written (visionlens_jlab/edits/errors.py: EditConflict) */
export interface IWireObjectConflict {
  message: string;
  conflict: {
    /** the operation's position in the batch; null for an undo, redo or restore */
    index: number | null;
    annotation_id: number;
    /** the object now; null: it no longer exists */
    current: IWireEditedObject | null;
  };
}

/** A sample's tags changed since the batch being undone, redone or restored saw them; nothing was written (visionlens_jlab/edits/errors.py: SampleTagConflict) */
export interface IWireSampleTagConflict {
  message: string;
  conflict: {
    /** always null: an undo, redo or restore has no operation position */
    index: number | null;
    sample_id: number;
    /** the sample's tags now; null: it no longer exists */
    tags: string[] | null;
  };
}

/** A sample's image-level labels changed since the caller (an operation's expected) or the batch being undone, redone or restored saw them; nothing was written (visionlens_jlab/edits/errors.py: ImageLabelConflict) */
export interface IWireImageLabelConflict {
  message: string;
  conflict: {
    /** the operation's position in the batch; null for an undo, redo or restore */
    index: number | null;
    sample_id: number;
    source: string;
    /** the sample's image labels of the source now; null: it no longer exists */
    labels: string[] | null;
  };
}

/** The body of an edit route's 409 conflict: an object's, a sample's tags' or a sample's image labels' */
export type WireEditConflict =
  IWireObjectConflict | IWireSampleTagConflict | IWireImageLabelConflict;

/** A background job (visionlens_jlab/jobs/job.py: Job.to_dict, every key always present) */
export interface IWireJob {
  id: string;
  kind: string;
  title: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  progress: number | null;
  message: string;
  result: { [key: string]: unknown } | null;
  error: string | null;
  created_at: string;
  /** gpu: heavy model jobs, one at a time */
  lane: 'default' | 'gpu';
  /** a gpu job that makes way (caption jobs): queued behind the other gpu jobs, and paused between batches (status back to queued) while one waits, then resumed */
  yields: boolean;
  /** e.g. loading, embedding, indexing, writing */
  stage: string;
  items_per_second: number | null;
  eta_seconds: number | null;
  /** 1-based place among the queued jobs of its lane; null once running */
  queue_position: number | null;
  /** the dataset the job works on; deleting it cancels the job */
  dataset: string | null;
  /** what the job changed, as its kind declares it; null unless its status is done (the job event carries the same) */
  effects: IWireJobEffects | null;
  /** a model job's time per stage so far (embeddings, detectors, captioners, VLM answers, zero-shot); null for other jobs and before the model is loaded */
  stages: IWireStageReport | null;
}

/** Where a model job's time goes (visionlens_jlab/jobs/stages.py: StageTimer.report); in a model job's progress and its result */
export interface IWireStageReport {
  seconds: IWireStageSeconds;
  busy: IWireStageSeconds;
  /** the job's wall time since its model was loaded */
  wall_seconds: number;
  /** the stage with the most seconds: the one that bounds the job (null: none timed yet) */
  bound_by:
    | 'read'
    | 'decode'
    | 'preprocess'
    | 'transfer'
    | 'forward'
    | 'postprocess'
    | 'write'
    | null;
  /** fraction of the wall time the GPU spent in forward passes (CUDA events); null on a CPU */
  gpu_busy: number | null;
  /** the forward passes' GPU time; null on a CPU */
  gpu_seconds: number | null;
  /** the process that made the report */
  pid: number;
}

/** Seconds per stage. In seconds: the wall time of the loop that drives the model, its waits for the next batch shared among read, decode and preprocess by their busy time (they sum to at most wall_seconds). In busy: every thread's time in the stage, overlapping ones included */
export interface IWireStageSeconds {
  read: number;
  decode: number;
  preprocess: number;
  transfer: number;
  forward: number;
  postprocess: number;
  write: number;
}

/** What a job of a kind changes when it ends well (visionlens_jlab/jobs/kinds.py) */
export interface IWireJobEffects {
  /** the data it wrote that panels show: samples (an ingest), predictions (an import, a model run, captions), evaluation, fields (computed sample fields: duplicates, quality, plugin fields, embeddings) */
  data: ('samples' | 'predictions' | 'evaluation' | 'fields')[];
  /** how the datasets list changed: created (a new dataset), changed (its models, evaluations or embedding spaces); null: not at all */
  datasets: 'created' | 'changed' | null;
}

/** The result of an embedding job (also what `visionlens embed --json` prints) */
export interface IWireEmbedResult {
  dataset?: string;
  model?: string;
  /** pretrained tag, checkpoint-<sha256 prefix>, or the built-in's version */
  version?: string;
  space?: string;
  dim?: number | null;
  embedded?: number;
  /** samples that already had a vector */
  skipped?: number;
  /** unreadable images */
  failed?: number;
  errors?: {
    sample_id?: number;
    message?: string;
  }[];
  /** cpu or cuda; null when nothing needed embedding */
  device?: string | null;
  /** float32, bfloat16 or float16 */
  dtype?: string | null;
  /** images per forward pass at the end (the warm-up's choice under auto, smaller than asked after an out-of-memory error); null when nothing needed embedding under auto */
  batch_size?: number | null;
  /** auto with an open_clip model only: {settled, images_per_second by size tried} */
  batch_warm_up?: { [key: string]: unknown };
  /** process, kernel[:spec], ray[:address] (server) or local (CLI without a server) */
  runner?: string;
  /** ray runner only: address, ray_version, nodes, gpus, model_actors, actors_started (0: the job ran on warm actors), workers [{worker, node, images}], nodes_used, duplicates_dropped, missing */
  cluster?: { [key: string]: unknown };
  seconds?: number;
  /** embedded images per second once the model was loaded */
  images_per_second?: number;
  /** the process that computed the vectors */
  pid?: number | null;
  notice?: string;
  /** min cosine of bf16/fp16 vs fp32 embeddings on the first batch */
  reduced_cosine?: number | null;
  /** where the time went; null when nothing needed embedding */
  stages?: IWireStageReport | null;
  /** images outside the dataset's media root: never read (as the image route's 403) */
  refused?: number;
  /** up to 5 sample ids */
  refused_examples?: number[];
  /** file names no file system can hold (a NUL byte, too long): never read */
  bad_names?: number;
  /** up to 5 sample ids */
  bad_name_examples?: number[];
}

/** A stored map (visionlens_jlab/maps/store.py: describe) */
export interface IWireMapDescriptor {
  /** method + hash of (dataset, space, method, params) */
  id: string;
  dataset: string;
  space: string;
  method: 'pca' | 'umap' | 'tsne';
  /** Every parameter */
  params: { [key: string]: unknown };
  points: number;
  /** Samples were embedded, unembedded or deleted since (null: vector store unavailable) */
  stale: boolean | null;
  /** why it is stale, e.g. '12 samples deleted since it was computed'; null when fresh or unknown */
  stale_reason: string | null;
  /** Embedded samples the map lacks */
  missing: number | null;
  /** Map points whose vector is gone */
  removed: number | null;
  /** points the map was computed or last placed with that a sample delete took (negative: an undo brought back points a placing had dropped) */
  deleted: number;
  created_at: string;
  updated_at: string;
  /** [xmin, ymin, xmax, ymax] (nulls for an empty map) */
  bounds: [number | null, number | null, number | null, number | null];
  compute_seconds: number;
  /** POST only: answered from the store */
  cached?: boolean;
}

/** A stored evaluation as GET evaluations lists it (visionlens_jlab/evaluate/store.py: list_evaluations), without the full report */
export interface IWireEvaluationSummary {
  key: string;
  model: string;
  protocol: 'coco' | 'voc' | 'lvis';
  iou: number;
  /** bbox for evaluations stored before segm and keypoints evaluation */
  iou_type: 'bbox' | 'rotated' | 'segm' | 'keypoints';
  /** Every parameter of the run */
  params: { [key: string]: unknown };
  created_at: string;
  /** the model's newest evaluation */
  latest: boolean;
  stats: IWireEvaluationStats;
  /** the model was imported again, or its boxes or the ground truth were edited since: evaluate again for its numbers */
  stale: boolean;
  /** boxes of the model or the ground truth were edited since (the per-box rows of the edited samples were matched again; the summary is the run's) */
  edited_since: boolean;
}

/** The headline numbers by name: COCO's COCOeval.stats (AP, AP50 ... ARlarge; -1 where undefined), VOC's mAP and mAP_11point, LVIS's LVISEval.results (AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300, ARl@300; -1 where undefined); null where undefined (NaN); empty when none were stored */
export type IWireEvaluationStats = { [key: string]: number | null };

/** One stored evaluation report (visionlens_jlab/evaluate/report.py: EvaluationReport.to_dict, with created_at and latest from the store) */
export interface IWireEvaluationReport {
  key: string;
  dataset: string;
  model: string;
  protocol: 'coco' | 'voc' | 'lvis';
  /** absent from reports stored before segm and keypoints evaluation: bbox */
  iou_type?: 'bbox' | 'rotated' | 'segm' | 'keypoints';
  iou: number;
  params: { [key: string]: unknown };
  stats: IWireEvaluationStats;
  per_class: IWireEvaluationClassRow[];
  /** Rows: the true class, columns: the predicted class, both ending with background */
  confusion: {
    labels: string[];
    matrix: number[][];
  };
  /** By class: 101 recall points and the interpolated precision at iou */
  pr_curves: {
    [key: string]: {
      recall: number[];
      precision: number[];
    };
  };
  /** Boxes by status at iou (tp, fp, fn, ignored) */
  counts: { [key: string]: number };
  warnings: string[];
  created_at: string;
  /** the model's newest evaluation */
  latest: boolean;
  /** COCO bbox and segm: TIDE's error analysis; null for other evaluations and for reports stored before it existed */
  tide?: IWireTideErrors | null;
}

/** TIDE's error analysis (visionlens_jlab/evaluate/tide.py: TideErrors.to_dict), equal to the tidecv package with its defaults (foreground IoU 0.5, background 0.1): the AP points each error type costs */
export interface IWireTideErrors {
  /** dAP of fixing one error type with its oracle: class, localisation, both, duplicate, background, missed */
  main: {
    Cls: number;
    Loc: number;
    Both: number;
    Dupe: number;
    Bkg: number;
    Miss: number;
  };
  /** dAP of perfect precision (FalsePos) and perfect recall (FalseNeg) */
  special: {
    FalsePos: number;
    FalseNeg: number;
  };
  /** TIDE's own AP50 in points (0-100), the base of the dAPs */
  ap: number;
  /** each object's error is stored with the evaluation, so labels.eval.tide opens the objects of an error type; absent in a report stored before VisionLens stored them (evaluate again) */
  objects?: boolean;
  /** The number of errors of each main type */
  counts: {
    Cls: number;
    Loc: number;
    Both: number;
    Dupe: number;
    Bkg: number;
    Miss: number;
  };
}

/** One row of the per-class table, counted at iou; AP is null for a class without ground truth. COCO adds AP50, AP75 and AR100 (keypoints AR20), LVIS AP50, AP75 and AR300, VOC AP_11point */
export interface IWireEvaluationClassRow {
  class: string;
  AP: number | null;
  precision: number | null;
  recall: number | null;
  tp: number;
  fp: number;
  fn: number;
  num_gt: number;
  [key: string]: number | null | string;
}

/** A flagged region of a semantic label-quality run: an 8-connected component of one class of the ground-truth label map */
export interface IWireSemanticRegion {
  sample_id: number;
  /** its ground-truth class (dataset content) */
  class: string;
  pixels: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** the share of its pixels the model agrees with (lower: worse) */
  score: number;
  /** the class the model gives most of its pixels; null: a value that is no class */
  predicted: string | null;
  flagged: boolean;
}

/** A page of the patches view of kind regions: stored regions of a semantic label-quality run (visionlens_jlab/label_quality/region_pages.py: regions_page) */
export interface IWireRegionPatchesPage {
  total: number;
  offset: number;
  limit: number;
  kind: 'regions';
  /** the semantic model of the run */
  source: string;
  /** the same model */
  lq_model: string;
  /** always null: regions are of the current labels */
  version: number | null;
  /** always null */
  evaluation: string | null;
  objects: IWireRegionPatch[];
}

/** One region of a page of kind regions: its tile crops its box (GET .../samples/{sample_id}/regions/{region}/crop?model=) */
export interface IWireRegionPatch {
  sample_id: number;
  /** its number among the image's stored regions (with the model and sample_id, its key) */
  region: number;
  /** its ground-truth class (dataset content) */
  label: string;
  /** the class the model gives most of its pixels; null: a value that is no class */
  predicted: string | null;
  pixels: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** the share of its pixels the model agrees with (lower: worse) */
  score: number;
  /** most of its pixels are predicted as another class (and it has at least 16) */
  flagged: boolean;
  file_name: string;
  image_width: number | null;
  image_height: number | null;
  /** the region of the image its tile shows at context 0.25, [x, y, w, h]; null when the image's size is unknown */
  crop: [number, number, number, number] | null;
}

/** A page of the patches view (visionlens_jlab/catalog/reads/object_pages.py: patches_page, with visionlens_jlab/label_quality/conflicts.py and visionlens_jlab/media/crops.py: tile_regions) */
export interface IWirePatchesPage {
  total: number;
  offset: number;
  limit: number;
  kind: 'objects' | 'evaluation';
  /** kind objects: the objects' source; kind evaluation: the evaluated model */
  source: string | null;
  /** the label-quality run the objects' lq_ fields are of (null: none) */
  lq_model: string | null;
  /** the saved version read (null: the current labels) */
  version: number | null;
  /** the evaluation key the statuses are of (null: none) */
  evaluation: string | null;
  objects: IWirePatch[];
}

/** One object of a patches page: its declared label kinds' fields only where it has them (visionlens_jlab/records/label_kinds.json) */
export interface IWirePatch {
  ann_id: number;
  sample_id: number;
  /** ground_truth or the model's name */
  source: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** x, y, w, h in pixels (the box kind's field) */
  bbox: [number, number, number, number];
  score: number | null;
  area: number | null;
  iscrowd: boolean;
  /** the source's other keys of the object (dataset content) */
  attributes: { [key: string]: unknown };
  file_name: string;
  /** the object's tags, sorted */
  tags: string[];
  image_width: number | null;
  image_height: number | null;
  /** a rotated box's corners [x1, y1, ..., x4, y4] in pixels */
  obb?: number[];
  /** a polyline's points [x1, y1, x2, y2, ...] in pixels */
  polyline?: number[];
  /** its mask as stored: COCO polygons or RLE (untrusted dataset content) */
  segmentation?: unknown;
  /** pixel area of the mask (with segmentation) */
  mask_area?: number | null;
  /** flat [x, y, v, ...] in pixels */
  keypoints?: number[];
  /** labelled keypoints (v > 0); with keypoints */
  num_keypoints?: number | null;
  /** the region of the image its tile shows at context 0.25, [x, y, w, h]; null when the image's size is unknown */
  crop: [number, number, number, number] | null;
  /** a patch with a partner: the partner's id (match.ann_id, the crop route's `with`); its tile shows the pair */
  crop_with?: number;
  /** with an evaluation: the object's status in it, the key of the patch's colour (null: not judged by it) */
  status?: 'tp' | 'fp' | 'fn' | 'ignored' | null;
  /** kind evaluation: the IoU with its match */
  iou?: number | null;
  /** kind evaluation */
  matched_ann_id?: number | null;
  /** kind evaluation: why a false positive is false */
  error_type?: string | null;
  /** kind evaluation: the class it was confused with */
  confused_with?: string | null;
  /** kind evaluation: the partner (a TP's matched ground truth, an FP's explaining ground truth, a miss's best-IoU false positive explained by it); a flagged object of a label-quality run: the object it disagrees with (the model's prediction behind its score; an overlooked prediction's nearest label); null: none */
  match?: IWirePatchMatch | null;
  /** with a label-quality run: the object's most likely issue */
  lq_issue?: string | null;
  /** with a label-quality run: its score (lower is worse) */
  lq_score?: number | null;
  /** with a label-quality run: whether its score is under the issue's threshold */
  lq_flagged?: boolean | null;
}

/** The partner a patch is drawn with, and the pair's IoU */
export interface IWirePatchMatch {
  ann_id: number;
  /** ground_truth or the model's name */
  source: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
  score: number | null;
  /** of the two (an evaluation's: box or mask IoU, or OKS) */
  iou: number | null;
}

/** The quality view (visionlens_jlab/quality_view.py: quality_overview): reads the stored results only */
export interface IWireQualityOverview {
  dataset: string;
  /** every prediction set, in name order */
  models: IWireQualityModel[];
  /** models with a stored label-quality run, newest first */
  scored: string[];
  /** the model whose run label shows (the asked one, else the newest scored); null: none */
  model: string | null;
  /** the stored label-quality run of that model; null: no run of it */
  label:
    | IWireLabelQualityView
    | IWireClassLabelQualityView
    | IWireSemanticLabelQualityView
    | null;
  /** the image-quality fields as issue rows; null: never computed */
  image: IWireImageQualityView | null;
}

/** A prediction set, and whether label quality can score it */
export interface IWireQualityModel {
  name: string;
  /** objects when it has objects, semantic for semantic masks (of a dataset whose ground truth has them), else classification (image-level labels) */
  kind: 'objects' | 'classification' | 'semantic';
  scorable: boolean;
  /** why not (a classification set with only a top label per image); null when scorable */
  reason: string | null;
}

/** The stored label-quality run of an object model: per issue type the patches view of its flagged objects, lowest score first; counts as `visionlens label-quality` prints them */
export interface IWireLabelQualityView {
  kind: 'objects';
  model: string;
  created_at: string;
  /** the run's threshold per issue type */
  thresholds: { [key: string]: number };
  /** objects scored */
  objects: number;
  /** images scored (null: a run stored before images were scored) */
  images: number | null;
  /** one row per issue type, in the server's order */
  issues: IWireLabelIssueRow[];
  /** samples were deleted, restored or added, or the labels it read changed, since it was computed (visionlens_jlab/catalog/reads/result_basis.py): compute it again */
  stale?: boolean;
  /** why it is stale, e.g. '12 samples deleted since it was computed'; null when fresh */
  stale_reason?: string | null;
  /** samples it was computed over that are gone (null: a result stored before this was recorded) */
  samples_removed?: number | null;
  /** samples added since (null: as samples_removed) */
  samples_added?: number | null;
  /** the labels of the sources it read changed since (results that read labels: blind spots, label quality) */
  labels_changed?: boolean;
}

/** The stored label-quality run of a classification model: one issue type, mislabeled, whose row is a grid view of the flagged images, lowest computed.lq_class_score first */
export interface IWireClassLabelQualityView {
  kind: 'classification';
  model: string;
  created_at: string;
  /** none: a classification run has no thresholds */
  thresholds: { [key: string]: number };
  /** 0: no objects are scored */
  objects: number;
  images: number;
  issues: IWireImageIssueRow[];
  /** samples were deleted, restored or added, or the labels it read changed, since it was computed (visionlens_jlab/catalog/reads/result_basis.py): compute it again */
  stale?: boolean;
  /** why it is stale, e.g. '12 samples deleted since it was computed'; null when fresh */
  stale_reason?: string | null;
  /** samples it was computed over that are gone (null: a result stored before this was recorded) */
  samples_removed?: number | null;
  /** samples added since (null: as samples_removed) */
  samples_added?: number | null;
  /** the labels of the sources it read changed since (results that read labels: blind spots, label quality) */
  labels_changed?: boolean;
}

/** The stored label-quality run of a semantic-mask model: one issue type, mislabeled_region, whose row is the patches view (kind regions) of the flagged regions, lowest score first (visionlens_jlab/label_quality/region_view.py) */
export interface IWireSemanticLabelQualityView {
  kind: 'semantic';
  model: string;
  created_at: string;
  /** none: a semantic run has no thresholds */
  thresholds: { [key: string]: number };
  /** 0: no objects are scored */
  objects: number;
  images: number;
  issues: IWireRegionIssueRow[];
  /** samples were deleted, restored or added, or the labels it read changed, since it was computed (visionlens_jlab/catalog/reads/result_basis.py): compute it again */
  stale?: boolean;
  /** why it is stale, e.g. '12 samples deleted since it was computed'; null when fresh */
  stale_reason?: string | null;
  /** samples it was computed over that are gone (null: a result stored before this was recorded) */
  samples_removed?: number | null;
  /** samples added since (null: as samples_removed) */
  samples_added?: number | null;
  /** the labels of the sources it read changed since (results that read labels: blind spots, label quality) */
  labels_changed?: boolean;
}

/** The row of a semantic run: its flagged regions' count, per class, and the patches view (kind regions, model, sort score, order asc) of them */
export interface IWireRegionIssueRow {
  issue: 'mislabeled_region';
  /** flagged regions of the stored run */
  count: number;
  /** the flagged regions per ground-truth class, most first */
  classes: {
    class: string;
    count: number;
  }[];
  /** the samples filter whose semantic_regions condition selects exactly the members */
  filter: IWireFilter;
  kind: 'regions';
  model: string;
  sort: string;
  order: 'asc' | 'desc';
  /** the notebook call (ds.patches) that returns the view's rows in order */
  code: string;
}

/** One label-issue row: its count and the patches view of its members (filter, source, sort lq_score, order asc, lq_model) */
export interface IWireLabelIssueRow {
  issue: 'overlooked' | 'swapped' | 'badly_located' | 'spurious';
  /** flagged objects of this type in the stored run */
  count: number;
  /** the samples filter whose label condition selects exactly the members */
  filter: IWireFilter;
  /** the patches' source: the model for overlooked, else ground truth */
  source: string;
  sort: string;
  order: 'asc' | 'desc';
  /** the run whose scores the patches carry and sort by */
  lq_model: string;
  /** the notebook call (ds.patches) that returns the view's rows in order */
  code: string;
  /** the view's first patch as POST patches gives it (with its match, the object it disagrees with); null when the row is empty */
  example: IWirePatch | null;
}

/** One image-issue row: its count and the grid view of its members (filter on the issue's flag, sort by its score, asc) */
export interface IWireImageIssueRow {
  issue: string;
  count: number;
  filter: IWireFilter;
  /** the sample sort key (the issue's score field) */
  sort: string;
  order: 'asc' | 'desc';
  /** the notebook call (ds.samples) that returns the view's rows in order */
  code: string | null;
}

/** The stored image-quality fields as issue rows */
export interface IWireImageQualityView {
  images: number;
  /** images with pixel scores (an unreadable image gets none) */
  measured: number;
  issues: IWireImageIssueRow[];
}

/** The stored image-quality summary (visionlens_jlab/image_quality/job.py: summary; docs/quality.md): per issue type the flagged count and thresholds used */
export interface IWireImageQualitySummary {
  dataset: string;
  images: number;
  measured: number;
  issues: {
    issue:
      | 'dark'
      | 'light'
      | 'blurry'
      | 'low_information'
      | 'odd_aspect_ratio'
      | 'odd_size'
      | 'grayscale';
    count: number;
    /** cleanvision's thresholds used for this issue type */
    thresholds: { [key: string]: unknown };
    /** computed.quality_<issue>_score */
    score_field: string;
    /** computed.is_<issue>_issue */
    flag_field: string;
    /** the samples this issue flags */
    filter: IWireFilter;
  }[];
  /** the notebook call that reproduces the run */
  code: string;
}

/** The last label-quality result of a model (visionlens_jlab/label_quality/store.py: stored; docs/label_quality.md) */
export interface IWireLabelQualityResult {
  model: string;
  /** every object once with its most likely issue, worst first; none for a classification model */
  boxes: {
    annotation_id: number;
    sample_id: number;
    /** ground_truth or the model */
    source: string;
    issue: 'overlooked' | 'swapped' | 'badly_located' | 'spurious';
    score: number;
  }[];
  /** per image its score, worst first; empty when another model's run wrote the lq_* fields since; a classification model's: its last run's computed.lq_class_score */
  images: {
    sample_id: number;
    score: number | null;
  }[];
  /** a semantic-mask model's run: its stored flagged regions, worst first, as the job's result lists them (visionlens_jlab/label_quality/semantic_regions.py); absent for other models */
  regions?: IWireSemanticRegion[];
  /** the run's summary: thresholds, iou (box or mask), warnings (objects without a usable mask), objects, images, flagged, images_flagged, seconds */
  summary: { [key: string]: unknown };
  created_at: string;
  /** samples were deleted, restored or added, or the labels it read changed, since it was computed (visionlens_jlab/catalog/reads/result_basis.py): compute it again */
  stale?: boolean;
  /** why it is stale, e.g. '12 samples deleted since it was computed'; null when fresh */
  stale_reason?: string | null;
  /** samples it was computed over that are gone (null: a result stored before this was recorded) */
  samples_removed?: number | null;
  /** samples added since (null: as samples_removed) */
  samples_added?: number | null;
  /** the labels of the sources it read changed since (results that read labels: blind spots, label quality) */
  labels_changed?: boolean;
}

/** Every matching sample id (visionlens_jlab/catalog/reads/queries.py: sample_ids) */
export interface IWireSampleIds {
  total: number;
  /** ascending */
  ids: number[];
}

/** Where a selection stands in a view (visionlens_jlab/catalog/reads/positions.py: selection_position) */
export interface IWireSelectionPosition {
  /** the position (from 0) of the first of the ids in the pages (null: the filter shows none of them) */
  index: number | null;
  /** the sample at index (null: none) */
  sample_id: number | null;
  /** how many of the ids the filter shows */
  shown: number;
  /** how many others of the ids are samples of the dataset (ids of no sample are not counted) */
  hidden: number;
}

/** The notebook call that selects what the panels have selected */
export interface IWireSelectionCode {
  /** `session = vl.open(name)` then `session.select(...)`; null for no ids, or more than max_ids */
  code: string | null;
  /** the most ids shown as code (1000) */
  max_ids: number;
}

/** Per VLM question, Cohen's kappa against the measured attributes and the user's labels, and whether the blind-spot finder may use it (visionlens_jlab/predict/calibration.py: calibration; docs/models.md) */
export interface IWireVlmCalibration {
  dataset: string;
  /** VisionLensApp.vlm_kappa_threshold */
  threshold: number;
  /** a kappa needs this many samples with both values (else null) */
  min_pairs: number;
  /** the dataset's VLM run's questions, else the default list */
  questions: {
    question: string;
    /** the computed field of its answers */
    field: string;
    /** its closed answers */
    answers: string[];
    /** the measured field compared, or null */
    measured: string | null;
    kappa_measured: number | null;
    n_measured: number;
    kappa_labels: number | null;
    n_labels: number;
    n: number;
    /** the smaller kappa */
    kappa: number | null;
    /** some kappa, and every kappa at least the threshold */
    usable: boolean;
    reason: string;
  }[];
}

/** A vector space of a dataset (visionlens_jlab/embed/spaces.py: dataset_spaces), recorded when an embedding job finishes */
export interface IWireVectorSpace {
  space: string;
  model: string;
  version: string;
  dim: number;
  preprocessing: string;
  /** vectors of this dataset in the store now */
  count: number;
  /** every sample has a vector (or an unreadable image) */
  complete: boolean;
  updated_at: string;
}

/** A video of a dataset (visionlens_jlab/importing/video_reads.py): a video file or a sequence of frame images, with what its probe found */
export interface IWireVideo {
  /** from 1 within the dataset */
  video_id: number;
  name: string;
  location: string;
  kind: 'file' | 'sequence';
  fps: number | null;
  num_frames: number;
  /** seconds */
  duration: number | null;
  codec: string | null;
  width: number | null;
  height: number | null;
  rotation: number;
  variable_frame_rate: boolean;
  /** distinct ground-truth tracks (the filter field video_tracks) */
  tracks: number;
}

/** A video of a view as a tile of the videos view (visionlens_jlab/importing/video_tiles.py): its row and the frames the view keeps */
export interface IWireVideoTile {
  /** from 1 within the dataset */
  video_id: number;
  name: string;
  location: string;
  kind: 'file' | 'sequence';
  fps: number | null;
  num_frames: number;
  /** seconds */
  duration: number | null;
  codec: string | null;
  width: number | null;
  height: number | null;
  rotation: number;
  variable_frame_rate: boolean;
  /** distinct ground-truth tracks of the whole video */
  tracks: number;
  /** its frames the filter keeps (all of them without a filter) */
  matching_frames: number;
  /** up to `scrub` of the matching frames, evenly spread, in frame order; the first is the first matching frame (the poster) */
  scrub_frames: {
    /** from 1 */
    frame_number: number;
    sample_id: number;
  }[];
}

export interface IWireVideoTilesPage {
  /** videos with at least one frame the filter keeps */
  total: number;
  offset: number;
  limit: number;
  videos: IWireVideoTile[];
}

/** One track of the ground truth or of a model (visionlens_jlab/importing/video_reads.py) */
export interface IWireTrack {
  /** the video's name */
  video: string;
  video_id: number;
  /** the identity, unique in the dataset per source */
  track_id: number;
  /** the identity in the source file (MOT's id, CVAT's track id) */
  source_id: string | null;
  /** the class on its first frame */
  label: string;
  /** from 1 */
  first_frame: number;
  last_frame: number;
  /** frames it has an object on (the filter field track_length) */
  length: number;
  /** last_frame - first_frame + 1 */
  span: number;
}

/** A track of a view as a tile of the tracks view (visionlens_jlab/importing/track_tiles.py): its whole track's row, and the objects the view keeps */
export interface IWireTrackTile {
  /** the video's name */
  video: string;
  video_id: number;
  /** the identity, unique in the dataset per source */
  track_id: number;
  /** the identity in the source file (MOT's id, CVAT's track id) */
  source_id: string | null;
  /** the class on its first frame */
  label: string;
  /** from 1 */
  first_frame: number;
  last_frame: number;
  /** frames it has an object on (the filter field track_length) */
  length: number;
  /** last_frame - first_frame + 1 */
  span: number;
  /** the sample of its first frame (where its tile opens the video view) */
  first_sample_id: number;
  /** its objects the view keeps (all of them without a filter) */
  matching: number;
  /** up to `patches` of the kept objects, evenly spread, in frame order; the first is the first kept object */
  patches: {
    /** from 1 */
    frame_number: number;
    /** the frame's sample */
    sample_id: number;
    /** the object (its crop: GET datasets/{name}/objects/{ann_id}/crop) */
    ann_id: number;
    /** x, y, w, h in pixels */
    bbox: [number, number, number, number];
  }[];
}

export interface IWireTrackTilesPage {
  /** tracks with at least one object the view keeps */
  total: number;
  offset: number;
  limit: number;
  tracks: IWireTrackTile[];
}

/** An object of a sample (visionlens_jlab/catalog/reads/label_reads.py); its kinds' fields (visionlens_jlab/records/label_kinds.json) only where it has them */
export interface IWireBox {
  ann_id: number;
  source: string;
  label: string;
  /** x, y, w, h in pixels */
  bbox: [number, number, number, number];
  score: number | null;
  iscrowd: boolean;
  difficult: boolean;
  /** The object's mask as stored, in COCO's form: polygons [[x1, y1, x2, y2, ...], ...] in pixels, or RLE {size: [h, w], counts: compressed string | run lengths (column-major)}. Absent when the object has no mask. */
  segmentation?:
    | number[][]
    | {
        size?: [number, number];
        counts?: string | number[];
      };
  /** pixel area of the mask (present with segmentation) */
  mask_area?: number | null;
  /** flat [x1, y1, v1, ...] in pixels (COCO: v 0 not labelled, 1 labelled hidden, 2 visible); absent without keypoints */
  keypoints?: number[];
  /** labelled keypoints (v > 0); present with keypoints */
  num_keypoints?: number | null;
  /** a polyline's points [x1, y1, x2, y2, ...] in pixels, in order; bbox is their extent; absent for other objects */
  polyline?: number[];
  /** a rotated box's corners [x1, y1, ..., x4, y4] in pixels, in the source's order (DOTA); bbox is their hull; absent for other objects */
  obb?: number[];
  /** page answers of a filter with label conditions only: whether this object meets one of them (views draw only these when showing the matching labels) */
  match?: boolean;
  /** asked with eval_status only: the object's status in that evaluation (null: not judged by it, e.g. another model's box) */
  status?: 'tp' | 'fp' | 'fn' | 'ignored' | null;
  /** GET samples/{sample_id} only: the area the source gave */
  area?: number | null;
  /** GET samples/{sample_id} only: the object's id in the source file */
  source_ann_id?: string | null;
  /** GET samples/{sample_id} only: the source's other keys of the object (dataset content) */
  attributes?: { [key: string]: unknown };
  /** GET samples/{sample_id} only, objects of a video track: the track's identity in the dataset (absent elsewhere) */
  track_id?: number;
}

/** A video of a dataset as the video view draws it (GET samples/{sample_id}/timeline) */
export interface IWireVideoTimeline {
  video: {
    /** from 1 within the dataset */
    video_id: number;
    /** the file name or the sequence's folder name (dataset content) */
    name: string;
    kind: 'file' | 'sequence';
    /** average frame rate; null when unknown (a sequence without seqinfo.ini) */
    fps: number | null;
    num_frames: number;
    /** seconds */
    duration: number | null;
    /** coded width */
    width: number | null;
    /** coded height */
    height: number | null;
    /** degrees the display turns the decoded picture */
    rotation: number;
    variable_frame_rate: boolean;
    /** the decoder's name of the stream (h264, hevc, vp9, av1, ...); null for a sequence of images */
    codec: string | null;
    /** the media type GET samples/{sample_id}/video streams the original as; null for a sequence of images */
    content_type: string | null;
  };
  /** the asked sample's frame number (from 1) */
  frame_number: number;
  /** index N - 1: frame N's sample id (null where the dataset has no sample for that frame) */
  frames: (number | null)[];
  /** one per (source, track_id): ground truth first, then by first frame */
  tracks: {
    /** ground_truth or a model's name */
    source: string;
    track_id: number;
    /** the class of the track's first object */
    label: string;
    first_frame: number;
    last_frame: number;
    /** [first, last] of each run of consecutive frames where the track has an object, ascending (a track on every frame is one pair) */
    runs: [number, number][];
    /** the frames where the track's class or an attribute differs from its previous object's (numbers compared by quarter: floor(4 * value)); by frame; at most 1,000, spread evenly over all of them (changes_total) (visionlens_jlab/importing/video_marks.py) */
    changes: {
      frame: number;
      /** label, or attributes.<key> */
      what: string;
      /** the previous object's value as text (dataset content) */
      before: string;
      /** this frame's value as text (dataset content) */
      after: string;
    }[];
    /** how many changes the track has (more than changes holds where it was capped) */
    changes_total: number;
    /** the frames whose object the source marks a keyframe (CVAT's listed shapes); empty where the source has none */
    keyframes: number[];
    /** with model: the frames where the track's object is one side of an identity switch in that model's latest tracking evaluation; else empty */
    switches: number[];
  }[];
  /** the models with a tracking evaluation of the dataset (the model option's choices) */
  tracking_models: string[];
  /** the model whose identity switches the tracks' switches give (the model option); null without */
  model: string | null;
}

/** An image-level label, ground truth or a model's */
export interface IWireClassification {
  /** ground_truth or the model's name */
  source: string;
  label: string;
  /** null for ground truth */
  score: number | null;
}

/** A sample of a page (visionlens_jlab/catalog/reads/queries.py: samples_page), GET samples/{sample_id} (sample_detail) or POST samples/details (sample_details) */
export interface IWireSample {
  sample_id: number;
  file_name: string;
  width: number | null;
  height: number | null;
  split: string | null;
  source_image_id: string | null;
  tags: string[];
  fields: { [key: string]: unknown };
  /** computed sample fields (e.g. dup_count, uniqueness), by name */
  computed: { [key: string]: unknown };
  annotations: IWireBox[];
  /** image-level labels: ground truth first, then each model's, best score first */
  classifications: IWireClassification[];
  /** the sources with a semantic or panoptic mask of this sample, the ground truth first (GET .../masks/{source}: the mask as an image); a page's sample names them only when it has one (visionlens_jlab/semantic/overlay.py: with_mask_sources), GET samples/{sample_id} and POST samples/details always */
  mask_sources?: string[];
}

/** One facet of the filter panel: a categorical facet counts each of its values, a numeric one gives its range and histogram. Every facet names its `filter` place and `unit`; `source` where it is of one source's labels (ground truth, predictions or a model), `key` on the evaluation facets (eval.status, eval.error), `model` on the tracking-outcome facets (track.status, track.switched, track.track_status, track.track_switches). No other key. */
export type WireFacet =
  | {
      name: string;
      type: 'categorical';
      /** the labels' source the facet counts (label facets) */
      source?: string;
      /** the evaluation whose outcomes it counts (the evaluation facets: the model's latest) */
      key?: string;
      /** the model whose tracking evaluation it counts (the track.* facets: its labels entry's track condition names it) */
      model?: string;
      values: {
        value: string | number | boolean | null;
        count: number;
      }[];
      /** where the facet's values go in the filter; null: counted only (the evaluation facets) */
      filter: WireFacetFilter | null;
      /** what its counts are numbers of */
      unit: 'samples' | 'objects' | 'image labels' | 'labels';
    }
  | {
      name: string;
      type: 'numeric';
      /** the labels' source the facet counts (label facets) */
      source?: string;
      /** the model whose tracking evaluation it counts (track.track_switches) */
      model?: string;
      /** null: no value */
      min: number | null;
      /** null: no value */
      max: number | null;
      /** the values counted */
      count: number;
      histogram: {
        lo: number;
        hi: number;
        count: number;
      }[];
      /** where the facet's range goes in the filter; null: counted only */
      filter: WireFacetFilter | null;
      /** what its counts are numbers of */
      unit: 'samples' | 'objects' | 'image labels' | 'labels';
    };

/** A facet's place in the filter JSON, declared by the facet's definition on the server (visionlens_jlab/catalog/query/facet_places.py). `sample`: `sample[key]`; `tags`: `tags.any`; `labels.classes` / `labels.score` / `labels.where` (`where[key]`) / `labels.type`: the labels entry of the facet's source (a `classification` value of `labels.type` asks for its classifications entry); `box_count`: its source's entry of the box_count list; `classifications.classes` / `classifications.score`: the classifications entry of its source; `labels.track` (`track[key]`): the `track` condition, of the facet's `model`, of its source's labels entry. */
export type WireFacetFilter =
  | {
      path: 'sample' | 'labels.where' | 'labels.track';
      /** the column or attribute inside that place; of labels.track, the key of the track condition (status, switched, track_switches, track_status) */
      key: string;
    }
  | {
      path:
        | 'tags'
        | 'labels.classes'
        | 'labels.score'
        | 'labels.type'
        | 'box_count'
        | 'classifications.classes'
        | 'classifications.score';
    };

/** The body of `POST /datasets`. */
export interface IWireIngestRequest {
  /** annotation file or dataset folder (server-side path) */
  source: string;
  name: string;
  /** auto, coco, yolo, voc, cvat, dota, yolo-obb (Ultralytics OBB: the YOLO layout, rows class x1 y1 ... x4 y4 normalised, rotated boxes; never auto-detected), txt, classification, mot (MOT Challenge sequences: seqinfo.ini, img1/, gt/gt.txt; frames with tracks), video (a folder of video files and image-sequence folders: every frame a sample), vis (YouTube-VIS / TAO JSON: videos of frame images, tracks of per-frame boxes and masks), or a plugin ingest format (GET plugins) */
  format?: string | null;
  /** image folder or gs://bucket/prefix */
  images?: string | null;
  split?: string | null;
  /** a CSV or Parquet of (file, label) on the server: the samples' ground-truth image labels, for formats without them (COCO, YOLO, VOC) */
  image_labels?: string | null;
}

/** The body of `POST /datasets/{name}/predictions`. */
export interface IWirePredictionsRequest {
  source: string;
  model: string;
  /** auto, coco, yolo, txt, txt-xywh, txt-rel, yolo-conf-last, dota, yolo-obb or classification (GET /formats: predictions). yolo-conf-last: Ultralytics' predict --save-txt --save-conf files (detection, segmentation and pose rows, the confidence last; pose rows where the dataset's class has keypoints). dota: DOTA Task1 results, a folder of Task1_<class>.txt files of image score x1 y1 ... x4 y4 (rotated boxes). mot: a tracker's MOT Challenge results, a folder of <sequence>.txt files or one, rows frame,id,x,y,w,h,conf (boxes with a track identity; auto when the rows are comma-separated). vis: YouTube-VIS results JSON, a list of {video_id, category_id, score, segmentations} (one track each, one mask per frame; auto when the first result names a video_id). yolo-obb: Ultralytics' predict task=obb save_txt save_conf files, rows class x1 y1 ... x4 y4 conf normalised (rotated boxes; never auto-detected) */
  format?: string | null;
  /** match the images among this split's samples only, by bare image id too (a COCO results file made against one split's file of a dataset read split by split) */
  split?: string | null;
}

/** The body of `POST /semantic-datasets`. */
export interface IWireSemanticDatasetsRequest {
  /** the dataset's folder (server-side path) */
  source: string;
  name: string;
  layout?: 'auto' | 'voc' | 'cvat' | 'cityscapes' | 'ade20k' | 'masks' | null;
  /** a file of class names, one a line (line i: pixel value i); ADE20K's objectInfo150.csv */
  classes?: string | null;
  /** the pixel value left out of every metric (default 255; ADE20K's 0 maps to it) */
  ignore_index?: number | null;
  /** the images' folder where it is apart from the masks (server-side path): an image is the file below it at its mask's path without the extension; source may then be the masks' folder itself */
  images?: string | null;
}

/** The body of `POST /panoptic-datasets`. */
export interface IWirePanopticDatasetsRequest {
  /** the COCO panoptic JSON (server-side path) */
  source: string;
  name: string;
  /** the PNG folder (default: the JSON's path without .json) */
  masks?: string | null;
  /** the images folder (default: images/ beside the PNG folder) */
  images?: string | null;
}

/** The body of `POST /datasets/{name}/semantic-predictions`. */
export interface IWireSemanticPredictionsRequest {
  /** a folder of PNG masks named by their image's stem (server-side path) */
  source: string;
  model: string;
  /** the PNG values are class indices (default: encoded like the ground truth, e.g. Cityscapes label ids) */
  indices?: boolean | null;
}

/** The body of `POST /datasets/{name}/panoptic-predictions`. */
export interface IWirePanopticPredictionsRequest {
  /** the results' COCO panoptic JSON (server-side path) */
  source: string;
  model: string;
  /** the PNG folder (default: the JSON's path without .json) */
  masks?: string | null;
}

/** The body of `POST /datasets/{name}/samples/query`. */
export interface IWireSamplesQueryRequest {
  filter?: IWireFilter | null;
  /** as GET samples' sort (default: sample id; another word: 400) */
  sort?: string | null;
  order?: string | null;
  offset?: number | null;
  limit?: number | null;
  /** as GET samples' eval_status */
  eval_status?: string | null;
  /** as GET samples' version: the page and total of that saved version's labels */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/samples/details`. */
export interface IWireSamplesDetailsRequest {
  /** the samples, at most 64 */
  ids: number[];
  /** as GET samples' eval_status: each object's `status` in that evaluation */
  eval_status?: string | null;
  /** the objects as they were at this saved version */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/ids`. */
export interface IWireIdsRequest {
  filter?: IWireFilter | null;
  /** match the labels and tags as they were at this saved version */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/position`. */
export interface IWirePositionRequest {
  /** the samples to find (a selection), in any order */
  ids: number[];
  filter?: IWireFilter | null;
  /** as GET samples' sort (default: sample id; another word: 400) */
  sort?: string | null;
  order?: 'asc' | 'desc' | null;
  /** match the labels and tags as they were at this saved version */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/export/samples`. */
export interface IWireExportSamplesRequest {
  filter?: IWireFilter | null;
  /** as GET samples' sort (default: sample id; another word: 400) */
  sort?: string | null;
  order?: 'asc' | 'desc' | null;
  /** Arrow IPC buffer compression */
  compression?: 'lz4' | 'zstd' | null;
}

/** The body of `POST /datasets/{name}/export/annotations`. */
export interface IWireExportAnnotationsRequest {
  filter?: IWireFilter | null;
  /** ground_truth, predictions (every model), a model name, or null for all */
  source?: string | null;
  /** Model whose latest evaluation gives ground-truth boxes their status (default: the only evaluated model) */
  evaluation?: string | null;
  compression?: 'lz4' | 'zstd' | null;
}

/** The body of `POST /datasets/{name}/export/classifications`. */
export interface IWireExportClassificationsRequest {
  filter?: IWireFilter | null;
  /** ground_truth, predictions (every model), a model name, or null for all */
  source?: string | null;
  compression?: 'lz4' | 'zstd' | null;
}

/** The body of `POST /datasets/{name}/exports`. */
export interface IWireExportsRequest {
  /** coco, yolo, voc, dota, classification, parquet, mot or cvat-video (GET /formats: exports) */
  format: string;
  /** output folder on the server (created) */
  out: string;
  filter?: IWireFilter | null;
  /** ground_truth or one model's name */
  source?: string | null;
  /** a model's labels: keep those at this score or above */
  min_score?: number | null;
  /** only these classes (their ids stay those of the full list) */
  classes?: string[] | null;
  /** re-draw the splits, stratified by class (default: the catalog's) */
  splits?: string | { [key: string]: number } | null;
  /** seed of the splits draw */
  seed?: number;
  images?: 'copy' | 'symlink' | 'none';
  /** replace a non-empty out */
  overwrite?: boolean;
  /** the labels as they were at this saved version (GET .../versions), and the samples' tags then (Parquet's samples.parquet, the one format that writes them); the filter selects samples as they are now */
  version?: number | null;
  /** a dataset of videos: which frames, 'labelled' (default: the view's frames with labels), 'all' (every frame of the view's videos) or 'every:K' (frames 1, 1+K, ...), each written as <video>/<frame number>.jpg, decoded on demand; refused (400) on a dataset without videos, as are the formats mot and cvat-video */
  frames?: string | null;
}

/** The body of `POST /datasets/{name}/subset`. */
export interface IWireSubsetRequest {
  /** the new dataset's name */
  to: string;
  filter?: IWireFilter | null;
}

/** The body of `POST /datasets/{name}/merge`. */
export interface IWireMergeRequest {
  /** the dataset merged (it stays as it is) */
  from: string;
  /** what matches two samples: the file name, or the source's image id */
  key: 'file_name' | 'image_id';
}

/** The body of `POST /datasets/{name}/edits/delete_labels`. */
export interface IWireEditsDeleteLabelsRequest {
  /** ground_truth or a model's name */
  source: string;
  filter?: IWireFilter | null;
  /** only count: {deleted, source, dry_run: true}, nothing written (the lab's confirmation) */
  dry_run?: boolean;
}

/** The body of `POST /datasets/{name}/edits/delete_samples`. */
export interface IWireEditsDeleteSamplesRequest {
  filter?: IWireFilter | null;
  /** only count: {samples, labels, dry_run: true}, nothing written (the lab's confirmation) */
  dry_run?: boolean;
}

/** The body of `POST /datasets/{name}/tags`. */
export interface IWireTagsRequest {
  filter: IWireFilter;
  add?: string[] | null;
  remove?: string[] | null;
}

/** The body of `POST /datasets/{name}/facets`. */
export interface IWireFacetsRequest {
  filter?: IWireFilter | null;
  /** as the version parameter */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/selection-code`. */
export interface IWireSelectionCodeRequest {
  /** the selected sample ids, in any order */
  ids?: number[];
  filter?: IWireFilter | null;
}

/** The body of `POST /datasets/{name}/evaluations`. */
export interface IWireEvaluationsRequest {
  /** the predictions to evaluate */
  model: string;
  /** lvis: LVIS's federated evaluation (an LVIS-format dataset; bbox or segm) */
  protocol?: 'coco' | 'voc' | 'lvis';
  /** VOC AP threshold; COCO and LVIS per-box threshold */
  iou?: number;
  /** VOC "+1 pixel" IoU */
  plus_one?: boolean;
  ignore_difficult?: boolean;
  /** COCO: box IoU, rotated-box IoU (the four corners' overlap; an object without them counts as its box), mask IoU or OKS */
  iou_type?: 'bbox' | 'rotated' | 'segm' | 'keypoints';
  /** keypoints: per-keypoint OKS sigmas (default: the dataset's own, stored at ingest from COCO category sigmas or Ultralytics kpt_oks_sigmas; else COCO's 17, else 1/K) */
  sigmas?: number[];
}

/** The body of `POST /datasets/{name}/tracking`. */
export interface IWireTrackingRequest {
  /** the prediction set whose objects carry track ids (MOT results imported with --format mot) */
  model: string;
}

/** The body of `POST /datasets/{name}/embed`. */
export interface IWireEmbedRequest {
  /** builtin-color-gradient, ARCH or ARCH:TAG; default: ViT-B-32 laion2b if its weights are here, else the built-in */
  model?: string | null;
  /** local open_clip weights file, or a folder with open_clip_config.json, on the server's machine */
  checkpoint?: string | null;
  device?: 'auto' | 'cpu' | 'cuda' | null;
  /** images per forward pass, or auto (null: auto): an open_clip model's found on the job's first batches, doubled from the device's default (32 on a CPU, 256 on CUDA) up to 8x it while images/s improves by 10% and memory allows; halved on out-of-memory either way; the ray runner and the built-in embedder keep the default */
  batch_size?: number | 'auto' | null;
  /** process (default), kernel[:KERNELSPEC] or ray (the ray_address setting's cluster; ray:ADDRESS only when it names that same cluster) */
  runner?: string | null;
  /** the dtype the model runs in; auto: bf16 where the device has it and the first batch matches float32 (cosine >= 0.99), else float32 (the predict jobs' vocabulary) */
  dtype?: 'auto' | 'float32' | 'bfloat16' | 'float16' | null;
  /** deprecated spelling of dtype (fp32 = float32, bf16 = bfloat16); the answer then carries a notice */
  precision?: 'auto' | 'fp32' | 'bf16' | null;
  /** which frames of the dataset's videos: all (default), every:K (frames 1, 1+K, ...), fps:R (R per second of each video, by its frame rate) or scenes[:T] (the first frame of each scene, threshold T, default 30); still images always (docs/video.md, Models on video) */
  frames?: string | null;
}

/** The body of `POST /datasets/{name}/embeddings/import`. */
export interface IWireEmbeddingsImportRequest {
  /** Parquet or Arrow IPC file (or a folder of Parquet files, partitioned or not) with a vector column and a sample_id, image_id or file_name column, or a .npy 2-D array (with ids) */
  source: string;
  /** the space's name (its model); importing again into it adds or replaces vectors */
  space: string;
  /** the keys of a .npy file's rows: text (one a line), CSV with a header naming the key, or a JSON list */
  ids?: string | null;
  /** what the keys are (default: the file's key column; integers in an ids file are sample ids) */
  key?: 'sample_id' | 'image_id' | 'file_name' | null;
  /** the Parquet or Arrow column of vectors (default: vector) */
  vector_column?: string | null;
  /** the Parquet or Arrow column of keys when not named sample_id, image_id or file_name (text: file names; numbers need key) */
  id_column?: string | null;
}

/** The body of `POST /datasets/{name}/videos/query`. */
export interface IWireVideosQueryRequest {
  filter?: IWireFilter | null;
  offset?: number;
  limit?: number;
  /** the most frames each video carries to scrub through */
  scrub?: number;
  /** a saved version's number (or current): label conditions read the labels as they were then */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/tracks/query`. */
export interface IWireTracksQueryRequest {
  filter?: IWireFilter | null;
  /** a model whose predicted tracks to page (absent: the ground truth) */
  model?: string | null;
  offset?: number;
  limit?: number;
  /** the most objects each track carries for its strip */
  patches?: number;
  /** a saved version's number (or current): the labels as they were then */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/search`. */
export interface IWireSearchRequest {
  /** a sample id of the dataset */
  like?: number | null;
  text?: string | null;
  /** the image file, base64; at most 20 MiB decoded */
  image?: string | null;
  /** the samples filter (see /samples/query) */
  filter?: IWireFilter | null;
  k?: number;
  /** embedding model (or space name); default: the dataset's newest space */
  model?: string | null;
}

/** The body of `POST /datasets/{name}/duplicates`. */
export interface IWireDuplicatesRequest {
  threshold?: number;
  /** exact all-pairs search instead of the approximate IVF self-join (recall >= 0.95) */
  exact?: boolean;
  /** read every image for the content hash and pHash */
  hashes?: boolean;
  model?: string | null;
}

/** The body of `POST /datasets/{name}/selections`. */
export type IWireSelectionsRequest = IWireSelectionRequest;

/** The body of `POST /datasets/{name}/maps`. */
export interface IWireMapsRequest {
  method: 'pca' | 'umap' | 'tsne';
  /** Vector space name; default: the only space holding this dataset */
  space?: string;
  /** umap: n_neighbors (15), min_dist (0.1), n_epochs (null: umap-learn's choice), pca_dims (50; 0 = none), metric (auto|cosine|euclidean), seed (null). tsne: perplexity (30), n_iter (500), pca_dims (50), metric, seed (42). pca: none. */
  params?: { [key: string]: unknown };
  recompute?: boolean;
}

/** The body of `POST /datasets/{name}/maps/{map_id}/select`. */
export interface IWireMapsSelectRequest {
  polygon?: [number, number][];
  /** [xmin, ymin, xmax, ymax] */
  rect?: [number, number, number, number];
  filter?: IWireFilter | null;
  mode?: 'replace' | 'add' | 'subtract';
  ids_in?: number[];
  /** the filter reads the labels and tags as they were at this saved version (the map of a browsed version) */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/blindspots`. */
export interface IWireBlindspotsRequest {
  /** An evaluated model (its latest evaluation is used) */
  model: string;
  /** Fewest units (per half) a claim needs */
  min_n?: number;
  /** Benjamini-Hochberg false discovery rate */
  fdr?: number;
  /** Let the configured LLM agent explore (engine only when none is configured) */
  agent?: boolean;
  /** Cluster the images by their vectors in this space first (k-means, stored as computed.embedding_cluster, sliced like any image attribute) */
  space?: string | null;
  /** Number of k-means clusters of `space` */
  clusters?: number;
}

/** The body of `POST /datasets/{name}/blindspots/{finding_id}/review`. */
export interface IWireBlindspotsReviewRequest {
  verdict: 'confirmed' | 'rejected';
}

/** The body of `POST /datasets/{name}/plugin-fields`. */
export interface IWirePluginFieldsRequest {
  /** A loaded plugin with the sample_fields hook */
  plugin: string;
  /** One of its fields (default: all) */
  field?: string | null;
}

/** The body of `POST /datasets/{name}/predict`. */
export interface IWirePredictRequest {
  /** a checkpoint folder on the server's machine (save_pretrained's output), a hub id whose files are in the local cache, or torchvision:BUILDER[=/path/weights.pth] (a torchvision detector: a saved state_dict, or the builder's COCO weights in torchvision's cache); nothing is downloaded */
  model: string;
  /** classify: zero-shot with an open_clip model (ARCH:TAG or a checkpoint), the classes as prompts; vlm: an image-text-to-text model answers the questions into computed.vlm_<key> fields (docs/models.md) */
  task?: 'detect' | 'caption' | 'classify' | 'vlm' | null;
  /** task vlm only: the questions (default: lighting, weather, occlusion, scene, crowding); each answer is one of its answers or 'unknown' */
  questions?:
    | {
        key: string;
        question: string;
        answers: string[];
      }[]
    | null;
  /** the prediction set's name (default: the model's last path part) */
  name?: string | null;
  /** prompts of an open-vocabulary detector (default: the dataset's classes), or a torchvision checkpoint's class names in its label order */
  classes?: string[] | null;
  /** a view: only the matching samples */
  filter?: IWireFilter | null;
  /** process (default: a worker process), kernel[:KERNELSPEC] (a kernel the server starts for the job) or ray (the Ray cluster of the ray_address setting, else $RAY_ADDRESS; ray:ADDRESS only when it names that same cluster) */
  runner?: string | null;
  device?: 'auto' | 'cpu' | 'cuda' | null;
  /** what the model computes in; auto: bfloat16 on a CUDA GPU that has it, float16 on other CUDA GPUs, float32 on the CPU (torchvision detectors: under autocast) */
  dtype?: 'auto' | 'float32' | 'bfloat16' | 'float16' | null;
  /** images per forward pass, or auto (null: auto): found on the job's first batches, doubled from the device's default (4 on a CPU, 32 on CUDA; 32 and 256 for classifiers) up to 8x it while images/s improves by 10% and memory allows; halved on out-of-memory either way */
  batch_size?: number | 'auto' | null;
  min_score?: number | null;
  /** reduced: JPEGs decoded at the smallest 1/2, 1/4 or 1/8 scale that still covers the model's input (its processor's resize); full (default): at their full size */
  decode?: 'full' | 'reduced' | null;
  /** process runner on a CPU: worker processes, each with one torch thread over a contiguous share of the images (default: the job's compute threads, fewer where that many copies of the model would not fit in the available memory; always 1 on CUDA) */
  workers?: number | null;
  /** which frames of the dataset's videos: all (default), every:K (frames 1, 1+K, ...), fps:R (R per second of each video, by its frame rate) or scenes[:T] (the first frame of each scene, threshold T, default 30); still images always (docs/video.md, Models on video) */
  frames?: string | null;
}

/** The body of `POST /datasets/{name}/track`. */
export interface IWireTrackRequest {
  /** the prediction set holding the detections */
  model: string;
  tracker?: 'bytetrack' | null;
  /** the new prediction set's name (default: <model>-<tracker>) */
  name?: string | null;
}

/** The body of `POST /datasets/{name}/vlm/labels`. */
export interface IWireVlmLabelsRequest {
  labels: {
    sample_id: number;
    question: string;
    answer: string;
  }[];
}

/** The body of `POST /datasets/{name}/samples/{sample_id}/segment`. */
export interface IWireSamplesSegmentRequest {
  /** checkpoint folder or cached hub id */
  model: string;
  points?: {
    x: number;
    y: number;
    /** 1: on the object, 0: not the object */
    label?: 0 | 1;
  }[];
  /** [x, y, w, h] in image pixels */
  box?: [number, number, number, number];
}

/** The body of `POST /datasets/{name}/segment/prefetch`. */
export interface IWireSegmentPrefetchRequest {
  model: string;
  sample_ids: number[];
}

/** The body of `POST /datasets/{name}/segment/boxes`. */
export interface IWireSegmentBoxesRequest {
  /** checkpoint folder or cached hub id */
  model: string;
  /** whose boxes: ground_truth or a model's name */
  source?: string | null;
  /** a view: only the matching samples' boxes */
  filter?: IWireFilter | null;
  /** the new prediction set's name (default: <the model's last path part>-masks) */
  name?: string | null;
  /** images per encoder pass, or auto (null: auto): found on the job's first batches, doubled from 1 on a CPU, 8 on CUDA, up to 8x it while images/s improves by 10% and memory allows; halved on out-of-memory either way */
  batch_size?: number | 'auto' | null;
  /** the image encoder's precision; auto: bfloat16 on a CPU that multiplies it natively when the first batch's masks agree with float32's (mean IoU >= 0.98), else the model's own; the mask decoder always runs in the model's own dtype */
  dtype?: 'auto' | 'float32' | 'bfloat16' | 'float16';
}

/** The body of `POST /datasets/{name}/image-quality`. */
export interface IWireImageQualityRequest {
  /** worker processes (default: one per core, at most 4) */
  workers?: number | null;
}

/** The body of `POST /datasets/{name}/edits`. */
export interface IWireEditsRequest {
  operations: { [key: string]: unknown }[];
}

/** The body of `POST /datasets/{name}/versions`. */
export interface IWireVersionsRequest {
  message?: string;
}

/** The body of `POST /datasets/{name}/label-quality`. */
export interface IWireLabelQualityRequest {
  /** A prediction set of the dataset */
  model: string;
  /** Flag an issue type below this score (defaults from benchmarks/results/label_quality.md) */
  thresholds?: {
    overlooked?: number;
    swapped?: number;
    badly_located?: number;
    spurious?: number;
  } | null;
  /** How a prediction overlaps a label: mask IoU, box IoU, or auto (mask when the labels and the model both have masks); the summary's iou names the one used */
  iou?: 'auto' | 'mask' | 'box';
}

/** The body of `POST /datasets/{name}/labelstudio/projects`. */
export interface IWireLabelstudioProjectsRequest {
  label_studio: {
    /** Label Studio's URL, http(s)://host[:port] */
    url: string;
    /** A legacy API token or a personal access token */
    token?: string | null;
  };
  /** The samples filter (as the grid's) */
  filter?: IWireFilter | null;
  /** Also send this model's objects as a prediction */
  model?: string | null;
  /** The model's objects at this score or above */
  min_score?: number | null;
  /** The project's title (default: VisionLens: NAME) */
  title?: string | null;
  /** The http(s) base URL the annotators open for the images (default: this request's) */
  server_url?: string | null;
}

/** The body of `POST /datasets/{name}/labelstudio/projects/{project}/pull`. */
export interface IWireLabelstudioProjectsPullRequest {
  label_studio: {
    url: string;
    token?: string | null;
  };
  apply?: boolean | null;
}

/** The body of `POST /datasets/{name}/patches`. */
export interface IWirePatchesRequest {
  filter?: IWireFilter;
  /** regions: the stored regions of a semantic label-quality run (RegionPatchesPage), sorted by score (worst first by default); a semantic_regions sample condition of the same model also holds for each region */
  kind?: 'objects' | 'evaluation' | 'regions';
  /** kind objects: ground_truth or a model's name */
  source?: string;
  /** kind evaluation: the model whose latest evaluation gives the patches (or name the evaluation); kind regions (required): the semantic model of the label-quality run */
  model?: string;
  /** an evaluation's key, or a model (its latest evaluation). kind evaluation: the evaluation whose patches the page shows (its model's boxes and the ground truth it missed). kind objects: each object carries its status in it (tp, fp or fn - the key of its colour; null where it judged none). Refused (400) with a version. 404 when no evaluation has that key and no evaluated model that name */
  evaluation?: string;
  /** kind evaluation: which patches (default all three) */
  statuses?: ('tp' | 'fp' | 'fn')[];
  /** a box field (label, score, area, x, y, w, h, ann_id, ...), iou (evaluation), lq_score, lq_<issue> (label quality) or attributes.<key> (numeric) */
  sort?: string;
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
  /** the label-quality run whose lq_issue / lq_score the objects carry (default: the patches' model's, else the newest) */
  lq_model?: string;
  /** a saved version's number (or current): the objects and their tags as they were at that version (as GET samples' version); no label-quality columns then. Refused (400) with kind evaluation, evaluation, lq_model or an lq_ sort: they judged the current labels */
  version?: WireVersion;
}

/** The body of `POST /datasets/{name}/patches/samples`. */
export interface IWirePatchesSamplesRequest {
  ann_ids: number[];
  /** a saved version's number (or current): the samples of its objects */
  version?: WireVersion;
}
