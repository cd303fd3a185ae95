/**
 * The label kinds, generated from `visionlens_jlab/records/label_kinds.json`
 * by `docs/tools/label_kinds_ts.py`: do not edit (a test fails when stale).
 */

/** A kind of label. */
export type LabelKindName =
  | 'box'
  | 'rotated_box'
  | 'polyline'
  | 'mask'
  | 'label_map'
  | 'keypoints'
  | 'classification';

/** What a view shows or hides, and what a model's label counts name. */
export type LabelType =
  | 'boxes'
  | 'rotated_boxes'
  | 'polylines'
  | 'masks'
  | 'label_maps'
  | 'keypoints'
  | 'classifications';

/** What an object may have besides its box (`labels.type` of a filter). */
export type ObjectLabelType = 'rotated' | 'polyline' | 'mask' | 'keypoints';

/** How evaluation compares two objects. */
export type IouType = 'bbox' | 'rotated' | 'segm' | 'keypoints';

/** Labels by type: objects (each a box), those with each further kind, image labels. */
export type ILabelTypeCounts = Record<LabelType, number>;

/** One kind of label, as the lab reads it. */
export interface ILabelKind {
  readonly name: LabelKindName;
  readonly labelType: LabelType;
  /** Its short title (the label type toggles). */
  readonly title: string;
  /** `object`: a field of an object; `image`: an image-level label. */
  readonly scope: 'object' | 'image';
  readonly filterWord: ObjectLabelType | null;
  readonly iouType: IouType | null;
  /** The fields of an answer's object that carry it. */
  readonly fields: readonly string[];
}

/** Every kind, in the order views list them. */
export const LABEL_KINDS: readonly ILabelKind[] = [
  {
    name: 'box',
    labelType: 'boxes',
    title: 'Boxes',
    scope: 'object',
    filterWord: null,
    iouType: 'bbox',
    fields: ['bbox']
  },
  {
    name: 'rotated_box',
    labelType: 'rotated_boxes',
    title: 'Rotated',
    scope: 'object',
    filterWord: 'rotated',
    iouType: 'rotated',
    fields: ['obb']
  },
  {
    name: 'polyline',
    labelType: 'polylines',
    title: 'Lines',
    scope: 'object',
    filterWord: 'polyline',
    iouType: null,
    fields: ['polyline']
  },
  {
    name: 'mask',
    labelType: 'masks',
    title: 'Masks',
    scope: 'object',
    filterWord: 'mask',
    iouType: 'segm',
    fields: ['segmentation', 'mask_area']
  },
  {
    name: 'label_map',
    labelType: 'label_maps',
    title: 'Label maps',
    scope: 'image',
    filterWord: null,
    iouType: null,
    fields: []
  },
  {
    name: 'keypoints',
    labelType: 'keypoints',
    title: 'Keypoints',
    scope: 'object',
    filterWord: 'keypoints',
    iouType: 'keypoints',
    fields: ['keypoints', 'num_keypoints']
  },
  {
    name: 'classification',
    labelType: 'classifications',
    title: 'Classes',
    scope: 'image',
    filterWord: null,
    iouType: null,
    fields: ['label', 'score']
  }
];
