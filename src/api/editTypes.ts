/**
 * JSON of the edit routes (`POST /datasets/{name}/edits`, `.../edits/undo`,
 * `.../edits/redo`), see visionlens_jlab/openapi.yaml and visionlens_jlab/edits/operations.py.
 */

import type {
  IWireEditedObject,
  IWireMaskRle,
  IWireEditResult,
  IWireObjectConflict,
  IWireSampleTagConflict,
  WireEditConflict
} from './wireTypes';

/** A box `[x, y, width, height]` in image pixels. */
export type EditBox = [number, number, number, number];

/** An object as the caller last saw it: the server refuses the edit if it changed since. */
export interface IEditExpected {
  label?: string;
  bbox?: EditBox;
  tags?: string[];
  /** COCO's flat `[x, y, v, ...]`, or null for none. */
  keypoints?: number[] | null;
}

/**
 * A mask an edit writes (visionlens_jlab/edits/mask_ops.py), in image pixels:
 * a COCO RLE (compressed counts, as click-to-mask answers it, or run lengths)
 * or polygons `[[x1, y1, x2, y2, ...], ...]`.
 */
export type EditSegmentation =
  IWireMaskRle | { size: [number, number]; counts: number[] } | number[][];

/** The objects an operation changes: one, or several the same way (a bulk edit). */
export type EditTarget =
  { annotation_id: number } | { annotation_ids: number[] };

/** One operation of a batch: a typed union on `op`, as the server checks it. */
export type EditOperation =
  | ({
      op: 'add';
      sample_id: number;
      label: string;
      source?: string;
      score?: number;
      attributes?: { [key: string]: unknown };
    } & (
      | { bbox: EditBox; segmentation?: EditSegmentation }
      /** Without a box: the mask's extent is its box. */
      | { segmentation: EditSegmentation }
      /** A rotated box's four corners or a line's points: their extent is the box. */
      | { obb: number[] }
      | { polyline: number[] }
      /** COCO's flat `[x, y, v, ...]`, one triple per point name of the class: the labelled points' extent is the box unless one is given. */
      | { keypoints: number[]; bbox?: EditBox }
    ))
  | ({ op: 'delete'; expected?: IEditExpected } & EditTarget)
  | ({ op: 'relabel'; label: string; expected?: IEditExpected } & EditTarget)
  | {
      op: 'move';
      annotation_id: number;
      bbox: EditBox;
      expected?: IEditExpected;
    }
  /** The object's mask becomes this one; its box stays as drawn. */
  | {
      op: 'mask';
      annotation_id: number;
      segmentation: EditSegmentation;
      expected?: IEditExpected;
    }
  /**
   * The object's mask, or its rotated box's corners / polyline's points
   * (`[x1, y1, x2, ...]`), become these and its box their extent.
   */
  | ({
      op: 'reshape';
      annotation_id: number;
      expected?: IEditExpected;
    } & (
      | { segmentation: EditSegmentation }
      | { obb: number[] }
      | { polyline: number[] }
    ))
  /** The object's keypoints, one for one: COCO's flat `[x, y, v, ...]`. */
  | {
      op: 'keypoints';
      annotation_id: number;
      keypoints: number[];
      expected?: IEditExpected;
    }
  | ({ op: 'accept'; label?: string; expected?: IEditExpected } & EditTarget)
  | ({
      op: 'tag' | 'untag';
      tag: string;
      expected?: IEditExpected;
    } & EditTarget)
  /** The sample's ground-truth image labels become exactly these. */
  | ({
      op: 'classify';
      sample_id: number;
      expected?: IImageLabelsExpected;
    } & ({ label: string } | { labels: string[] }))
  /** The sample's ground-truth image labels go (only `label`, when given). */
  | {
      op: 'unclassify';
      sample_id: number;
      label?: string;
      expected?: IImageLabelsExpected;
    };

/** A sample's ground-truth image labels as the caller last saw them (any order). */
export interface IImageLabelsExpected {
  labels: string[];
}

/** The answer of a batch, an undo, a redo or a restore. */
export type IEditResult = IWireEditResult;

/** An object as a conflict (and the edit log) shows it now. */
export type IEditedObject = IWireEditedObject;

/** The body of a 409 for an object: it changed since the caller saw it, and how it is now. */
export type IObjectConflict = IWireObjectConflict;

/**
 * The body of a 409 for a sample's tags: they changed since the batch being undone,
 * redone or restored saw them (only those send it).
 */
export type ISampleTagConflict = IWireSampleTagConflict;

/** The body of an edit route's 409: the two conflicts the server can send. */
export type IEditConflict = WireEditConflict;

/** Whether a conflict is about an object (else it is about a sample's tags). */
export function isObjectConflict(
  conflict: IEditConflict
): conflict is IObjectConflict {
  return 'annotation_id' in conflict.conflict;
}
