/**
 * The quality view's wire types: `GET datasets/{name}/quality` (issue types
 * with counts, the view of their members worst first and the code of that
 * view), and the jobs that compute them (`POST .../label-quality`,
 * `POST .../image-quality`).
 */
import {
  IWireClassLabelQualityView,
  IWireImageIssueRow,
  IWireImageQualityView,
  IWireLabelIssueRow,
  IWireLabelQualityView,
  IWireQualityModel,
  IWireQualityOverview,
  IWireRegionIssueRow,
  IWireSemanticLabelQualityView
} from './wireTypes';
import { IFilter } from './types';

/** A label-quality issue type (the order the server lists them in). */
export type LabelIssue = IWireLabelIssueRow['issue'];

/**
 * One label-issue row: its flagged objects as a patches view, worst first;
 * its `example` is the worst member (the view's first patch), with the object
 * it disagrees with as its `match` and its tile's `crop`, or null.
 */
export interface ILabelIssueRow extends IWireLabelIssueRow {
  /** The lab's filter form (label conditions a list), as the server writes it. */
  filter: IFilter;
}

/** One image-issue row: its flagged images as a grid view, worst first. */
export interface IImageIssueRow extends IWireImageIssueRow {
  filter: IFilter;
}

/** The stored label-quality run of an object model, as issue rows (patches). */
export interface ILabelQualityView extends IWireLabelQualityView {
  issues: ILabelIssueRow[];
}

/**
 * The stored label-quality run of a classification model: one issue type,
 * `mislabeled` (the model gives another class a higher probability than the
 * given label), whose row is a grid view of the flagged images, worst first.
 */
export interface IClassLabelQualityView extends IWireClassLabelQualityView {
  issues: IImageIssueRow[];
}

/**
 * The row of a semantic run: its flagged regions (and their count per
 * class) as the patches view of kind `regions`, worst first.
 */
export interface IRegionIssueRow extends IWireRegionIssueRow {
  filter: IFilter;
}

/**
 * The stored label-quality run of a semantic-mask model: one issue type,
 * `mislabeled_region` (most of a region's pixels predicted as another class).
 */
export interface ISemanticLabelQualityView extends IWireSemanticLabelQualityView {
  issues: IRegionIssueRow[];
}

/** A prediction set, and whether label quality can score it (else why not). */
export type IQualityModelInfo = IWireQualityModel;

/** The stored image-quality fields, as issue rows. */
export interface IImageQualityView extends IWireImageQualityView {
  issues: IImageIssueRow[];
}

/** The answer of `GET datasets/{name}/quality[?model=]`. */
export interface IQualityOverview extends IWireQualityOverview {
  label:
    | ILabelQualityView
    | IClassLabelQualityView
    | ISemanticLabelQualityView
    | null;
  image: IImageQualityView | null;
}
