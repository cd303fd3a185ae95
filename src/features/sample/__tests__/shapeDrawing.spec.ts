/**
 * Drawing a new rotated box (its first edge, then its width) and a new line
 * (click its points, finish on the last one or Enter), and the brush's size
 * circle at the pointer: the shape each gesture sends, and the gestures that
 * send nothing and say why instead.
 */
import {
  edgeProblem,
  obbDrawProblem,
  obbFromEdge,
  polylineAltClick,
  polylineDrawProblem,
  withoutPolylinePoint,
  withPolylinePointAdded
} from '../shapeDrawing';
import { RotatedBoxDrawer } from '../RotatedBoxDrawer';
import { PolylineDrawer } from '../PolylineDrawer';
import { MaskBrush } from '../MaskBrush';
import { MaskSession } from '../maskPrompt';

const SIZE: [number, number] = [100, 80];

function host() {
  const drawn: number[][] = [];
  const said: string[] = [];
  return {
    drawn,
    said,
    host: {
      imageSize: () => SIZE,
      drawn: (points: number[]) => drawn.push(points),
      say: (text: string) => said.push(text)
    }
  };
}

describe('rotated box geometry from its first edge', () => {
  it('puts the far edge through the pointer, on either side, square to the first', () => {
    expect(obbFromEdge([10, 10, 50, 10], 30, 30)).toEqual([
      10, 10, 50, 10, 50, 30, 10, 30
    ]);
    expect(obbFromEdge([10, 40, 50, 40], 99, 25)).toEqual([
      10, 40, 50, 40, 50, 25, 10, 25
    ]);
    // a diagonal edge: the sides are square and the width is the distance to the line
    const obb = obbFromEdge([20, 20, 40, 40], 20, 40);
    const [ux, uy] = [obb[2] - obb[0], obb[3] - obb[1]];
    const [vx, vy] = [obb[4] - obb[2], obb[5] - obb[3]];
    expect(Math.abs(ux * vx + uy * vy)).toBeLessThan(1e-6);
    expect(Math.hypot(vx, vy)).toBeCloseTo(Math.SQRT2 * 10, 1);
  });

  it('says why an edge, a width or a corner leaves no box', () => {
    expect(edgeProblem([10, 10, 11, 10])).toMatch(/first edge is under 2/);
    expect(edgeProblem([10, 10, 30, 10])).toBeNull();
    const flat = obbFromEdge([10, 10, 50, 10], 30, 10.5);
    expect(obbDrawProblem(flat, ...SIZE)).toMatch(/no width/);
    const out = obbFromEdge([10, 10, 50, 10], 30, -20);
    expect(obbDrawProblem(out, ...SIZE)).toMatch(/outside the image/);
    const good = obbFromEdge([10, 10, 50, 10], 30, 30);
    expect(obbDrawProblem(good, ...SIZE)).toBeNull();
  });
});

describe('polyline points', () => {
  it('adds a point after a given one (inside the image), deletes one, keeps two', () => {
    const line = [10, 10, 50, 10, 50, 40];
    expect(withPolylinePointAdded(line, 0, 30, -5, ...SIZE)).toEqual([
      10, 10, 30, 0, 50, 10, 50, 40
    ]);
    expect(withoutPolylinePoint(line, 0)).toEqual([50, 10, 50, 40]);
    expect(withoutPolylinePoint([10, 10, 50, 10], 1)).toBeNull();
    expect(polylineDrawProblem([10, 10])).toMatch(/at least 2 points/);
    expect(polylineDrawProblem([10, 10, 20, 20])).toBeNull();
  });

  it('an Alt-click picks the segment under it, or says why a point stays', () => {
    const line = [10, 10, 50, 10, 50, 40];
    expect(polylineAltClick(line, null, 30, 11, 2, SIZE)).toEqual({
      points: [10, 10, 30, 11, 50, 10, 50, 40]
    });
    expect(polylineAltClick(line, null, 30, 30, 2, SIZE)).toBeNull();
    expect(polylineAltClick([10, 10, 50, 10], 0, 10, 10, 2, SIZE)).toEqual({
      problem: expect.stringMatching(/keeps at least 2 points/)
    });
  });
});

