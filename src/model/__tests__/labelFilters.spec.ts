import { facetKey } from './facetKeys';
import { getDiffers, setDiffers } from '../classificationFilters';
import {
  getCategorical,
  getRange,
  normalizeFilter,
  sameFilter,
  setCategorical,
  setRange
} from '../filters';
import { IFilter } from '../tokens';

describe('filters on labels beyond the box', () => {
  it('maps the label type facet to the label entry and the image labels', () => {
    const key = facetKey('label_type', 'ground_truth');
    let f: IFilter = setCategorical({}, key, ['mask', 'classification']);
    expect(f).toEqual({
      labels: [{ source: 'ground_truth', type: ['mask'] }],
      classifications: [{ source: 'ground_truth' }]
    });
    expect(getCategorical(f, key)).toEqual(['mask', 'classification']);
    f = setCategorical(f, key, ['mask', 'keypoints']);
    expect(f).toEqual({
      labels: [{ source: 'ground_truth', type: ['mask', 'keypoints'] }]
    });
    expect(getCategorical(f, facetKey('label_type', 'm1'))).toEqual([]);
    // the single string the notebook API may send reads as a list
    const single: IFilter = { labels: [{ source: 'm1', type: 'keypoints' }] };
    expect(getCategorical(single, facetKey('label_type', 'm1'))).toEqual([
      'keypoints'
    ]);
    expect(setCategorical(f, key, [])).toEqual({});
  });

  it('keeps mask area and keypoint ranges in the where of their source', () => {
    let f: IFilter = setCategorical({}, facetKey('label', 'm1'), ['cat']);
    f = setRange(f, facetKey('mask_area', 'm1'), { min: 100 });
    f = setRange(f, facetKey('num_keypoints', 'm1'), { min: 3, max: 9 });
    f = setRange(f, facetKey('visible_keypoints', 'm1'), { min: 2 });
    expect(f.labels).toEqual([
      {
        source: 'm1',
        classes: ['cat'],
        where: {
          mask_area: { min: 100 },
          num_keypoints: { min: 3, max: 9 },
          visible_keypoints: { min: 2 }
        }
      }
    ]);
    expect(getRange(f, facetKey('num_keypoints', 'm1'))).toEqual({
      min: 3,
      max: 9
    });
    f = setRange(f, facetKey('mask_area', 'm1'), null);
    f = setRange(f, facetKey('num_keypoints', 'm1'), null);
    f = setRange(f, facetKey('visible_keypoints', 'm1'), null);
    expect(f.labels).toEqual([{ source: 'm1', classes: ['cat'] }]);
  });

  it('keeps one image-label condition per source: classes, score, differs', () => {
    const cls = facetKey('classification', 'clf');
    const score = facetKey('classification_score', 'clf');
    let f: IFilter = setCategorical({}, cls, ['night', 'indoor']);
    f = setRange(f, score, { min: 0.5 });
    f = setDiffers(f, 'clf', true);
    f = setCategorical(f, facetKey('classification', 'ground_truth'), [
      'night'
    ]);
    expect(f.classifications).toEqual([
      {
        source: 'clf',
        classes: ['night', 'indoor'],
        score: { min: 0.5 },
        differs_from_ground_truth: true
      },
      { source: 'ground_truth', classes: ['night'] }
    ]);
    expect(getCategorical(f, cls)).toEqual(['night', 'indoor']);
    expect(getRange(f, score)).toEqual({ min: 0.5 });
    expect(getDiffers(f, 'clf')).toBe(true);
    expect(getDiffers(f, 'other')).toBeNull();
    // a JSON round trip (the URL, the history) reads back the same
    const back: IFilter = JSON.parse(JSON.stringify(f));
    expect(sameFilter(back, f)).toBe(true);
    expect(normalizeFilter(back).classifications).toEqual(f.classifications);
    // clearing every part of a source drops its condition
    f = setCategorical(f, cls, []);
    f = setRange(f, score, null);
    f = setDiffers(f, 'clf', null);
    expect(f.classifications).toEqual([
      { source: 'ground_truth', classes: ['night'] }
    ]);
    // the notebook API's single object reads as a one-entry list
    const single: IFilter = {
      classifications: { source: 'clf', classes: ['x'] }
    };
    expect(getCategorical(single, cls)).toEqual(['x']);
  });
});
