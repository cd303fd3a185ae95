/**
 * The quality view's wire types: `GET datasets/{name}/quality` (issue types
 * with counts, the view of their members worst first and the code of that
 * view), and the jobs that compute them (`POST .../label-quality`,
 * `POST .../image-quality`).
 */
import { IPatch } from './patchTypes';
import { IFilter } from './types';

/** A label-quality issue type (the order the server lists them in). */
export type LabelIssue =
  'overlooked' | 'swapped' | 'badly_located' | 'spurious';

/** One label-issue row: its flagged objects as a patches view, worst first. */
export interface ILabelIssueRow {
  issue: LabelIssue;
  /** Flagged objects of this type in the stored run (what the CLI prints). */
  count: number;
  /** The samples filter whose label condition selects exactly the members. */
  filter: IFilter;
  /** The patches' source: the model for `overlooked`, else ground truth. */
  source: string;
  sort: string;
  order: 'asc' | 'desc';
  /** The run whose scores the patches carry and sort by. */
  lq_model: string;
  /** The notebook call returning the members in this order. */
  code: string;
  /**
   * The worst member (the view's first patch), with the object it disagrees
   * with as its `match` (a prediction of `lq_model`, or for `overlooked` the
   * nearest label; null where there is none) and its tile's `crop`; null when
   * the row has no member.
   */
  example: IPatch | null;
}

/** One image-issue row: its flagged images as a grid view, worst first. */
export interface IImageIssueRow {
  issue: string;
  count: number;
  filter: IFilter;
  /** The sample sort key (the issue's score field). */
  sort: string;
  order: 'asc' | 'desc';
  code: string | null;
}

/** The stored label-quality run of an object model, as issue rows (patches). */
export interface ILabelQualityView {
  kind: 'objects';
  model: string;
  created_at: string;
  thresholds: { [issue: string]: number };
  objects: number;
  images?: number | null;
  issues: ILabelIssueRow[];
}

/**
 * The stored label-quality run of a classification model: one issue type,
 * `mislabeled` (the model gives another class a higher probability than the
 * given label), whose row is a grid view of the flagged images, worst first.
 */
export interface IClassLabelQualityView {
  kind: 'classification';
  model: string;
  created_at: string;
  images: number;
  issues: IImageIssueRow[];
}

/** A prediction set, and whether label quality can score it (else why not). */
export interface IQualityModelInfo {
  name: string;
  /** `objects` when it has objects, else `classification` (image-level labels). */
  kind: 'objects' | 'classification';
  scorable: boolean;
  /** Why it cannot be scored (e.g. only a top label per image), or null. */
  reason: string | null;
}

/** The stored image-quality fields, as issue rows. */
export interface IImageQualityView {
  images: number;
  measured: number;
  issues: IImageIssueRow[];
}

/** The answer of `GET datasets/{name}/quality[?model=]`. */
export interface IQualityOverview {
  dataset: string;
  /** Every prediction set of the dataset (by name), scorable or not. */
  models: IQualityModelInfo[];
  /** Models with a stored label-quality run, newest first. */
  scored: string[];
  /** The model whose run `label` shows, or null. */
  model: string | null;
  /** null: no run of that model yet. */
  label: ILabelQualityView | IClassLabelQualityView | null;
  /** null: image quality never computed. */
  image: IImageQualityView | null;
}
