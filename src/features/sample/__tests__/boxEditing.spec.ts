/**
 * Editing boxes on the sample stage: which object a click picks, the handle a
 * press grabs, the box after a move or a resize (inside the image, edges
 * swapping), a drawn box, the operations sent (with what the caller saw), and
 * the edit layer turning presses into those edits.
 */
import { EditBox, IAnnotation } from '../../../model/tokens';
import { BoxEditor, IBoxEdits } from '../BoxEditor';
import {
  afterSaved,
  deleteOperation,
  dragBox,
  drawnBox,
  handleAt,
  isMovable,
  moveOperation,
  nextObjectAt,
  objectAt,
  objectsAt,
  relabelOperation,
  shapeHint
} from '../boxEditing';
import { wireBox } from '../../../__tests__/wireSample';

function object(
  annId: number,
  bbox: EditBox,
  extra: Partial<IAnnotation> = {}
): IAnnotation {
  return wireBox({
    ann_id: annId,
    source: 'ground_truth',
    label: 'cat',
    bbox,
    ...extra
  });
}

describe('box geometry', () => {
  const big = object(1, [0, 0, 100, 80]);
  const small = object(2, [40, 30, 10, 10]);

  it('picks the smallest box under the point, nothing outside', () => {
    expect(objectAt([big, small], 45, 35, 1)?.ann_id).toBe(2);
    expect(objectAt([big, small], 10, 10, 1)?.ann_id).toBe(1);
    expect(objectAt([big, small], 150, 10, 1)).toBeNull();
  });

  it('picks ground truth before a prediction of the same box, the next one on a click again', () => {
    const prediction = object(3, [40, 30, 10, 10], {
      source: 'model',
      score: 0.9
    });
    const under = [prediction, big, small];
    expect(objectsAt(under, 45, 35, 1).map(a => a.ann_id)).toEqual([2, 3, 1]);
    expect(nextObjectAt(under, small, 45, 35, 1).ann_id).toBe(3);
    expect(nextObjectAt(under, big, 45, 35, 1).ann_id).toBe(2);
    expect(nextObjectAt([big], big, 5, 5, 1).ann_id).toBe(1);
  });

  it('grabs corners and edges within reach, the box inside, nothing outside', () => {
    const box: EditBox = [10, 10, 40, 20];
    expect(handleAt(box, 11, 9, 3)).toBe('nw');
    expect(handleAt(box, 50, 30, 3)).toBe('se');
    expect(handleAt(box, 30, 10, 3)).toBe('n');
    expect(handleAt(box, 49, 20, 3)).toBe('e');
    expect(handleAt(box, 25, 22, 3)).toBe('move');
    expect(handleAt(box, 70, 22, 3)).toBeNull();
  });

  it('moves a box inside the image, keeping its size', () => {
    expect(dragBox([10, 10, 20, 20], 'move', 5, -3, 100, 80)).toEqual([
      15, 7, 20, 20
    ]);
    expect(dragBox([10, 10, 20, 20], 'move', 500, -300, 100, 80)).toEqual([
      80, 0, 20, 20
    ]);
  });

  it('resizes from a handle, swapping edges dragged past each other', () => {
    expect(dragBox([10, 10, 20, 20], 'se', 5, 10, 100, 80)).toEqual([
      10, 10, 25, 30
    ]);
    expect(dragBox([10, 10, 20, 20], 'w', 30, 0, 100, 80)).toEqual([
      30, 10, 10, 20
    ]);
    expect(dragBox([10, 10, 20, 20], 'n', 0, -50, 100, 80)).toEqual([
      10, 0, 20, 30
    ]);
  });

  it('draws a box from two corners, none from a click', () => {
    expect(drawnBox(30, 40, 10, 5, 100, 80)).toEqual([10, 5, 20, 35]);
    expect(drawnBox(30, 40, 31, 40.5, 100, 80)).toBeNull();
    expect(drawnBox(90, 70, 130, 95, 100, 80)).toEqual([90, 70, 10, 10]);
  });

  it('sends what the caller saw with each operation', () => {
    expect(moveOperation(small, [1, 2, 3, 4])).toEqual({
      op: 'move',
      annotation_id: 2,
      bbox: [1, 2, 3, 4],
      expected: { bbox: [40, 30, 10, 10] }
    });
    expect(deleteOperation(small)).toMatchObject({
      expected: { label: 'cat', bbox: [40, 30, 10, 10] }
    });
    expect(relabelOperation(small, 'dog')).toMatchObject({
      op: 'relabel',
      label: 'dog'
    });
  });

  it('moves boxes only: not an object with a mask or keypoints', () => {
    expect(isMovable(small)).toBe(true);
    const noMask = null as unknown as IAnnotation['segmentation'];
    expect(isMovable(object(5, [0, 0, 5, 5], { segmentation: noMask }))).toBe(
      true
    );
    expect(isMovable(object(3, [0, 0, 5, 5], { segmentation: [[0, 0]] }))).toBe(
      false
    );
    expect(isMovable(object(4, [0, 0, 5, 5], { keypoints: [1, 2, 2] }))).toBe(
      false
    );
  });
});

