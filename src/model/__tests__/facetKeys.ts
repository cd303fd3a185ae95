/**
 * Facet keys for the tests, with the places the server answers for them
 * (`filter` of `POST /facets`, declared in visionlens_jlab: sql/facet_compute.py,
 * extensions/label_facets.py, extensions/computed.py).
 */
import { IFacetKey } from '../filters';
import { IFacetFilter } from '../tokens';

type Path = IFacetFilter['path'];

/** The place of each built-in facet, or of a family (`fields.`): [path, keyed]. */
const PLACES: { [name: string]: [Path, boolean] } = {
  split: ['sample', true],
  width: ['sample', true],
  height: ['sample', true],
  'fields.': ['sample', true],
  'computed.': ['sample', true],
  tags: ['tags', false],
  label: ['labels.classes', false],
  score: ['labels.score', false],
  box_count: ['box_count', false],
  'attributes.': ['labels.where', true],
  mask_area: ['labels.where', true],
  num_keypoints: ['labels.where', true],
  visible_keypoints: ['labels.where', true],
  label_type: ['labels.type', false],
  classification: ['classifications.classes', false],
  classification_score: ['classifications.score', false]
};

/** The key of facet `name` (of `source`) as the server's answer describes it. */
export function facetKey(name: string, source?: string): IFacetKey {
  const place = PLACES[name] ?? PLACES[name.split('.')[0] + '.'];
  if (!place) {
    throw new Error(`no place for facet ${name}`);
  }
  const [path, keyed] = place;
  const filter: IFacetFilter = keyed ? { path, key: name } : { path };
  return source === undefined ? { name, filter } : { name, source, filter };
}
