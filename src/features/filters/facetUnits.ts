/**
 * What each facet counts. The grid counts samples, but a class facet counts
 * objects (a sample with three cars adds three), so every facet says its unit
 * and every count carries it: "counts objects", "1,204 objects".
 */
import { fmtInt } from '../../base/dom';

/** The things a facet's counts are numbers of. */
export type FacetUnit = 'samples' | 'objects' | 'image labels' | 'labels';

/** Facets of the boxes (objects): one count per box, of any source. */
const OBJECT_FACETS = new Set([
  'label',
  'score',
  'mask_area',
  'num_keypoints',
  'visible_keypoints'
]);

/** Facets of the image-level labels (classifications). */
const IMAGE_LABEL_FACETS = new Set(['classification', 'classification_score']);

/**
 * The unit of a facet of `GET /facets`, as the server counts it (see
 * catalog/sql/facet_sql.py, extensions/label_facets.py, evaluate/store.py):
 * sample columns, fields, tags and boxes per sample count samples.
 */
export function facetUnit(name: string): FacetUnit {
  if (
    OBJECT_FACETS.has(name) ||
    name.startsWith('attributes.') ||
    name.startsWith('eval.')
  ) {
    return 'objects';
  }
  if (IMAGE_LABEL_FACETS.has(name)) {
    return 'image labels';
  }
  // objects with a mask or keypoints, and image labels, side by side
  return name === 'label_type' ? 'labels' : 'samples';
}

/** What the facet's title says it counts: "counts objects". */
export function unitText(unit: FacetUnit): string {
  return `counts ${unit}`;
}

/** A count with its unit: "1 sample", "1,204 objects". */
export function countText(n: number, unit: FacetUnit): string {
  return `${fmtInt(n)} ${n === 1 ? unit.replace(/s$/, '') : unit}`;
}
