/**
 * JSON of the version routes (`GET/POST /datasets/{name}/versions`,
 * `.../versions/diff`, `.../versions/{v}/restore`), see visionlens_jlab/openapi.yaml,
 * docs/evaluation.md ("Between two versions") and visionlens_jlab/edits/versions.py.
 */

import type {
  IWireDiffCounts,
  IWireEvaluationDiff,
  IWireEvaluationNumbers,
  IWireVersionDiff
} from './wireTypes';

/** A saved version by number, or the labels as they are now. */
export type VersionRef = number | 'current';

/** The query of a diff: two versions and, optionally, a model to evaluate at both. */
export interface IVersionDiffQuery {
  from: VersionRef;
  to: VersionRef;
  /** Whose objects: `ground_truth` (the default) or a model's name. */
  source?: string;
  /** Also evaluate this model's predictions against the labels at `from` and at `to`. */
  model?: string | null;
  protocol?: 'coco' | 'voc';
  iou?: number;
}

/** Objects added, removed, relabelled and moved. */
export type IDiffCounts = IWireDiffCounts;

/**
 * An evaluation's numbers on one side of a diff, or their deltas (`to` minus
 * `from`): null where a number is undefined on either side.
 */
export type IEvaluationNumbers = IWireEvaluationNumbers;

/** A diff's `evaluation`: one model evaluated at both versions. */
export type IEvaluationDiff = IWireEvaluationDiff;

/** One class of an evaluation diff: its numbers at `from` and `to` and the deltas. */
export type IClassEvaluationDiff = IEvaluationDiff['by_class'][string];

/**
 * What changed between two versions (`GET .../versions/diff`): added and
 * moved count under the class in the later state, removed and relabelled
 * under the earlier one; `samples_changed` counts tag changes too (an
 * object's and a whole sample's).
 */
export type IVersionDiff = IWireVersionDiff;
