/**
 * Editing rotated boxes and polylines on the sample stage: a corner dragged
 * keeps a rectangle (the opposite corner and the angle stay), the rotation
 * handle turns the box about its centre, a polyline's point is dragged on its
 * own, a drag inside moves the shape, nothing leaves the image, and the edit
 * layer sends one `reshape` per gesture with the server's `obb` / `polyline`.
 */
import { EditBox, IAnnotation } from '../../../model/tokens';
import { BoxEditor, IBoxEdits } from '../BoxEditor';
import { afterSaved, isMovable } from '../boxEditing';
import {
  obbRotated,
  obbWithCornerAt,
  pointHandleAt,
  pointShapeOf,
  pointsMoved,
  pointsOperation,
  rotateOperation,
  rotationHandle,
  withPointAt
} from '../pointShapes';
import { wireBox } from '../../../__tests__/wireSample';

/** A 40 x 20 rectangle turned 30 degrees about (50, 40). */
function turned(): number[] {
  const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
  const corners = [
    [-20, -10],
    [20, -10],
    [20, 10],
    [-20, 10]
  ];
  return corners.flatMap(([x, y]) => [50 + x * c - y * s, 40 + x * s + y * c]);
}

function object(extra: Partial<IAnnotation>): IAnnotation {
  return wireBox({
    ann_id: 7,
    source: 'ground_truth',
    label: 'plane',
    bbox: [20, 20, 60, 40] as EditBox,
    ...extra
  });
}

const corner = (p: number[], k: number) => [p[2 * k], p[2 * k + 1]];
const side = (p: number[], i: number, j: number) =>
  Math.hypot(p[2 * j] - p[2 * i], p[2 * j + 1] - p[2 * i + 1]);
/** The cosine of the angle at corner `k` (0: a right angle). */
function cosAt(p: number[], k: number): number {
  const [x, y] = corner(p, k);
  const [ax, ay] = corner(p, (k + 1) % 4);
  const [bx, by] = corner(p, (k + 3) % 4);
  const [ux, uy, vx, vy] = [ax - x, ay - y, bx - x, by - y];
  return (ux * vx + uy * vy) / Math.hypot(ux, uy) / Math.hypot(vx, vy);
}

