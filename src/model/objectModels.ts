/**
 * Which of a dataset's models predict objects or image labels: the labels
 * the patches view, exports, deletes, Label Studio, version diffs and the
 * map's colours read. A semantic or panoptic segmentation model predicts label
 * maps instead (one mask per image): the sample view lays them over the photo
 * and the Evaluation panel evaluates them, but these tools find nothing in
 * them, so they do not offer such a model.
 */
import { IDatasetInfo } from './tokens';

/**
 * `models.format` of label-map predictions, as their imports write it
 * (visionlens_jlab/semantic: `SemanticSamples.format` and
 * `records.PANOPTIC_LAYOUT`).
 */
export const LABEL_MAP_FORMATS: ReadonlySet<string> = new Set([
  'semantic',
  'coco-panoptic'
]);

/** `models.format` of a semantic segmentation model's label maps. */
const SEMANTIC_FORMAT = 'semantic';

/** The names of `info`'s models with objects or image labels, in its order. */
export function objectModels(info: IDatasetInfo | null): string[] {
  return (info?.models ?? [])
    .filter(m => !LABEL_MAP_FORMATS.has(m.format))
    .map(m => m.name);
}

/**
 * The names of `info`'s semantic segmentation models: the patches view
 * offers their regions (those their label quality found; the server says to
 * run it where it has not).
 */
export function semanticModels(info: IDatasetInfo | null): string[] {
  return (info?.models ?? [])
    .filter(m => m.format === SEMANTIC_FORMAT)
    .map(m => m.name);
}
