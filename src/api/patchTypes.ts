/**
 * The patches view's wire types: `POST datasets/{name}/patches` (a page of
 * objects, or of a semantic label-quality run's regions), `.../patches/samples`
 * (a patch selection's samples) and the crop of one object, or of a matched
 * pair (`GET datasets/{name}/objects/{ann_id}/crop`), or of one region
 * (`GET datasets/{name}/samples/{sample_id}/regions/{region}/crop`).
 */
import {
  IWirePatch,
  IWirePatchesPage,
  IWirePatchesRequest,
  IWirePatchMatch,
  IWireRegionPatch,
  IWireRegionPatchesPage
} from './wireTypes';

/**
 * Which objects a patches page shows: a source's boxes, an evaluation's, or
 * the regions of a semantic model's label-quality run.
 */
export type PatchKind = 'objects' | 'evaluation' | 'regions';

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
  /**
   * kind `evaluation`: the model whose latest evaluation gives the patches;
   * kind `regions`: the semantic model whose run's regions they are.
   */
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
export type IPatchMatch = IWirePatchMatch;

/** What a region tile is besides an object's fields: its key, the model's class. */
export interface IPatchRegion {
  /** The semantic model of the run. */
  model: string;
  /** Its number among its image's stored regions (with the model and sample, its key). */
  region: number;
  /** The class the model gives most of its pixels (null: a value that is no class). */
  predicted: string | null;
  pixels: number;
  flagged: boolean;
}

/**
 * One tile of a patches page. Text fields are data: shown as text only. A
 * region of a semantic run (`region` set) is shown as an object whose box is
 * the region's; its `ann_id` is a negative key of no object
 * (`model/regionPatches.ts`).
 */
export type IPatch = IWirePatch & { region?: IPatchRegion };

/** A page of objects and the exact number the view has. */
export type IPatchesPage = IWirePatchesPage;

/** One region of a page of kind `regions`. */
export type IRegionPatch = IWireRegionPatch;

/** A page of regions (kind `regions`) and their exact number. */
export type IRegionPatchesPage = IWireRegionPatchesPage;
