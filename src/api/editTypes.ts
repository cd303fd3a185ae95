/**
 * JSON of the edit routes (`POST /datasets/{name}/edits`, `.../edits/undo`,
 * `.../edits/redo`), see visionlens_jlab/openapi.yaml and visionlens_jlab/edits/operations.py.
 */

import type { IWireEditedObject, IWireEditResult } from './wireTypes';

/** A box `[x, y, width, height]` in image pixels. */
export type EditBox = [number, number, number, number];

/** An object as the caller last saw it: the server refuses the edit if it changed since. */
export interface IEditExpected {
  label?: string;
  bbox?: EditBox;
  tags?: string[];
}

/** The objects an operation changes: one, or several the same way (a bulk edit). */
export type EditTarget =
  { annotation_id: number } | { annotation_ids: number[] };

/** One operation of a batch: a typed union on `op`, as the server checks it. */
export type EditOperation =
  | {
      op: 'add';
      sample_id: number;
      label: string;
      bbox: EditBox;
      source?: string;
      score?: number;
    }
  | ({ op: 'delete'; expected?: IEditExpected } & EditTarget)
  | ({ op: 'relabel'; label: string; expected?: IEditExpected } & EditTarget)
  | {
      op: 'move';
      annotation_id: number;
      bbox: EditBox;
      expected?: IEditExpected;
    }
  | ({ op: 'accept'; label?: string; expected?: IEditExpected } & EditTarget)
  | ({
      op: 'tag' | 'untag';
      tag: string;
      expected?: IEditExpected;
    } & EditTarget);

/** The answer of a batch, an undo, a redo or a restore. */
export type IEditResult = IWireEditResult;

/** An object as a conflict (and the edit log) shows it now. */
export type IEditedObject = IWireEditedObject;

/** The body of a 409: which object changed since the caller saw it, and how it is now. */
export interface IEditConflict {
  message: string;
  conflict: {
    index: number | null;
    annotation_id: number;
    /** Null: the object no longer exists. */
    current: IEditedObject | null;
  };
}
