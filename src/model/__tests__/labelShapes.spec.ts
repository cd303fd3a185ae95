import {
  classificationChips,
  keypointDots,
  maskOf,
  skeletonSegments
} from '../labelShapes';
import { LabelTypeToggles } from '../labels';
import { GROUND_TRUTH, IClassification, LABEL_KINDS } from '../tokens';

describe('maskOf', () => {
  it('reads polygons, leaving out the ones that are not polygons', () => {
    const square = [0, 0, 10, 0, 10, 10, 0, 10];
    expect(
      maskOf([square, [1, 2, 3, 4], [1, 2, 3, 4, 5], ['a', 1, 2, 3, 4, 5]])
    ).toEqual({ kind: 'polygons', polygons: [square] });
    expect(maskOf([[1, 2, 3, 4]])).toBeNull();
    expect(maskOf([[0, 0, 1, 0, Infinity, 1]])).toBeNull();
  });

  it('reads compressed and uncompressed RLE with a positive size', () => {
    expect(maskOf({ size: [4, 3], counts: '0<' })).toEqual({
      kind: 'rle',
      height: 4,
      width: 3,
      counts: '0<'
    });
    expect(maskOf({ size: [2, 2], counts: [1, 3] })?.kind).toBe('rle');
    expect(maskOf({ size: [0, 2], counts: '0' })).toBeNull();
    expect(maskOf({ size: [2], counts: '0' })).toBeNull();
    expect(maskOf({ size: [2, 2], counts: [1, -3] })).toBeNull();
    expect(maskOf({ size: [2, 2], counts: 12 })).toBeNull();
  });

  it('draws nothing for no mask', () => {
    for (const none of [undefined, null, 'x', 3, {}, []]) {
      expect(maskOf(none)).toBeNull();
    }
  });
});

describe('keypoints', () => {
  // v = 2, 1, 0, 2, then a bad flag and a non-number
  const flat = [10, 20, 2, 30, 40, 1, 0, 0, 0, 50, 60, 2, 1, 1, 3, 'x', 2, 2];

  it('draws visible points filled, labelled hidden ones hollow, no others', () => {
    expect(keypointDots(flat)).toEqual([
      { index: 0, x: 10, y: 20, mark: 'filled' },
      { index: 1, x: 30, y: 40, mark: 'hollow' },
      { index: 3, x: 50, y: 60, mark: 'filled' }
    ]);
    expect(keypointDots(undefined)).toEqual([]);
  });

  it("joins the class's skeleton (1-based) only between drawn points", () => {
    const dots = keypointDots(flat);
    const skeleton: [number, number][] = [
      [1, 2],
      [2, 3], // point 3 is not labelled
      [1, 4],
      [4, 9] // no such point
    ];
    const segments = skeletonSegments(dots, {
      keypoint_names: [],
      skeleton
    });
    expect(segments.map(([a, b]) => [a.index, b.index])).toEqual([
      [0, 1],
      [0, 3]
    ]);
    expect(skeletonSegments(dots, undefined)).toEqual([]);
  });
});

describe('classification chips', () => {
  const all: IClassification[] = [
    { source: GROUND_TRUTH, label: 'cat', score: null },
    { source: 'm1', label: 'dog', score: 0.8 },
    { source: 'm1', label: 'cat', score: 0.15 },
    { source: 'm2', label: 'cat', score: 0.9 },
    { source: 'm3', label: 'cow', score: 0.2 }
  ];
  const visible = (hidden: string[] = [], threshold = 0.5) => ({
    isBoxVisible: (source: string, score: number | null) =>
      !hidden.includes(source) &&
      (source === GROUND_TRUTH || score === null || score >= threshold)
  });

  it('shows the ground truth, then each model best prediction, marked when it differs', () => {
    const chips = classificationChips(all, visible());
    expect(chips.map(c => [c.source, c.text, c.differs])).toEqual([
      [GROUND_TRUTH, 'cat', false],
      ['m1', 'dog 0.80', true],
      ['m2', 'cat 0.90', false]
    ]);
    expect(chips[0].groundTruth && !chips[1].groundTruth).toBe(true);
  });

  it('follows the visible sources, the threshold and the per-model count', () => {
    const hidden = classificationChips(
      all,
      visible(['m1', GROUND_TRUTH], 0.1),
      2
    );
    // No ground truth shown: nothing to differ from is still known (it is hidden,
    // not absent), so predictions keep their mark.
    expect(hidden.map(c => [c.source, c.label, c.differs])).toEqual([
      ['m2', 'cat', false],
      ['m3', 'cow', true]
    ]);
  });

  it('marks nothing on an image without ground truth', () => {
    const chips = classificationChips(all.slice(1), visible());
    expect(chips.every(c => !c.differs)).toBe(true);
  });
});

describe('label type toggles', () => {
  it('shows every type until turned off, and says when it changed', () => {
    const toggles = new LabelTypeToggles();
    let changes = 0;
    toggles.changed.connect(() => changes++);
    const every = LABEL_KINDS.map(k => k.labelType);
    expect([...toggles.shown]).toEqual(every);
    toggles.apply({ masks: false, keypoints: true });
    toggles.setShown('masks', false); // no change
    expect(changes).toBe(1);
    expect(toggles.isShown('masks')).toBe(false);
    expect([...toggles.shown]).toEqual(every.filter(t => t !== 'masks'));
    toggles.apply({ masks: 'no' } as never); // not a boolean: ignored
    expect(toggles.isShown('masks')).toBe(false);
  });

  it('draws only the matching labels until told otherwise', () => {
    const toggles = new LabelTypeToggles();
    let changes = 0;
    toggles.changed.connect(() => changes++);
    expect(toggles.onlyMatching).toBe(true);
    toggles.apply({ boxes: true, onlyMatching: true }); // no change
    expect(changes).toBe(0);
    toggles.setOnlyMatching(false);
    expect(toggles.onlyMatching).toBe(false);
    expect(changes).toBe(1);
    expect([...toggles.shown]).toContain('boxes');
  });
});
