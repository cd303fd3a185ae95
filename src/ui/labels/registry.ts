/**
 * The label renderers of the grid tiles and the sample view, by kind. A new
 * kind (mask, keypoints...) is its renderer's file plus one entry here.
 */
import { labelKind } from '../../model/labels';
import { IAnnotation } from '../../model/tokens';
import { boxRenderer } from './boxes';
import { LabelRenderers } from './overlay';

/** The renderers every overlay draws through. */
export const labelRenderers = new LabelRenderers<IAnnotation>(labelKind, [
  boxRenderer
]);