describe('rotated box geometry', () => {
  it('a corner dragged keeps a rectangle at the same angle with the opposite corner still', () => {
    const obb = turned();
    const moved = obbWithCornerAt(obb, 2, 80, 60, 200, 200);
    expect(moved).not.toBeNull();
    const p = moved!;
    expect(corner(p, 0)).toEqual(corner(obb, 0).map(v => round(v)));
    for (let k = 0; k < 4; k++) {
      expect(Math.abs(cosAt(p, k))).toBeLessThan(1e-3);
    }
    // the first edge keeps its direction (the angle of the box)
    const angle = (q: number[]) => Math.atan2(q[3] - q[1], q[2] - q[0]);
    expect(angle(p)).toBeCloseTo(angle(obb), 3);
    // the dragged corner lands on the pointer (it is a rectangle's corner)
    expect(corner(p, 2)[0]).toBeCloseTo(80, 1);
    expect(corner(p, 2)[1]).toBeCloseTo(60, 1);
    expect(side(p, 0, 1)).toBeGreaterThan(side(obb, 0, 1));
  });

  it('refuses a corner past the image or a side under two pixels', () => {
    const obb = turned();
    expect(obbWithCornerAt(obb, 2, 190, 60, 100, 80)).toBeNull();
    const [ox, oy] = corner(obb, 0);
    expect(obbWithCornerAt(obb, 2, ox + 0.5, oy + 0.5, 200, 200)).toBeNull();
  });

  it('rotates about the centre, keeping the sides, through the handle beyond the first edge', () => {
    const obb = [40, 30, 60, 30, 60, 50, 40, 50];
    const [hx, hy] = rotationHandle(obb, 10);
    expect([hx, hy]).toEqual([50, 20]); // above the top edge, away from the centre (50, 40)
    const quarter = obbRotated(obb, hx, hy, 60, 40, 100, 80);
    expect(quarter).toEqual([60, 30, 60, 50, 40, 50, 40, 30]);
    expect(
      obbRotated([0, 0, 90, 0, 90, 10, 0, 10], 45, -5, 50, 5, 100, 80)
    ).toBeNull();
  });

  it('a rotate key turns the selected rotated box by its degrees, nothing else', () => {
    const obb = [40, 30, 60, 30, 60, 50, 40, 50];
    const op = rotateOperation(object({ obb }), 90);
    expect(op).toEqual({
      op: 'reshape',
      annotation_id: 7,
      obb: [60, 30, 60, 50, 40, 50, 40, 30],
      expected: { label: 'plane', bbox: [20, 20, 60, 40] }
    });
    const back = rotateOperation(object({ obb }), -90) as { obb: number[] };
    expect(back.obb).toEqual([40, 50, 40, 30, 60, 30, 60, 50]);
    expect(rotateOperation(object({ polyline: [1, 2, 3, 4] }), 5)).toBeNull();
    expect(rotateOperation(null, 5)).toBeNull();
  });

  it('grabs a corner, the rotation handle, the inside; nothing outside', () => {
    const shape = pointShapeOf(
      object({ obb: [40, 30, 60, 30, 60, 50, 40, 50] })
    )!;
    expect(shape.column).toBe('obb');
    expect(pointHandleAt(shape, 61, 49, 2, 10)).toEqual({
      kind: 'point',
      point: 2
    });
    expect(pointHandleAt(shape, 50, 21, 2, 10)).toEqual({ kind: 'rotate' });
    expect(pointHandleAt(shape, 45, 45, 2, 10)).toEqual({ kind: 'body' });
    expect(pointHandleAt(shape, 70, 45, 2, 10)).toBeNull();
  });
});

describe('polyline geometry', () => {
  const line = [10, 10, 50, 10, 50, 40];

  it('drags one point inside the image, the others stay', () => {
    expect(withPointAt(line, 1, 60.123, -4, 100, 80)).toEqual([
      10, 10, 60.12, 0, 50, 40
    ]);
  });

  it('moves the whole line and stops it at the edges', () => {
    expect(pointsMoved(line, 5, 5, 100, 80)).toEqual([15, 15, 55, 15, 55, 45]);
    expect(pointsMoved(line, -20, 100, 100, 80)).toEqual([
      0, 50, 40, 50, 40, 80
    ]);
  });

  it('grabs a point, then the line; an object with neither has no shape', () => {
    const shape = pointShapeOf(object({ polyline: line }))!;
    expect(shape.column).toBe('polyline');
    expect(pointHandleAt(shape, 49, 11, 2, 10)).toEqual({
      kind: 'point',
      point: 1
    });
    expect(pointHandleAt(shape, 30, 11, 2, 10)).toEqual({ kind: 'body' });
    expect(pointHandleAt(shape, 30, 30, 2, 10)).toBeNull();
    expect(pointShapeOf(object({}))).toBeNull();
    expect(pointShapeOf(object({ obb: [1, 2, 3] }))).toBeNull();
  });

  it('sends the server reshape with the column, and the next edit expects the new extent', () => {
    const a = object({ polyline: line, bbox: [10, 10, 40, 30] });
    const op = pointsOperation(a, 'polyline', [10, 10, 70, 10, 50, 40]);
    expect(op).toEqual({
      op: 'reshape',
      annotation_id: 7,
      polyline: [10, 10, 70, 10, 50, 40],
      expected: { label: 'plane', bbox: [10, 10, 40, 30] }
    });
    const now = afterSaved(a, [op]);
    expect(now.polyline).toEqual([10, 10, 70, 10, 50, 40]);
    expect(now.bbox).toEqual([10, 10, 60, 30]);
    expect(isMovable(a)).toBe(false); // the server's move refuses it: no box handles
  });
});

