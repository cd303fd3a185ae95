/**
 * JSON of the version routes (`GET/POST /datasets/{name}/versions`,
 * `.../versions/diff`, `.../versions/{v}/restore`), see visionlens_jlab/openapi.yaml,
 * docs/evaluation.md ("Between two versions") and visionlens_jlab/edits/versions.py.
 */

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
export interface IDiffCounts {
  added: number;
  removed: number;
  relabelled: number;
  moved: number;
}

/**
 * An evaluation's numbers on one side of a diff, or their deltas (`to` minus
 * `from`): null where a number is undefined on either side.
 */
export interface IEvaluationNumbers {
  [stat: string]: number | null;
}

/** One class of an evaluation diff: its numbers at `from` and `to` and the deltas. */
export interface IClassEvaluationDiff {
  from: IEvaluationNumbers;
  to: IEvaluationNumbers;
  delta: IEvaluationNumbers;
}

/** A diff's `evaluation`: one model evaluated at both versions. */
export interface IEvaluationDiff {
  model: string;
  method: 'coco' | 'voc';
  iou: number;
  from: IEvaluationNumbers;
  to: IEvaluationNumbers;
  delta: IEvaluationNumbers;
  /** Every class evaluated on either side. */
  by_class: { [label: string]: IClassEvaluationDiff };
}

/**
 * What changed between two versions (`GET .../versions/diff`): added and
 * moved count under the class in the later state, removed and relabelled
 * under the earlier one; `samples_changed` counts tag changes too (an
 * object's and a whole sample's).
 */
export interface IVersionDiff extends IDiffCounts {
  samples_changed: number;
  /** The tags added to and removed from samples (one per sample and tag). */
  sample_tags: { added: number; removed: number };
  /** Only the classes with a change. */
  by_class: { [label: string]: IDiffCounts };
  /** The versions as the query named them (numbers come back as text). */
  from: string | number;
  to: string | number;
  /** With a model only. */
  evaluation?: IEvaluationDiff;
}
