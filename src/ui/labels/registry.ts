/**
 * The label renderers of the grid tiles and the sample view: by kind for the
 * SVG (boxes), by label type for the canvas (masks, keypoints). A new kind
 * or type is its renderer's file plus one entry here.
 */
import { labelKind } from '../../model/labels';
import { IAnnotation } from '../../model/tokens';
import { boxRenderer } from './boxes';
import { ICanvasLabelRenderer } from './canvasLayer';
import { keypointRenderer } from './keypoints';
import { maskRenderer } from './masks';
import { polylineRenderer } from './polylines';
import { rotatedBoxRenderer } from './rotatedBoxes';
import { LabelRenderers } from './overlay';

/** The SVG renderers every overlay draws through. */
export const labelRenderers = new LabelRenderers<IAnnotation>(labelKind, [
  boxRenderer
]);

/** The canvas renderers, in drawing order (masks under lines, rotated boxes, keypoints). */
export const canvasRenderers: readonly ICanvasLabelRenderer[] = [
  maskRenderer,
  polylineRenderer,
  rotatedBoxRenderer,
  keypointRenderer
];
