/**
 * Editing polygons and keypoints on the sample stage: which part of a
 * selected shape a press grabs, the shape after a drag (inside the image),
 * vertices added and deleted, keypoints shown or hidden, the operations sent,
 * and the edit layer turning presses into those edits.
 */
import { EditBox, IAnnotation } from '../../../model/tokens';
import { BoxEditor, IBoxEdits } from '../BoxEditor';
import { afterSaved } from '../boxEditing';
import { PolygonDrawer } from '../PolygonDrawer';
import {
  isReshapable,
  keypointsOperation,
  reshapeOperation,
  shapeHandleAt,
  withKeypointAt,
  withoutVertex,
  withVertexAdded,
  withVertexAt,
  withVisibilityToggled
} from '../shapeEditing';
import { wireBox } from '../../../__tests__/wireSample';

const SQUARE = [10, 10, 30, 10, 30, 30, 10, 30];

function object(extra: Partial<IAnnotation>): IAnnotation {
  return wireBox({
    ann_id: 4,
    source: 'ground_truth',
    label: 'cat',
    bbox: [10, 10, 20, 20] as EditBox,
    ...extra
  });
}

const polygon = object({ segmentation: [SQUARE] });
const person = object({ keypoints: [12, 12, 2, 28, 28, 1, 0, 0, 0] });

describe('shape geometry', () => {
  it('grabs a keypoint, then a vertex, then an edge, nothing elsewhere', () => {
    expect(shapeHandleAt(person, 13, 11, 2)).toEqual({
      kind: 'keypoint',
      point: 0
    });
    expect(shapeHandleAt(person, 0, 0, 2)).toBeNull(); // an unlabelled point is not there
    expect(shapeHandleAt(polygon, 29, 11, 2)).toEqual({
      kind: 'vertex',
      polygon: 0,
      vertex: 1
    });
    expect(shapeHandleAt(polygon, 20, 31, 2)).toEqual({
      kind: 'edge',
      polygon: 0,
      after: 2
    });
    expect(shapeHandleAt(polygon, 20, 20, 2)).toBeNull();
    expect(isReshapable(polygon) && isReshapable(person)).toBe(true);
    expect(
      isReshapable(object({ segmentation: { size: [4, 4], counts: 'ab' } }))
    ).toBe(false);
  });

  it('moves, adds and deletes vertices inside the image', () => {
    expect(withVertexAt([SQUARE], 0, 2, 120.456, -3, 100, 80)).toEqual([
      [10, 10, 30, 10, 100, 0, 10, 30]
    ]);
    expect(withVertexAdded([SQUARE], 0, 1, 35, 20, 100, 80)).toEqual([
      [10, 10, 30, 10, 35, 20, 30, 30, 10, 30]
    ]);
    expect(withoutVertex([SQUARE], 0, 0)).toEqual([[30, 10, 30, 30, 10, 30]]);
    expect(withoutVertex([[1, 1, 5, 1, 5, 5]], 0, 0)).toBeNull(); // a triangle stays
  });

  it('drags a keypoint and toggles whether it is visible', () => {
    const points = person.keypoints!;
    expect(withKeypointAt(points, 1, 40.004, 90, 100, 80)).toEqual([
      12, 12, 2, 40, 80, 1, 0, 0, 0
    ]);
    expect(withVisibilityToggled(points, 0).slice(0, 3)).toEqual([12, 12, 1]);
    expect(withVisibilityToggled(points, 1).slice(3, 6)).toEqual([28, 28, 2]);
  });

  it('sends reshape and keypoints with what was seen; a later edit expects the new box', () => {
    const moved = [[10, 10, 40, 10, 30, 30, 10, 30]];
    const op = reshapeOperation(polygon, moved);
    expect(op).toEqual({
      op: 'reshape',
      annotation_id: 4,
      segmentation: moved,
      expected: { label: 'cat', bbox: [10, 10, 20, 20] }
    });
    const after = afterSaved(polygon, [op]);
    expect(after.bbox).toEqual([10, 10, 30, 20]);
    expect(after.segmentation).toEqual(moved);
    const kp = keypointsOperation(person, [1, 2, 2, 28, 28, 1, 0, 0, 0]);
    expect(afterSaved(person, [kp]).keypoints).toEqual([
      1, 2, 2, 28, 28, 1, 0, 0, 0
    ]);
    expect(afterSaved(person, [kp]).bbox).toEqual(person.bbox);
  });
});

