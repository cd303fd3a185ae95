import {
  BACKGROUND,
  cellLabelFilter,
  curvePoints,
  fmtMetric,
  sortRows,
  withLabelFilter
} from '../logic';
import { IClassRow } from '../../../api/types';

const report = { key: 'm1--coco-iou0.5', model: 'm1' };

describe('cellLabelFilter', () => {
  it('maps each kind of confusion cell to the boxes it counts', () => {
    expect(cellLabelFilter(report, 'cat', 'cat')).toEqual({
      source: 'm1',
      classes: ['cat'],
      eval: { key: report.key, status: ['tp'] }
    });
    expect(cellLabelFilter(report, 'dog', 'cat')).toEqual({
      source: 'm1',
      classes: ['cat'],
      eval: {
        key: report.key,
        status: ['fp'],
        error: ['class_confusion'],
        confused_with: ['dog']
      }
    });
    expect(cellLabelFilter(report, BACKGROUND, 'cat')?.eval).toEqual({
      key: report.key,
      status: ['fp'],
      error: ['duplicate', 'localization', 'background']
    });
    expect(cellLabelFilter(report, 'dog', BACKGROUND)).toEqual({
      source: 'ground_truth',
      classes: ['dog'],
      eval: { key: report.key, status: ['fn'], confused: false }
    });
    expect(cellLabelFilter(report, BACKGROUND, BACKGROUND)).toBeNull();
  });

  it('keeps the other filter keys and replaces the label conditions', () => {
    const f = withLabelFilter(
      { tags: { any: ['x'] }, labels: [{ source: 'gt' }] },
      { source: 'm1' }
    );
    expect(f).toEqual({ tags: { any: ['x'] }, labels: [{ source: 'm1' }] });
  });
});

describe('table and curve helpers', () => {
  const row = (cls: string, AP: number | null): IClassRow => ({
    class: cls,
    AP,
    precision: null,
    recall: null,
    tp: 0,
    fp: 0,
    fn: 0,
    num_gt: 1
  });

  it('sorts with nulls last in both directions', () => {
    const rows = [row('b', 0.2), row('a', null), row('c', 0.9)];
    expect(sortRows(rows, 'AP', true).map(r => r.class)).toEqual([
      'c',
      'b',
      'a'
    ]);
    expect(sortRows(rows, 'AP', false).map(r => r.class)).toEqual([
      'b',
      'c',
      'a'
    ]);
    expect(sortRows(rows, 'class', false).map(r => r.class)).toEqual([
      'a',
      'b',
      'c'
    ]);
  });

  it('draws recall on x and precision upwards', () => {
    expect(curvePoints([0, 1], [1, 0.5], 100, 50)).toBe('0.0,0.0 100.0,25.0');
    expect(fmtMetric(-1)).toBe('n/a');
    expect(fmtMetric(0.12345)).toBe('0.123');
  });
});
