import { facetKey } from './facetKeys';
import { ServerConnection } from '@jupyterlab/services';
import { StateDB } from '@jupyterlab/statedb';

import { VisionLensClient } from '../../api/client';
import { VisionLensModel } from '../model';
import { STATE_KEY } from '../persistence';
import { rangeIds } from '../selection';
import { setCategorical, setRange } from '../filters';

function makeModel(state: StateDB | null = null): VisionLensModel {
  return new VisionLensModel({
    client: new VisionLensClient(ServerConnection.makeSettings()),
    state,
    saveDelay: 0
  });
}

describe('VisionLensModel filters', () => {
  it('undoes filter changes in order, and not a no-op change', () => {
    const model = makeModel();
    const seen: unknown[] = [];
    model.filterChanged.connect((_, f) => seen.push(f));
    model.setDataset('d');
    seen.length = 0;
    const a = setCategorical({}, facetKey('split'), ['val']);
    const b = setRange(a, facetKey('width'), { min: 10 });
    model.setFilter(a);
    model.setFilter(b);
    model.setFilter(JSON.parse(JSON.stringify(b))); // same filter: ignored
    expect(seen).toHaveLength(2);
    expect(model.canUndo).toBe(true);
    expect(model.undo()).toBe(true);
    expect(model.filter).toEqual(a);
    expect(model.undo()).toBe(true);
    expect(model.filter).toEqual({});
    expect(model.canUndo).toBe(false);
    expect(model.undo()).toBe(false);
    expect(seen).toHaveLength(4);
  });

  it('starts a new dataset with an empty filter, history and selection', () => {
    const model = makeModel();
    model.setDataset('a');
    model.setFilter({ tags: { any: ['x'] } });
    model.setSelection([1, 2]);
    model.setDataset('b');
    expect(model.filter).toEqual({});
    expect(model.canUndo).toBe(false);
    expect(model.selection.ids.size).toBe(0);
  });
});

describe('VisionLensModel selection', () => {
  it('holds explicit ids and designates them by an ids filter', () => {
    const model = makeModel();
    model.setDataset('d');
    let emitted = 0;
    model.selectionChanged.connect(() => emitted++);
    model.setSelection([5, 3]);
    model.toggleSelected(4);
    model.toggleSelected(5);
    model.addToSelection([3, 9]);
    expect([...model.selection.ids].sort()).toEqual([3, 4, 9]);
    expect(model.selectionFilter()).toEqual({ ids: [3, 4, 9] });
    expect(model.isSelected(5)).toBe(false);
    model.setSelection([9, 4, 3]); // same set: no signal
    expect(emitted).toBe(4);
  });

  it('"all matching" follows the current filter', () => {
    const model = makeModel();
    model.setDataset('d');
    model.setFilter({ sample: { split: { in: ['val'] } } });
    model.selectAllMatching();
    expect(model.selection.mode).toBe('all');
    expect(model.isSelected(123456)).toBe(true);
    expect(model.selectionFilter()).toEqual(model.filter);
    let emitted = 0;
    model.selectionChanged.connect(() => emitted++);
    model.setFilter({ tags: { any: ['x'] } });
    expect(emitted).toBe(1);
    expect(model.selectionFilter()).toEqual({ tags: { any: ['x'] } });
    model.clearSelection();
    expect(model.selection.mode).toBe('ids');
    expect(model.selectionFilter()).toEqual({ ids: [] });
  });

  it('asks to bring into view explicit ids selected elsewhere than the grid', () => {
    const model = makeModel();
    model.setDataset('d');
    const asked: unknown[] = [];
    model.selectionRevealRequested.connect((_, r) => asked.push(r));
    model.setSelection([7, 3]); // the map, a panel, a notebook
    model.setSelection([7, 3]); // no change: nothing asked
    model.addToSelection([9], 'patches');
    model.setSelection([1], 'grid'); // a click in the grid: no jump
    model.toggleSelected(2, 'grid');
    model.addToSelection([4], 'grid');
    model.selectAllMatching();
    model.clearSelection();
    expect(asked).toEqual([
      { origin: 'other', ids: [7, 3] },
      { origin: 'patches', ids: [7, 3, 9] }
    ]);
  });

  it('computes shift-click ranges in either direction', () => {
    const ordered = [10, 11, 12, 13, 14];
    expect(rangeIds(ordered, 1, 3)).toEqual([11, 12, 13]);
    expect(rangeIds(ordered, 3, 1)).toEqual([11, 12, 13]);
    expect(rangeIds(ordered, 4, 9)).toEqual([14]);
  });
});

describe('VisionLensModel view state', () => {
  it('hides sources and low-score predictions, never ground truth', () => {
    const model = makeModel();
    model.setConfidenceThreshold(0.4);
    expect(model.isBoxVisible('ground_truth', null)).toBe(true);
    expect(model.isBoxVisible('yolo', 0.39)).toBe(false);
    expect(model.isBoxVisible('yolo', 0.4)).toBe(true);
    model.setSourceVisible('yolo', false);
    expect(model.isBoxVisible('yolo', 0.9)).toBe(false);
    model.setConfidenceThreshold(7);
    expect(model.confidenceThreshold).toBe(1);
  });
});

describe('VisionLensModel persistence', () => {
  it('restores dataset, filter, selection and view after a reload', async () => {
    const db = new StateDB();
    const first = makeModel(db);
    await first.restored;
    first.setDataset('coco');
    first.setFilter({ labels: [{ source: 'ground_truth', classes: ['cat'] }] });
    first.setSelection([7, 8]);
    first.setSourceVisible('yolo', false);
    first.setConfidenceThreshold(0.25);
    first.setFieldVisible('fields.weather', true);
    first.setFieldVisible('split', true);
    first.setFieldVisible('split', false);
    await first.save();

    const second = makeModel(db);
    await second.restored;
    expect(second.dataset).toBe('coco');
    expect(second.filter).toEqual(first.filter);
    expect([...second.selection.ids].sort()).toEqual([7, 8]);
    expect(second.isSourceVisible('yolo')).toBe(false);
    expect(second.confidenceThreshold).toBe(0.25);
    expect(second.visibleFields).toEqual(['fields.weather']);
    // A restored threshold wins over the settings default.
    second.setDefaultConfidenceThreshold(0.9);
    expect(second.confidenceThreshold).toBe(0.25);
    expect(second.visibleFields).toEqual(['fields.weather']);
  });

  it('ignores a malformed saved state', async () => {
    const db = new StateDB();
    await db.save(STATE_KEY, { dataset: 3, filter: 'x', selection: 1 } as any);
    const model = makeModel(db);
    await model.restored;
    expect(model.dataset).toBeNull();
    expect(model.filter).toEqual({});
    expect(model.selection.ids.size).toBe(0);
  });
});
