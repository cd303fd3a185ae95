/**
 * Facet keys for the tests, with the places the server answers for them
 * (`filter` of `POST /facets`, declared in visionlens_jlab: sql/facet_compute.py,
 * extensions/label_facets.py, extensions/computed.py, evaluate/track_facets.py).
 */
import { IFacetKey } from '../filters';
import { IFacetFilter } from '../tokens';

type Path = IFacetFilter['path'];

/** The place of each built-in facet, or of a family (`fields.`). */
const PLACES: { [name: string]: Path } = {
  split: 'sample',
  width: 'sample',
  height: 'sample',
  'fields.': 'sample',
  'computed.': 'sample',
  tags: 'tags',
  label: 'labels.classes',
  score: 'labels.score',
  box_count: 'box_count',
  'attributes.': 'labels.where',
  mask_area: 'labels.where',
  num_keypoints: 'labels.where',
  visible_keypoints: 'labels.where',
  label_type: 'labels.type',
  classification: 'classifications.classes',
  classification_score: 'classifications.score',
  'track.': 'labels.track'
};

/** The key of facet `name` (of `source`) as the server's answer describes it. */
export function facetKey(name: string, source?: string): IFacetKey {
  const path = PLACES[name] ?? PLACES[name.split('.')[0] + '.'];
  if (!path) {
    throw new Error(`no place for facet ${name}`);
  }
  // a keyed place holds one condition per column or attribute: the facet's
  // name (of the track condition: the name after `track.`)
  const filter: IFacetFilter =
    path === 'sample' || path === 'labels.where'
      ? { path, key: name }
      : path === 'labels.track'
        ? { path, key: name.slice('track.'.length) }
        : { path };
  return source === undefined ? { name, filter } : { name, source, filter };
}
