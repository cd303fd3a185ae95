import { countText, unitText } from '../facetUnits';
import { Histogram } from '../Histogram';
import { INumericFacet } from '../../../model/tokens';

describe('facet units', () => {
  it("says the unit the server states, whatever the facet's name", () => {
    expect(unitText('objects')).toBe('counts objects');
    expect(unitText('image labels')).toBe('counts image labels');
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
      histogram: [{ lo: 0, hi: 1, count: 1204 }],
      filter: { path: 'labels.score' },
      unit: 'objects'
    };
    const node = new Histogram(facet, facet.unit, null, () => undefined).node;
    expect(node.querySelector('.jp-VisionLens-valueCount')?.textContent).toBe(
      '1,204 objects'
    );
    expect(
      node.querySelector('.jp-VisionLens-bar')?.getAttribute('title')
    ).toBe('0 – 1: 1,204 objects');
  });
});