describe('the edit layer on shapes', () => {
  function editor(objects: IAnnotation[]) {
    const told = {
      reshaped: [] as number[][][],
      keypoints: [] as number[][],
      moved: 0
    };
    const edits: IBoxEdits = {
      objects: () => objects,
      imageSize: () => [100, 80],
      selected: () => undefined,
      moved: () => told.moved++,
      drawn: () => undefined,
      reshaped: (_a, polygons) => told.reshaped.push(polygons),
      keypointsChanged: (_a, points) => told.keypoints.push(points),
      pointsChanged: () => undefined,
      say: () => undefined
    };
    const layer = new BoxEditor(edits);
    layer.render(1);
    return { layer, told };
  }

  it('shows the vertices of a selected polygon and sends a dragged vertex as one reshape', () => {
    const { layer, told } = editor([polygon]);
    layer.down(20, 20, 'select');
    layer.up(20, 20); // selected
    expect(
      layer.node.querySelectorAll('.jp-VisionLens-editVertex').length
    ).toBe(4);
    expect(layer.down(30, 30, 'select')).toBe(true);
    layer.move(33, 32);
    layer.up(36, 34);
    expect(told.reshaped).toEqual([[[10, 10, 30, 10, 36, 34, 10, 30]]]);
    expect(told.moved).toBe(0);
    // a drag of an edge adds a vertex where it ends; a click on a vertex changes nothing
    layer.down(10, 20, 'select');
    layer.up(5, 20);
    expect(told.reshaped[1]).toEqual([[10, 10, 30, 10, 30, 30, 10, 30, 5, 20]]);
    layer.down(10, 10, 'select');
    layer.up(10, 10);
    expect(told.reshaped.length).toBe(2);
    // Alt-click deletes a vertex
    expect(layer.down(10, 10, 'select', { button: 0, altKey: true })).toBe(
      false
    );
    expect(told.reshaped[2]).toEqual([[30, 10, 30, 30, 10, 30]]);
  });

  it('drags a keypoint and Alt-click hides it', () => {
    const { layer, told } = editor([person]);
    layer.down(20, 20, 'select');
    layer.up(20, 20);
    const dots = layer.node.querySelectorAll('.jp-VisionLens-editKeypoint');
    expect(dots.length).toBe(2); // the unlabelled point has no handle
    expect(dots[1].classList.contains('jp-mod-hidden')).toBe(true);
    layer.down(12, 12, 'select');
    layer.up(15, 18);
    expect(told.keypoints).toEqual([[15, 18, 2, 28, 28, 1, 0, 0, 0]]);
    layer.down(28, 28, 'select', { button: 0, altKey: true });
    expect(told.keypoints[1]).toEqual([12, 12, 2, 28, 28, 2, 0, 0, 0]);
  });
});

describe('the polygon tool', () => {
  it('adds a vertex per click inside the image and closes on the first vertex', () => {
    const closed: number[][] = [];
    let changes = 0;
    const drawer = new PolygonDrawer(
      () => [100, 80],
      p => closed.push(p),
      () => changes++
    );
    drawer.render(2);
    expect(drawer.down(10, 10, 'polygon')).toBe(false); // a click, not a drag
    drawer.down(50.04, -5, 'polygon');
    expect(drawer.closable).toBe(false);
    drawer.down(10, 10, 'polygon'); // two vertices: the first one is not a close yet
    expect(drawer.points).toEqual([10, 10, 50, 0, 10, 10]);
    drawer.undoPoint();
    drawer.down(120, 60, 'polygon');
    expect(drawer.node.dataset.vertices).toBe('3');
    expect(drawer.node.querySelectorAll('polyline').length).toBe(1);
    drawer.down(12, 11, 'polygon'); // within 8 screen pixels of the first
    expect(closed).toEqual([[10, 10, 50, 0, 100, 60]]);
    expect(drawer.points).toEqual([]);
    expect(changes).toBe(6);
  });

  it('closes on Enter only with three vertices; cancel drops the outline', () => {
    const closed: number[][] = [];
    const drawer = new PolygonDrawer(
      () => [100, 80],
      p => closed.push(p)
    );
    drawer.down(1, 1, 'polygon');
    drawer.down(20, 1, 'polygon');
    drawer.close();
    expect(closed).toEqual([]);
    drawer.down(20, 20, 'polygon');
    drawer.close();
    expect(closed).toEqual([[1, 1, 20, 1, 20, 20]]);
    drawer.down(5, 5, 'polygon');
    drawer.cancel();
    expect(drawer.points).toEqual([]);
  });
});
