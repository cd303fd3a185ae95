import { countText, facetUnit, unitText } from '../facetUnits';
import { Histogram } from '../Histogram';
import { INumericFacet } from '../../../model/tokens';

describe('facet units', () => {
  it('tells the facets of objects from those of samples', () => {
    for (const name of [
      'label',
      'score',
      'mask_area',
      'attributes.truncated',
      'eval.status'
    ]) {
      expect(unitText(facetUnit(name))).toBe('counts objects');
    }
    for (const name of [
      'split',
      'width',
      'tags',
      'fields.weather',
      'computed.dup_count',
      'box_count'
    ]) {
      expect(unitText(facetUnit(name))).toBe('counts samples');
    }
    expect(facetUnit('classification')).toBe('image labels');
    expect(facetUnit('label_type')).toBe('labels');
  });

  it('writes counts with their unit', () => {
    expect(countText(1, 'samples')).toBe('1 sample');
    expect(countText(1204, 'objects')).toBe('1,204 objects');
    expect(countText(1, 'image labels')).toBe('1 image label');
  });

  it('a numeric facet shows its count with the unit, bars too', () => {
    const facet: INumericFacet = {
      name: 'score',
      type: 'numeric',
      source: 'yolo',
      min: 0,
      max: 1,
      count: 1204,
      histogram: [{ lo: 0, hi: 1, count: 1204 }]
    };
    const node = new Histogram(
      facet,
      facetUnit(facet.name),
      null,
      () => undefined
    ).node;
    expect(node.querySelector('.jp-VisionLens-valueCount')?.textContent).toBe(
      '1,204 objects'
    );
    expect(
      node.querySelector('.jp-VisionLens-bar')?.getAttribute('title')
    ).toBe('0 – 1: 1,204 objects');
  });
});