describe('the edit layer on rotated boxes and polylines', () => {
  function editor(objects: IAnnotation[]) {
    const told: { column: string; points: number[] }[] = [];
    const said: string[] = [];
    const edits: IBoxEdits = {
      objects: () => objects,
      imageSize: () => [100, 80],
      selected: () => undefined,
      moved: () => undefined,
      drawn: () => undefined,
      reshaped: () => undefined,
      keypointsChanged: () => undefined,
      pointsChanged: (_a, column, points) => told.push({ column, points }),
      say: text => said.push(text)
    };
    const layer = new BoxEditor(edits);
    layer.render(1);
    return { layer, told, said };
  }

  it('drags a corner as one reshape, shows the rotation handle, a click sends nothing', () => {
    const obb = [40, 30, 60, 30, 60, 50, 40, 50];
    const { layer, told } = editor([object({ obb, bbox: [40, 30, 20, 20] })]);
    layer.down(50, 40, 'select');
    layer.up(50, 40);
    expect(layer.node.dataset.selected).toBe('7');
    expect(
      layer.node.querySelectorAll('.jp-VisionLens-editVertex').length
    ).toBe(4);
    expect(
      layer.node.querySelectorAll('.jp-VisionLens-editRotate').length
    ).toBe(1);
    expect(
      layer.node.querySelectorAll('.jp-VisionLens-editHandle').length
    ).toBe(0);
    expect(layer.down(60, 50, 'select')).toBe(true);
    layer.move(65, 52);
    layer.up(70, 55);
    expect(told).toEqual([
      { column: 'obb', points: [40, 30, 70, 30, 70, 55, 40, 55] }
    ]);
    layer.down(40, 30, 'select');
    layer.up(40, 30);
    expect(told.length).toBe(1);
  });

  it('selects a polyline with a first click (a press moves nothing yet), then drags a point or the line', () => {
    const polyline = [10, 10, 50, 10, 50, 40];
    const { layer, told } = editor([
      object({ polyline, bbox: [10, 10, 40, 30] })
    ]);
    expect(layer.down(30, 10, 'select')).toBe(false);
    expect(layer.node.dataset.selected).toBe('7');
    layer.down(50, 40, 'select');
    layer.up(45, 35);
    expect(told).toEqual([
      { column: 'polyline', points: [10, 10, 50, 10, 45, 35] }
    ]);
    expect(layer.down(30, 10, 'select')).toBe(true);
    layer.up(33, 12);
    expect(told[1]).toEqual({
      column: 'polyline',
      points: [13, 12, 53, 12, 53, 42]
    });
  });

  it('Alt-click on a polyline adds a point on the line, deletes a point, keeps two', () => {
    const alt = { button: 0, altKey: true };
    const three = object({ polyline: [10, 10, 50, 10, 50, 40] });
    const { layer, told, said } = editor([three]);
    layer.select(three);
    expect(layer.down(50, 25, 'select', alt)).toBe(false); // the second segment
    expect(told).toEqual([
      { column: 'polyline', points: [10, 10, 50, 10, 50, 25, 50, 40] }
    ]);
    layer.select(three);
    layer.down(50, 10, 'select', alt); // the middle point
    expect(told[1]).toEqual({ column: 'polyline', points: [10, 10, 50, 40] });
    layer.select(three);
    layer.down(90, 70, 'select', alt); // off the line: nothing
    expect(told.length).toBe(2);
    const two = object({ polyline: [10, 10, 50, 10] });
    layer.select(two);
    layer.down(10, 10, 'select', alt);
    expect(told.length).toBe(2);
    expect(said).toEqual([
      'A line keeps at least 2 points: delete the object instead (Delete).'
    ]);
  });
});

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