describe('the rotated-box tool', () => {
  it('a drag sets the first edge, the hover the width, a click sends the corners', () => {
    const { host: h, drawn, said } = host();
    const tool = new RotatedBoxDrawer(h);
    expect(tool.down(10, 10)).toBe(true);
    tool.move(30, 10);
    tool.up(50, 10);
    expect(tool.node.dataset.phase).toBe('width');
    tool.hover([30, 30]);
    expect(tool.node.querySelector('polygon')?.getAttribute('points')).toBe(
      '10,10 50,10 50,30 10,30'
    );
    expect(tool.down(30, 30)).toBe(false);
    expect(drawn).toEqual([[10, 10, 50, 10, 50, 30, 10, 30]]);
    expect(tool.drawing).toBe(false);
    // sent: "Move the pointer…" goes (a box the server refuses stays dropped)
    expect(said.slice(-2)).toEqual([
      expect.stringMatching(/set the width/),
      ''
    ]);
  });

  it('three clicks draw one too; a zero width is not sent and says why', () => {
    const { host: h, drawn, said } = host();
    const tool = new RotatedBoxDrawer(h);
    tool.down(10, 40);
    tool.up(10, 40); // a click: the edge's end is the next click
    expect(tool.node.dataset.phase).toBe('edge');
    tool.hover([60, 40]);
    tool.down(60, 40);
    expect(tool.node.dataset.phase).toBe('width');
    tool.down(30, 40); // on the edge's line: no width
    expect(drawn).toEqual([]);
    expect(said[said.length - 1]).toMatch(/no width/);
    tool.hover([30, 55]); // the pointer moves on: the hint tells the way again
    expect(said[said.length - 1]).toMatch(/set the width/);
    tool.down(30, 60);
    expect(drawn).toEqual([[10, 40, 60, 40, 60, 60, 10, 60]]);
  });

  it('Escape (cancel) drops the box being drawn', () => {
    const { host: h, drawn } = host();
    const tool = new RotatedBoxDrawer(h);
    tool.down(10, 10);
    tool.up(50, 10);
    tool.cancel();
    expect(tool.drawing).toBe(false);
    expect(tool.node.childElementCount).toBe(0);
    tool.down(20, 20);
    expect(drawn).toEqual([]);
  });
});

describe('the line tool', () => {
  it('clicks add points inside the image; a click on the last one finishes the line', () => {
    const { host: h, drawn } = host();
    const tool = new PolylineDrawer(h);
    tool.render(2);
    tool.down(10, 10);
    tool.down(120, 30); // clamped to the image's right edge
    tool.hover([60, 60]);
    expect(tool.node.querySelector('polyline')?.getAttribute('points')).toBe(
      '10,10 100,30 60,60'
    );
    tool.down(101, 31); // within the reach of the last point
    expect(drawn).toEqual([[10, 10, 100, 30]]);
    expect(tool.points).toEqual([]);
  });

  it('one point is not sent and says why; Enter (finish) sends two; a point can be taken back', () => {
    const { host: h, drawn, said } = host();
    const tool = new PolylineDrawer(h);
    tool.down(10, 10);
    tool.down(10, 10); // a double-click on the only point
    tool.finish();
    expect(drawn).toEqual([]);
    expect(said.filter(t => /at least 2 points/.test(t)).length).toBe(2);
    tool.down(40, 40);
    tool.down(70, 20);
    tool.undoPoint();
    tool.finish();
    expect(drawn).toEqual([[10, 10, 40, 40]]);
  });
});

describe("the brush's size circle", () => {
  it('follows the pointer at the brush size in image pixels, and goes when it leaves', () => {
    const brush = new MaskBrush({
      imageSize: () => SIZE,
      selection: null,
      session: new MaskSession(
        () => Promise.resolve({ kind: 'refused', message: '' }),
        () => undefined
      ),
      apply: () => Promise.resolve(null),
      say: () => undefined
    });
    brush.size = 12;
    brush.render(3);
    brush.hover([40, 30]);
    const circle = () => brush.node.querySelector('.jp-VisionLens-brushCursor');
    expect(circle()?.getAttribute('cx')).toBe('40');
    expect(circle()?.getAttribute('r')).toBe('6');
    brush.size = 24;
    expect(circle()?.getAttribute('r')).toBe('12');
    brush.hover(null);
    expect(circle()).toBeNull();
  });
});
