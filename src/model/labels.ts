/**
 * The kind of a label (box, and next mask, polygon, keypoints,
 * classification): what picks the renderer that draws it
 * (`src/ui/labels/registry.ts`). This is the one place a label's kind is
 * derived from what the server sends.
 */
import { IAnnotation } from './tokens';

/** The kind of the labels the server sends today. */
export const BOX_KIND = 'box';

/**
 * The kind of a label. The server's labels carry no kind field: every one is
 * a box (`bbox`, with an optional segmentation drawn with it), so the next
 * kinds are told apart here from the fields that then tell them apart.
 */
export function labelKind(label: IAnnotation): string {
  return BOX_KIND;
}
