import { sortOptions, sortQuery } from '../sorting';

describe('sortOptions', () => {
  it('offers sample columns, ground-truth summaries and three keys per model', () => {
    const values = sortOptions(['m1', 'yolo.v8']).map(o => o.value);
    expect(values.slice(0, 7)).toEqual([
      '',
      'file_name',
      'width',
      'height',
      'split',
      'box_count.ground_truth',
      'box_max.area.ground_truth'
    ]);
    // a model name with dots stays whole: the server splits field from source once
    expect(values.slice(7)).toEqual([
      'box_count.m1',
      'box_max.score.m1',
      'box_min.score.m1',
      'box_count.yolo.v8',
      'box_max.score.yolo.v8',
      'box_min.score.yolo.v8'
    ]);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('sortQuery', () => {
  it('sends nothing for the default order and the key otherwise', () => {
    expect(sortQuery(null)).toEqual({});
    expect(sortQuery({ field: '', order: 'asc' })).toEqual({});
    expect(sortQuery({ field: '', order: 'desc' })).toEqual({
      sort: 'sample_id',
      order: 'desc'
    });
    expect(sortQuery({ field: 'box_max.score.m1', order: 'desc' })).toEqual({
      sort: 'box_max.score.m1',
      order: 'desc'
    });
  });
});
