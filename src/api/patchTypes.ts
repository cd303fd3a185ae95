/**
 * The patches view's wire types: `POST datasets/{name}/patches` (a page of
 * objects), `.../patches/samples` (a patch selection's samples) and the crop
 * of one object, or of a matched pair (`GET datasets/{name}/objects/{ann_id}/crop`).
 */
import { IWirePatchesRequest } from './wireTypes';

/** Which objects a patches page shows: a source's boxes or an evaluation's. */
export type PatchKind = 'objects' | 'evaluation';

/** The statuses of evaluation patches, as the contract names them. */
export const PATCH_STATUSES = [
  'tp',
  'fp',
  'fn'
] as const satisfies readonly NonNullable<
  IWirePatchesRequest['statuses']
>[number][];

/** An evaluation patch's status. */
export type PatchStatus = (typeof PATCH_STATUSES)[number];

/** The objects and order of a patches page (besides the filter). */
export interface IPatchQuery {
  kind: PatchKind;
  /** kind `objects`: 'ground_truth' or a model's name. */
  source?: string;
  /** kind `evaluation`: the model whose latest evaluation gives the patches. */
  model?: string;
  /**
   * An evaluation's key, or a model (its latest evaluation). Of kind
   * `evaluation`: the evaluation whose patches the page shows; of kind
   * `objects`: each object then carries its `status` in it (its colour).
   * Not with a `version`.
   */
  evaluation?: string;
  /** kind `evaluation`: which patches (all three when absent). */
  statuses?: PatchStatus[];
  /** A box field, 'iou', 'lq_score', 'lq_<issue>' or 'attributes.<key>'. */
  sort?: string;
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
  /** The label-quality run whose issue and score the objects carry. */
  lq_model?: string;
  /**
   * A saved version's number: its objects as they were then (absent: the
   * current ones). Not with evaluation patches or label quality, which
   * judged the current labels.
   */
  version?: number;
}

/**
 * The partner a patch is drawn with (its pair). Of an evaluation patch: a
 * true positive's matched ground truth, a false positive's explaining ground
 * truth (the one it duplicates, confuses or badly locates), a miss's
 * best-overlapping prediction (a false positive the evaluation explained by
 * it). Of an object a label-quality run flagged: the object it disagrees with
 * (the model's prediction behind the score; for an overlooked prediction, the
 * nearest label).
 */
export interface IPatchMatch {
  ann_id: number;
  /** 'ground_truth' or the model's name. */
  source: string;
  /** The IoU of the two (an evaluation's: box or mask IoU, or OKS). */
  iou: number | null;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
  score: number | null;
}

/** One object of a patches page. Text fields are data: shown as text only. */
export interface IPatch {
  ann_id: number;
  sample_id: number;
  source: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
  score: number | null;
  area: number | null;
  iscrowd: boolean;
  attributes: { [key: string]: unknown };
  file_name: string;
  /** The object's tags (the edit API's `tag` / `untag`), sorted. */
  tags?: string[];
  image_width: number | null;
  image_height: number | null;
  /** The object's mask as stored (see `IAnnotation.segmentation`); untrusted. */
  segmentation?: unknown;
  /** The object's keypoints, flat `[x, y, v, ...]` in image pixels. */
  keypoints?: number[];
  /** Its box as `[x, y, w, h]` (the box kind's declared field; the same as x, y, w, h). */
  bbox?: [number, number, number, number];
  /** A rotated box's four corners `[x1, y1, ..., x4, y4]` in image pixels. */
  obb?: number[];
  /** A polyline's points `[x1, y1, x2, y2, ...]` in image pixels. */
  polyline?: number[];
  /** The mask's pixel area (with `segmentation`). */
  mask_area?: number | null;
  /** How many keypoints are labelled (with `keypoints`). */
  num_keypoints?: number | null;
  /**
   * The region of the image its tile's crop shows, `[x, y, w, h]` in image
   * pixels (null: the image's size is unknown).
   */
  crop?: [number, number, number, number] | null;
  /** A patch shown as a pair: its partner's id (`match.ann_id`, the crop's `with`). */
  crop_with?: number | null;
  /**
   * Its status in the page's evaluation: the key of the patch's colour (null:
   * that evaluation did not judge the object).
   */
  status?: PatchStatus | null;
  iou?: number | null;
  matched_ann_id?: number | null;
  error_type?: string | null;
  confused_with?: string | null;
  match?: IPatchMatch | null;
  lq_issue?: string | null;
  lq_score?: number | null;
  lq_flagged?: boolean | null;
}

/** A page of objects and the exact number the view has. */
export interface IPatchesPage {
  total: number;
  offset: number;
  limit: number;
  kind: PatchKind;
  source: string;
  lq_model: string | null;
  /** The saved version read (null or absent: the current labels). */
  version?: number | null;
  /** The evaluation key the objects' statuses are of (null or absent: none). */
  evaluation?: string | null;
  objects: IPatch[];
}
