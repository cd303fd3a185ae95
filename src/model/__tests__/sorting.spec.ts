import { MAX_CODE_IDS, selectCode, sortOptions, sortQuery } from '../sorting';

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

describe('selectCode', () => {
  it('writes the call select_code writes (view_code.py, same inputs)', () => {
    const ids = (list: number[]) =>
      ({ mode: 'ids', ids: new Set(list) }) as const;
    const all = { mode: 'all', ids: new Set<number>() } as const;
    expect(selectCode('toy', ids([9, 2, 5]), null)).toBe(
      "session = vl.open('toy')\nsession.select([2, 5, 9])"
    );
    expect(
      selectCode("it's", all, { sample: { split: { in: ['val'] } } })
    ).toBe(
      "session = vl.open(\"it's\")\nsession.select({'sample': {'split': {'in': ['val']}}})"
    );
    expect(selectCode('toy', all, {})).toBe(
      "session = vl.open('toy')\nsession.select({})"
    );
    expect(selectCode('toy', ids([]), null)).toBeNull();
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(selectCode('toy', ids(range(MAX_CODE_IDS)), null)).not.toBeNull();
    expect(selectCode('toy', ids(range(MAX_CODE_IDS + 1)), null)).toBeNull();
  });
});
