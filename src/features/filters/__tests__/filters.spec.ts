import {
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
  it('maps categorical facets to the API filter', () => {
    let f: IFilter = {};
    f = setCategorical(f, { name: 'split' }, ['val']);
    f = setCategorical(f, { name: 'tags' }, ['review', 'bad']);
    f = setCategorical(f, { name: 'fields.weather' }, ['rain']);
    f = setCategorical(f, { name: 'label', source: 'ground_truth' }, ['cat']);
    f = setCategorical(f, { name: 'label', source: 'yolo' }, ['dog']);
    f = setCategorical(f, { name: 'attributes.truncated' }, ['true']);
    expect(f).toEqual({
      sample: { split: { in: ['val'] }, 'fields.weather': { in: ['rain'] } },
      tags: { any: ['review', 'bad'] },
      labels: [
        { source: 'ground_truth', classes: ['cat'] },
        { source: 'yolo', classes: ['dog'] },
        { where: { 'attributes.truncated': { in: ['true'] } } }
      ]
    });
    expect(getCategorical(f, { name: 'label', source: 'yolo' })).toEqual([
      'dog'
    ]);
    expect(getCategorical(f, { name: 'label', source: 'other' })).toEqual([]);
  });

  it('maps numeric facets to ranges', () => {
    let f: IFilter = {};
    f = setRange(f, { name: 'width' }, { min: 100, max: 640 });
    f = setRange(f, { name: 'score', source: 'yolo' }, { min: 0.5 });
    f = setRange(f, { name: 'box_count', source: 'ground_truth' }, { max: 3 });
    expect(f).toEqual({
      sample: { width: { min: 100, max: 640 } },
      labels: [{ source: 'yolo', score: { min: 0.5 } }],
      box_count: [{ source: 'ground_truth', max: 3 }]
    });
    expect(getRange(f, { name: 'width' })).toEqual({ min: 100, max: 640 });
    expect(getRange(f, { name: 'box_count', source: 'yolo' })).toBeNull();
    // One box_count condition per source: ground truth and each model
    f = setRange(f, { name: 'box_count', source: 'yolo' }, { min: 1 });
    expect(f.box_count).toEqual([
      { source: 'ground_truth', max: 3 },
      { source: 'yolo', min: 1 }
    ]);
    expect(getRange(f, { name: 'box_count', source: 'ground_truth' })).toEqual({
      max: 3
    });
    f = setRange(f, { name: 'box_count', source: 'ground_truth' }, null);
    expect(f.box_count).toEqual([{ source: 'yolo', min: 1 }]);
    f = setRange(f, { name: 'box_count', source: 'yolo' }, null);
    expect(f.box_count).toBeUndefined();
    // the single object the notebook API may send reads as a one-entry list
    const single: IFilter = { box_count: { source: 'yolo', min: 2 } };
    expect(getRange(single, { name: 'box_count', source: 'yolo' })).toEqual({
      min: 2
    });
    expect(normalizeFilter(single).box_count).toEqual([
      { source: 'yolo', min: 2 }
    ]);
  });

  it('keeps class and score of one model in one label entry', () => {
    let f: IFilter = {};
    f = setCategorical(f, { name: 'label', source: 'yolo' }, ['cat']);
    f = setRange(f, { name: 'score', source: 'yolo' }, { min: 0.3 });
    expect(f.labels).toEqual([
      { source: 'yolo', classes: ['cat'], score: { min: 0.3 } }
    ]);
    f = setCategorical(f, { name: 'label', source: 'yolo' }, []);
    expect(f.labels).toEqual([{ source: 'yolo', score: { min: 0.3 } }]);
    f = setRange(f, { name: 'score', source: 'yolo' }, null);
    expect(f).toEqual({});
  });

  it('clears to an empty filter and never mutates its input', () => {
    const start: IFilter = { sample: { split: { in: ['val'] } } };
    const frozen = JSON.stringify(start);
    const next = setCategorical(start, { name: 'split' }, []);
    expect(JSON.stringify(start)).toBe(frozen);
    expect(next).toEqual({});
    expect(isEmptyFilter(next)).toBe(true);
    const both = setCategorical(start, { name: 'split' }, ['val', 'train']);
    expect(both.sample?.split.in).toEqual(['val', 'train']);
  });

  it('combines range and list conditions on one field', () => {
    let f = setFileNameSearch({}, 'cat');
    f = setRange(f, { name: 'fields.iso' }, { min: 100 });
    f = setCategorical(f, { name: 'fields.iso' }, ['200']);
    expect(f.sample).toEqual({
      file_name: { contains: 'cat' },
      'fields.iso': { min: 100, in: ['200'] }
    });
    f = setRange(f, { name: 'fields.iso' }, null);
    expect(f.sample?.['fields.iso']).toEqual({ in: ['200'] });
    expect(setFileNameSearch(f, '').sample?.file_name).toBeUndefined();
  });

  it('describes every condition as a chip and removes it again', () => {
    let f: IFilter = { ids: [3, 1] };
    f = setCategorical(f, { name: 'split' }, ['val']);
    f = setCategorical(f, { name: 'tags' }, ['review']);
    f = setCategorical(f, { name: 'label', source: 'ground_truth' }, ['cat']);
    f = setRange(f, { name: 'box_count' }, { min: 2 });
    f = setRange(f, { name: 'box_count', source: 'yolo' }, { max: 0 });
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
    f = setRange(f, { name: 'computed.dup_count' }, { min: 1 });
    f = setCategorical(f, { name: 'computed.dup_group' }, ['3']);
    expect(f).toEqual({
      sample: {
        'computed.dup_count': { min: 1 },
        'computed.dup_group': { in: ['3'] }
      }
    });
    expect(getRange(f, { name: 'computed.dup_count' })).toEqual({ min: 1 });
  });
});