describe('the edit layer', () => {
  function editor(objects: IAnnotation[]) {
    const told = {
      selected: [] as (number | null)[],
      moved: [] as [number, EditBox][],
      drawn: [] as EditBox[]
    };
    const edits: IBoxEdits = {
      objects: () => objects,
      imageSize: () => [100, 80],
      selected: a => told.selected.push(a?.ann_id ?? null),
      moved: (a, box) => told.moved.push([a.ann_id, box]),
      drawn: box => told.drawn.push(box),
      reshaped: () => undefined,
      keypointsChanged: () => undefined,
      pointsChanged: () => undefined,
      say: () => undefined
    };
    const layer = new BoxEditor(edits);
    layer.render(2);
    return { layer, told };
  }

  it('selects on a click, moves on a drag, shows handles', () => {
    const { layer, told } = editor([object(7, [10, 10, 20, 20])]);
    expect(layer.down(15, 15, 'select')).toBe(true);
    layer.up(15, 15); // a click: selected, not moved
    expect(told.selected).toEqual([7]);
    expect(told.moved).toEqual([]);
    expect(layer.node.dataset.selected).toBe('7');
    expect(layer.node.querySelectorAll('[data-handle]').length).toBe(8);
    layer.down(20, 20, 'select');
    layer.move(25, 22);
    layer.up(30, 25);
    expect(told.moved).toEqual([[7, [20, 15, 20, 20]]]);
  });

  it('resizes from a handle and clears the selection on empty space', () => {
    const { layer, told } = editor([object(7, [10, 10, 20, 20])]);
    layer.down(15, 15, 'select');
    layer.up(15, 15);
    layer.down(30, 30, 'select'); // the south-east handle
    layer.up(40, 35);
    expect(told.moved).toEqual([[7, [10, 10, 30, 25]]]);
    layer.cancel();
    layer.down(20, 20, 'select'); // a click again on the selected box: nothing beneath
    layer.up(20, 20);
    expect(told.selected[told.selected.length - 1]).toBe(7);
    expect(layer.down(80, 70, 'select')).toBe(false);
    expect(told.selected[told.selected.length - 1]).toBeNull();
  });

  it('draws a new box with the draw tool', () => {
    const { layer, told } = editor([object(7, [10, 10, 20, 20])]);
    expect(layer.down(50, 50, 'draw')).toBe(true);
    layer.move(60, 60);
    expect(layer.node.querySelector('.jp-mod-drawing')).not.toBeNull();
    layer.up(70, 65);
    expect(told.drawn).toEqual([[50, 50, 20, 15]]);
    expect(told.selected).toEqual([]);
  });
});

describe('the selected object after a saved edit', () => {
  const a = object(7, [10, 20, 30, 40]);

  it('has the saved box and class, so the next edit expects what the server has', () => {
    const moved = afterSaved(a, [moveOperation(a, [12, 26, 30, 40])]);
    expect(moved.bbox).toEqual([12, 26, 30, 40]);
    const relabelled = afterSaved(moved, [relabelOperation(moved, 'dog')]);
    expect(relabelled.label).toBe('dog');
    expect(deleteOperation(relabelled)).toMatchObject({
      expected: { label: 'dog', bbox: [12, 26, 30, 40] }
    });
  });

  it('is the same object when the batch did not change it', () => {
    const other = object(8, [0, 0, 5, 5]);
    expect(afterSaved(a, [moveOperation(other, [1, 1, 5, 5])])).toBe(a);
    expect(afterSaved(a, [deleteOperation(a)])).toBe(a);
    expect(
      afterSaved(a, [{ op: 'relabel', annotation_ids: [7, 8], label: 'dog' }])
        .label
    ).toBe('dog');
  });
});

describe('the hint on a selected object a drag cannot edit', () => {
  it('says how its shape is edited and what applies to it; nothing for a plain box', () => {
    const polygon = object(1, [0, 0, 10, 10], {
      segmentation: [[0, 0, 10, 0, 10, 10]]
    });
    expect(shapeHint(polygon)).toBe(
      'Drag a vertex to move it, an edge to add one, Alt-click a vertex to ' +
        'delete it. Relabel or Delete it.'
    );
    const rle = object(2, [0, 0, 10, 10], {
      source: 'model',
      segmentation: { size: [10, 10], counts: 'abc' },
      keypoints: [1, 1, 2]
    });
    expect(shapeHint(rle)).toBe(
      'Its mask is painted with the Brush (U) and the Eraser (E), or redrawn ' +
        'with Click to mask (Shift+Enter); drag a keypoint, ' +
        'Alt-click one to show or hide it. Accept, Relabel or Delete it.'
    );
    expect(shapeHint(object(3, [0, 0, 10, 10]))).toBeNull();
  });
});
