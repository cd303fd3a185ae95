/**
 * The map panel's point state: flags and counts from the filter and the
 * selection, what is drawn, the tooltip's value text and the legend.
 */
import { ISelection } from '../../../model/tokens';
import { FLAG_IN_FILTER, FLAG_SELECTED } from '../flags';
import { MapPointState } from '../mapPointState';
import { IMapPoints } from '../../../api/mapWire';

function points(): IMapPoints {
  return {
    header: {},
    count: 4,
    positions: new Float32Array([0, 0, 1, 1, 2, 2, 3, 3]),
    ids: new Float64Array([10, 11, 12, 13]),
    bounds: [0, 0, 3, 3]
  };
}

function selection(ids: number[], mode: 'ids' | 'all' = 'ids'): ISelection {
  return { mode, ids: new Set(ids) } as unknown as ISelection;
}

describe('map point state', () => {
  it('counts the points in the filter and flags the selected ones', () => {
    const state = new MapPointState(points(), () => '#ff0000');
    expect(state.rebuildFlags(selection([]))).toBe(4); // no filter: all
    state.inFilter = new Int32Array([1, 3]);
    expect(state.rebuildFlags(selection([13, 99]))).toBe(2);
    expect(Array.from(state.flags)).toEqual([
      0,
      FLAG_IN_FILTER,
      0,
      FLAG_IN_FILTER | FLAG_SELECTED
    ]);
    expect([0, 1].map(i => state.visible(i, false))).toEqual([false, true]);
    expect(state.visible(0, true)).toBe(true); // dimmed, still drawn
    state.rebuildFlags(selection([], 'all'));
    // "all matching": every point in the filter, none outside it
    expect(Array.from(state.flags).map(f => (f & FLAG_SELECTED) > 0)).toEqual([
      false,
      true,
      false,
      true
    ]);
    const data = state.data();
    expect(data.count).toBe(4);
    expect(data.flags).toBe(state.flags);
    expect(data.colors.length).toBe(16);
  });

  it('colours by a field, with its legend and tooltip text', () => {
    const state = new MapPointState(points(), () => '#00ff00');
    const legend = document.createElement('div');
    expect(state.valueText(0)).toBeNull();
    state.setValues(
      {
        kind: 'numeric',
        field: 'width',
        values: new Float32Array([1, 2.123456, NaN, 4]),
        min: 1,
        max: 4,
        header: {}
      },
      legend
    );
    expect(state.valueText(1)).toBe('width: 2.123');
    expect(state.valueText(2)).toBe('width: –');
    expect(legend.hidden).toBe(false);
    expect(legend.textContent).toContain('width');
    // low and high ends get different colours
    const c = state.colors;
    expect(Array.from(c.slice(0, 3))).not.toEqual(Array.from(c.slice(12, 15)));
  });
});
