import { facetKey } from '../../../model/__tests__/facetKeys';
import {
  fieldCondition,
  getCategorical,
  getRange,
  isEmptyFilter,
  normalizeFilter,
  sameFilter,
  setCategorical,
  setFileNameSearch,
  setRange
} from '../../../model/filters';
import { describeFilter, removeChip } from '../chips';
import { IFilter } from '../../../model/tokens';

describe('filter composition', () => {
  it("words the regions' condition as a chip, and keeps it beside the fields'", () => {
    const regions: IFilter = {
      sample: {
        semantic_regions: {
          model: 'net',
          class: ['road'],
          predicted: ['sidewalk', 'grass'],
          score: { max: 0.3 },
          flagged: true
        },
        split: { in: ['val'] }
      }
    };
    expect(describeFilter(regions).map(c => [c.id, c.text])).toEqual([
      [
        'sample:semantic_regions',
        'flagged region, of class road, predicted as sidewalk or grass, score ≤ 0.3 (model net)'
      ],
      ['sample:split', 'split is val']
    ]);
    // the regions' key is no field: no facet reads or writes it
    expect(fieldCondition(regions.sample, 'semantic_regions')).toBeUndefined();
    const next = setCategorical(regions, facetKey('split'), ['train']);
    expect(next.sample?.semantic_regions).toEqual(
      regions.sample?.semantic_regions
    );
    expect(removeChip(regions, 'sample:semantic_regions')).toEqual({
      sample: { split: { in: ['val'] } }
    });
  });

  it('maps categorical facets to the API filter', () => {
    let f: IFilter = {};
    f = setCategorical(f, facetKey('split'), ['val']);
    f = setCategorical(f, facetKey('tags'), ['review', 'bad']);
    f = setCategorical(f, facetKey('fields.weather'), ['rain']);
    f = setCategorical(f, facetKey('label', 'ground_truth'), ['cat']);
    f = setCategorical(f, facetKey('label', 'yolo'), ['dog']);
    f = setCategorical(f, facetKey('attributes.truncated'), ['true']);
    expect(f).toEqual({
      sample: { split: { in: ['val'] }, 'fields.weather': { in: ['rain'] } },
      tags: { any: ['review', 'bad'] },
      labels: [
        { source: 'ground_truth', classes: ['cat'] },
        { source: 'yolo', classes: ['dog'] },
        { where: { 'attributes.truncated': { in: ['true'] } } }
      ]
    });
    expect(getCategorical(f, facetKey('label', 'yolo'))).toEqual(['dog']);
    expect(getCategorical(f, facetKey('label', 'other'))).toEqual([]);
  });

  it('maps numeric facets to ranges', () => {
    let f: IFilter = {};
    f = setRange(f, facetKey('width'), { min: 100, max: 640 });
    f = setRange(f, facetKey('score', 'yolo'), { min: 0.5 });
    f = setRange(f, facetKey('box_count', 'ground_truth'), { max: 3 });
    expect(f).toEqual({
      sample: { width: { min: 100, max: 640 } },
      labels: [{ source: 'yolo', score: { min: 0.5 } }],
      box_count: [{ source: 'ground_truth', max: 3 }]
    });
    expect(getRange(f, facetKey('width'))).toEqual({ min: 100, max: 640 });
    expect(getRange(f, facetKey('box_count', 'yolo'))).toBeNull();
    // One box_count condition per source: ground truth and each model
    f = setRange(f, facetKey('box_count', 'yolo'), { min: 1 });
    expect(f.box_count).toEqual([
      { source: 'ground_truth', max: 3 },
      { source: 'yolo', min: 1 }
    ]);
    expect(getRange(f, facetKey('box_count', 'ground_truth'))).toEqual({
      max: 3
    });
    f = setRange(f, facetKey('box_count', 'ground_truth'), null);
    expect(f.box_count).toEqual([{ source: 'yolo', min: 1 }]);
    f = setRange(f, facetKey('box_count', 'yolo'), null);
    expect(f.box_count).toBeUndefined();
    // the single object the notebook API may send reads as a one-entry list
    const single: IFilter = { box_count: { source: 'yolo', min: 2 } };
    expect(getRange(single, facetKey('box_count', 'yolo'))).toEqual({
      min: 2
    });
    expect(normalizeFilter(single).box_count).toEqual([
      { source: 'yolo', min: 2 }
    ]);
  });

  it('keeps class and score of one model in one label entry', () => {
    let f: IFilter = {};
    f = setCategorical(f, facetKey('label', 'yolo'), ['cat']);
    f = setRange(f, facetKey('score', 'yolo'), { min: 0.3 });
    expect(f.labels).toEqual([
      { source: 'yolo', classes: ['cat'], score: { min: 0.3 } }
    ]);
    f = setCategorical(f, facetKey('label', 'yolo'), []);
    expect(f.labels).toEqual([{ source: 'yolo', score: { min: 0.3 } }]);
    f = setRange(f, facetKey('score', 'yolo'), null);
    expect(f).toEqual({});
  });

  it('clears to an empty filter and never mutates its input', () => {
    const start: IFilter = { sample: { split: { in: ['val'] } } };
    const frozen = JSON.stringify(start);
    const next = setCategorical(start, facetKey('split'), []);
    expect(JSON.stringify(start)).toBe(frozen);
    expect(next).toEqual({});
    expect(isEmptyFilter(next)).toBe(true);
    const both = setCategorical(start, facetKey('split'), ['val', 'train']);
    expect(fieldCondition(both.sample, 'split')?.in).toEqual(['val', 'train']);
  });

  it('combines range and list conditions on one field', () => {
    let f = setFileNameSearch({}, 'cat');
    f = setRange(f, facetKey('fields.iso'), { min: 100 });
    f = setCategorical(f, facetKey('fields.iso'), ['200']);
    expect(f.sample).toEqual({
      file_name: { contains: 'cat' },
      'fields.iso': { min: 100, in: ['200'] }
    });
    f = setRange(f, facetKey('fields.iso'), null);
    expect(f.sample?.['fields.iso']).toEqual({ in: ['200'] });
    expect(setFileNameSearch(f, '').sample?.file_name).toBeUndefined();
  });

  it('describes every condition as a chip and removes it again', () => {
    let f: IFilter = { ids: [3, 1] };
    f = setCategorical(f, facetKey('split'), ['val']);
    f = setCategorical(f, facetKey('tags'), ['review']);
    f = setCategorical(f, facetKey('label', 'ground_truth'), ['cat']);
    f = setRange(f, facetKey('box_count'), { min: 2 });
    f = setRange(f, facetKey('box_count', 'yolo'), { max: 0 });
    const chips = describeFilter(f);
    expect(chips.map(c => c.text)).toEqual([
      '2 chosen samples',
      'split is val',
      'tagged review',
      'class is cat (ground truth)',
      'boxes ≥ 2',
      'boxes ≤ 0 (model yolo)'
    ]);
    let g = f;
    for (const chip of chips) {
      g = removeChip(g, chip.id);
    }
    expect(g).toEqual({});
    expect(removeChip(f, 'sample:split')).toEqual(
      normalizeFilter({ ...f, sample: {} })
    );
  });

  it('compares filters structurally', () => {
    expect(sameFilter({}, { sample: {}, labels: [] })).toBe(true);
    expect(sameFilter({ ids: [1] }, {})).toBe(false);
  });

  it('maps computed fields (duplicates) to sample conditions', () => {
    let f: IFilter = {};
    f = setRange(f, facetKey('computed.dup_count'), { min: 1 });
    f = setCategorical(f, facetKey('computed.dup_group'), ['3']);
    expect(f).toEqual({
      sample: {
        'computed.dup_count': { min: 1 },
        'computed.dup_group': { in: ['3'] }
      }
    });
    expect(getRange(f, facetKey('computed.dup_count'))).toEqual({ min: 1 });
  });

  it('filters a facet of a new name by the place the server states', () => {
    // a label attribute no name rule knows: its place alone says where it goes
    const angle = {
      name: 'rotation_angle',
      source: 'yolo',
      filter: { path: 'labels.where' as const, key: 'angle' }
    };
    let f: IFilter = setRange({}, angle, { min: 10, max: 45 });
    expect(f).toEqual({
      labels: [{ source: 'yolo', where: { angle: { min: 10, max: 45 } } }]
    });
    expect(getRange(f, angle)).toEqual({ min: 10, max: 45 });
    const lane = {
      name: 'lane_kind',
      filter: { path: 'labels.where' as const, key: 'kind' }
    };
    f = setCategorical(f, lane, ['dashed']);
    expect(getCategorical(f, lane)).toEqual(['dashed']);
    expect(f.labels).toContainEqual({ where: { kind: { in: ['dashed'] } } });
  });

  it('leaves a facet without a place out of the filter', () => {
    const status = { name: 'eval.status', source: 'yolo', filter: null };
    expect(getCategorical({}, status)).toEqual([]);
    expect(() => setCategorical({}, status, ['fp'])).toThrow();
  });
});
